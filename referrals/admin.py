from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from referrals.models import (
    AuditEvent,
    ExitPathway,
    OutboundEmail,
    Referral,
    Team,
    TransitionLog,
    User,
)


@admin.register(User)
class CirsUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Contact", {"fields": ("phone",)}))


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
    list_display = ["referral", "event", "from_state", "to_state", "by", "at"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "ip", "request_id"]
    list_filter = ["action", "object_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The list of stuck messages: anything failed or still waiting after retries."""

    list_display = ["created_at", "to", "subject", "status", "attempts", "last_error"]
    list_filter = ["status"]
    readonly_fields = [
        "dedupe_key",
        "to",
        "subject",
        "body_text",
        "body_html",
        "attempts",
        "last_error",
        "sent_at",
    ]
