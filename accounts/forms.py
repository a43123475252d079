"""The sign-in and code forms, in plain words."""

import logging

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm

from accounts.models import AuditEvent
from accounts.signin_audit import record_auth_event
from accounts.signin_methods import may_sign_in_locally

COUNCIL_ACCOUNT_ONLY = (
    "You sign in to CIRS with your council account now, not a CIRS password. Please "
    "use the “Sign in with your council account” button on this page."
)

# A password longer than this is not one anybody types; refusing it early keeps the
# (deliberately slow) password check from being handed megabytes.
PASSWORD_MAX_LENGTH = 1024


class SignInForm(AuthenticationForm):
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={
            "max_length": f"A password is at most {PASSWORD_MAX_LENGTH} characters. "
            "Please check what you typed."
        },
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "We couldn't sign you in with that username and password. Please check them "
            "and try again; both are case-sensitive."
        ),
        "council_account": COUNCIL_ACCOUNT_ONLY,
    }

    def clean_username(self) -> str:
        # Django sets the length on the widget only; without this a pasted page of text
        # reached the lockout table (a 500 on PostgreSQL).
        username = self.cleaned_data["username"]
        limit = self.username_field.max_length
        if len(username) > limit:
            raise forms.ValidationError(
                f"A username is at most {limit} characters. Please check what you typed."
            )
        return username

    def confirm_login_allowed(self, user) -> None:
        """Which way each role may sign in is configuration (CIRS_SIGNIN_METHODS): a
        council role set to single sign-on only is pointed to the council button."""
        super().confirm_login_allowed(user)
        if not may_sign_in_locally(user):
            record_auth_event(
                self.request,
                action=AuditEvent.Action.LOGIN_FAILED,
                user=user,
                event="local_refused_sso_only",
                message="Password sign-in refused: this role signs in with the council account",
                level=logging.WARNING,
            )
            raise forms.ValidationError(
                self.error_messages["council_account"], code="council_account"
            )


class CirsPasswordResetForm(PasswordResetForm):
    """No reset link for someone who signs in with their council account: a CIRS
    password would not let them in."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if may_sign_in_locally(user))


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Code",
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not token.isalnum():
            raise forms.ValidationError("Please enter the code using only numbers and letters.")
        return token


_TOO_LONG = f"A password is at most {PASSWORD_MAX_LENGTH} characters. Please check what you typed."


class KindPasswordChangeForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": (
            "That is not your current password. Please type it again; it is case-sensitive."
        ),
    }

    # The same limit as at sign-in, with the same kind words.
    old_password = forms.CharField(
        label="Your current password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        error_messages={"max_length": _TOO_LONG},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        error_messages={"max_length": _TOO_LONG},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label="New password again",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        error_messages={"max_length": _TOO_LONG},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
