from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from referrals.views import common

urlpatterns = [
    path("", common.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("referrals/", include("referrals.urls")),
    path("providers/", include("therapists.urls")),
    path("monitoring/", include("reporting.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "referrals.views.common.not_found"
handler500 = "referrals.views.common.server_error"
