"""The sign-in and code forms, in plain words."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

# A passphrase longer than this is not a real one; refusing it early keeps the hashing
# cheap and the message clear.
PASSWORD_MAX_LENGTH = 1024


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "We couldn't sign you in with that username and password. Please check them "
            "and try again; both are case-sensitive."
        ),
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

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if len(password) > PASSWORD_MAX_LENGTH:
            raise forms.ValidationError(
                f"A password is at most {PASSWORD_MAX_LENGTH} characters. "
                "Please check what you typed."
            )
        return password


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


class KindPasswordChangeForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": (
            "That is not your current password. Please type it again; it is case-sensitive."
        ),
    }
