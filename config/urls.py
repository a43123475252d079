from django.contrib import admin
from django.urls import include, path

from referrals.views import common

# admin.site is accounts.mfa.CirsAdminSite (accounts/admin_site.py): it asks for the
# TOTP code too whenever the second step is on (django-otp).

urlpatterns = [
    path("", common.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("referrals/", include("referrals.urls")),
    path("providers/", include("therapists.urls")),
    path("monitoring/", include("reporting.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "referrals.views.common.not_found"
handler500 = "referrals.views.common.server_error"
