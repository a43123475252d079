"""What referrals does when the accounts app says something happened (accounts never
imports referrals: it sends signals, and this module listens)."""

from django.dispatch import receiver

from accounts.signals import council_account_signed_in
from referrals.services import link_staff_member_account


@receiver(council_account_signed_in, dispatch_uid="referrals_link_staff_member_account")
def on_council_account_signed_in(sender, user, **kwargs) -> None:
    link_staff_member_account(user)
