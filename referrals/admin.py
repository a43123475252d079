from django.contrib import admin
from django.utils import timezone

from referrals import mailer
from referrals.models import ExitPathway, OutboundEmail, Referral, Team, TransitionLog


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(ExitPathway)
class ExitPathwayAdmin(admin.ModelAdmin):
    list_display = ["label", "general_wording", "order"]


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services, so it is checked and logged."""

    list_display = ["reference", "kind", "state", "submitted_at"]
    list_filter = ["state", "kind"]
    readonly_fields = [f.name for f in Referral._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TransitionLog)
class TransitionLogAdmin(admin.ModelAdmin):
    """Read-only: the log is history, written only by the services."""

    list_display = ["referral", "event", "from_state", "to_state", "by", "at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StuckFilter(admin.SimpleListFilter):
    """Failed, retried and still waiting, or overdue: the messages a person should see."""

    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("stuck", "Stuck messages"), ("waiting", "Waiting for working hours")]

    def queryset(self, request, queryset):
        if self.value() == "stuck":
            return queryset.filter(pk__in=mailer.stuck().values("pk"))
        if self.value() == "waiting":
            return queryset.filter(
                status=OutboundEmail.Status.PENDING, attempts=0, not_before__gt=timezone.now()
            )
        return queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox. "Stuck messages" lists anything failed or still waiting after retries,
    failed first; "Retry now" makes the chosen messages due at once (a failed one gets
    a fresh set of attempts)."""

    list_display = ["created_at", "to", "subject", "status", "attempts", "not_before", "last_error"]
    list_filter = [StuckFilter, "status"]
    # Failed sorts before pending and sent; then the oldest first.
    ordering = ["status", "created_at"]
    actions = ["retry_now"]
    readonly_fields = [
        "dedupe_key",
        "to",
        "subject",
        "body_text",
        "body_html",
        "status",
        "attempts",
        "last_error",
        "not_before",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry now")
    def retry_now(self, request, queryset):
        count = mailer.retry_now(queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) will be sent again now.")
