from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

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
