"""Signals the accounts app sends, so apps that build on it can react without the
accounts app knowing them (accounts imports no other CIRS app)."""

from django.dispatch import Signal

# Sent inside the sign-in's transaction each time a council account signs in through
# single sign-on (created, linked by e-mail once, or found by its subject), with
# ``user``, ``created`` and ``linked``. Referrals uses it to show a referred staff
# member their own support.
council_account_signed_in = Signal()
