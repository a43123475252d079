from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from accounts import enrolment
from accounts.models import AuditEvent, ExternalIdentity, User
from accounts.roles import Role


class RoleGroupsField(forms.ModelMultipleChoiceField):
    """Groups are named by the role's stable code; the admin shows the role's label."""

    def label_from_instance(self, obj) -> str:
        return Role(obj.name).label if obj.name in Role.values else obj.name


class ExternalIdentityInline(admin.TabularInline):
    """The council identity bound to the account. Read-only; removing it lets the next
    council sign-in with this e-mail address link the account again."""

    model = ExternalIdentity
    extra = 0
    fields = readonly_fields = ("issuer", "subject", "created_at", "last_signed_in_at")
    verbose_name = "council identity (single sign-on)"
    verbose_name_plural = "council identities (single sign-on)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class CirsUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Contact", {"fields": ("phone",)}))
    inlines = [ExternalIdentityInline]
    actions = ["reset_authenticator", "deactivate"]

    @admin.action(description="Reset the authenticator app and e-mail a new set-up link")
    def reset_authenticator(self, request, queryset):
        for user in queryset:
            enrolment.reset_devices(user, by=request.user)
            if not enrolment.send_link(user, by=request.user):
                path = enrolment.issue_link(user, by=request.user)
                self.message_user(
                    request,
                    f"{user} has no e-mail address. Please give them this one-time "
                    f"set-up link yourself: {request.build_absolute_uri(path)}",
                    messages.WARNING,
                )
        self.message_user(request, "The authenticator app was reset; a set-up link was sent.")

    @admin.action(description="Deactivate the selected people (their history is kept)")
    def deactivate(self, request, queryset):
        for user in queryset:
            self._deactivate(request, user)
        self.message_user(request, "Deactivated. Their records and audit history are kept.")

    # People are deactivated, never deleted: their audit rows, referrals and notes keep
    # saying who did what (docs/security-checklist.md row 33). "Delete" in the admin
    # deactivates instead, and the bulk delete action is not offered.
    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, object_id)
        if user is not None and request.method == "POST":
            self._deactivate(request, user)
            self.message_user(
                request,
                f"{user} was deactivated instead of deleted, so their history is kept.",
            )
            return self.response_post_save_change(request, user)
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        # The confirmation page lists nothing to delete and asks no extra permission:
        # confirming deactivates.
        return [], {}, set(), []

    def _deactivate(self, request, user) -> None:
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
            AuditEvent.objects.create(
                user=request.user,
                action=AuditEvent.Action.CHANGE,
                object_type="account",
                object_id=str(user.pk),
                detail="account deactivated",
            )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["form_class"] = RoleGroupsField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


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
