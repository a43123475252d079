"""Moments other apps may follow, so that ``referrals`` never imports them
(docs/architecture.md, "Between apps"). Each is sent inside the transaction of the
change, so a receiver's writes commit or roll back with it."""

from django.dispatch import Signal

# The closure summary has been sent for a closed referral. Kwargs: referral.
# ``reporting`` invites the staff member to the evaluation questionnaire.
support_ended = Signal()

# The personal data of these referrals has been erased after the retention period.
# Kwargs: referral_ids, now. ``reporting`` blanks the questionnaire's free comment.
personal_data_erased = Signal()
