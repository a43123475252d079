from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        # Models must be loaded first, hence here. A council account signing in is
        # linked to the referrals that name it as the staff member.
        from accounts.signals import council_account_signed_in
        from referrals import services

        council_account_signed_in.connect(
            services.on_council_account_signed_in, dispatch_uid="referrals_link_staff_member"
        )
