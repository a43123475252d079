"""The admin, set up the supported way: ``INSTALLED_APPS`` names this config, whose
``default_site`` is the admin site that asks for the second sign-in step."""

from django.contrib.admin.apps import AdminConfig


class CirsAdminConfig(AdminConfig):
    default_site = "accounts.mfa.CirsAdminSite"
