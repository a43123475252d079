"""Signing in and out, the code step, and resetting a forgotten password."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.forms import KindPasswordChangeForm
from accounts.oidc_views import CouncilSignInCallback, CouncilSignInStart
from accounts.password_reset import RateLimitedPasswordResetView
from accounts.views import (
    SignInView,
    SignOutView,
    otp_enrol,
    otp_enrol_link,
    otp_verify,
    still_here,
)

urlpatterns = [
    path("still-here/", still_here, name="still_here"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", SignOutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(form_class=KindPasswordChangeForm),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Council sign-in (OpenID Connect); the callback is the redirect URI registered at
    # the provider: <SITE_URL>/accounts/oidc/callback/.
    path("oidc/start/", CouncilSignInStart.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", CouncilSignInCallback.as_view(), name="oidc_authentication_callback"),
    path("code/", otp_verify, name="otp_verify"),
    path("code/set-up/", otp_enrol, name="otp_enrol"),
    # Under the set-up page's path, so the code step lets a half-signed-in person reach it.
    path("code/set-up/<str:token>/", otp_enrol_link, name="otp_enrol_link"),
    path(
        "password_reset/",
        RateLimitedPasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password_reset/<uidb64>/<token>/",
        # Never sign in from a reset link: the code step must still follow (ASVS 6.4.3).
        auth_views.PasswordResetConfirmView.as_view(post_reset_login=False),
        name="password_reset_confirm",
    ),
    path(
        "password_reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
