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

# The staff member's "My support" page asks what else to offer on a referral.
# Kwargs: referral, user. A receiver returns None or a (label, url) pair; ``reporting``
# offers the evaluation questionnaire until it is answered.
own_support_links = Signal()
