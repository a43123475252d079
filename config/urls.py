from django.contrib import admin
from django.urls import include, path

from referrals.mfa import CirsAdminSite
from referrals.views import account, common

# The admin asks for the TOTP code too whenever the second step is on (django-otp).
admin.site.__class__ = CirsAdminSite

urlpatterns = [
    path("", common.home, name="home"),
    path("accounts/", include(account.urlpatterns)),
    path("referrals/", include("referrals.urls")),
    path("providers/", include("therapists.urls")),
    path("monitoring/", include("reporting.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "referrals.views.common.not_found"
handler500 = "referrals.views.common.server_error"
