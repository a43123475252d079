from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        # A council account signing in is linked to referrals that name it as the staff member.
        from referrals import receivers  # noqa: F401
