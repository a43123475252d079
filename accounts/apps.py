from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and sign-in"

    def ready(self) -> None:
        # Sign-in event receivers and the start-up checks register on import.
        from accounts import checks, mfa, signin_audit  # noqa: F401
