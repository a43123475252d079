from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        # Sign-in event receivers and the MFA settings check register on import.
        from referrals import mfa, signals  # noqa: F401
