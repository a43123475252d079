"""Signing in and out, the code step, and resetting a forgotten password."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.forms import CirsPasswordResetForm
from accounts.oidc_views import CouncilSignInCallback, CouncilSignInStart
from accounts.views import SignInView, SignOutView, otp_enrol, otp_verify, still_here

urlpatterns = [
    path("still-here/", still_here, name="still_here"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", SignOutView.as_view(), name="logout"),
    # Council sign-in (OpenID Connect); the callback is the redirect URI registered at
    # the provider: <SITE_URL>/accounts/oidc/callback/.
    path("oidc/start/", CouncilSignInStart.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", CouncilSignInCallback.as_view(), name="oidc_authentication_callback"),
    path("code/", otp_verify, name="otp_verify"),
    path("code/set-up/", otp_enrol, name="otp_enrol"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(
            form_class=CirsPasswordResetForm,
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.txt",
            html_email_template_name="registration/password_reset_email.html",
            extra_email_context={"service_name": settings.CIRS_SERVICE_NAME},
        ),
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
