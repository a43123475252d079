from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and sign-in"

    def ready(self) -> None:
        # Sign-in event receivers and the MFA settings check register on import.
        from accounts import mfa, signin_audit  # noqa: F401
