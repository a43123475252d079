"""The sign-in and code forms, in plain words."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

# A password longer than this is not one anybody types; refusing it early keeps the
# (deliberately slow) password check from being handed megabytes.
PASSWORD_MAX_LENGTH = 1024


class SignInForm(AuthenticationForm):
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "We couldn't sign you in with that username and password. Please check them "
            "and try again; both are case-sensitive."
        ),
    }


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
