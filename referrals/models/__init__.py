"""The referral and everything that happens to it, named in the service's own words,
one module per part of the service. The public names are handed on from here, so
``from referrals.models import Referral`` works wherever the model lives."""

from referrals.models.allocation import Allocation
from referrals.models.closure import ClosureSummary, ExitPathway
from referrals.models.deadlines import (
    ClockDeadline,
    ClockStatusCode,
    StoppedClock,
    StoredReading,
)
from referrals.models.history import TransitionLog
from referrals.models.intake import CriticalIncident, GroupReferral, InformationRequest, Team
from referrals.models.lifecycle import ReferralState
from referrals.models.notices import ChaseRecord, Notification, OutboundEmail
from referrals.models.referral import Referral, ReferralQuerySet
from referrals.models.support import (
    ExtensionRequest,
    KeyDate,
    PlannedSession,
    Review,
    TherapySession,
)

__all__ = [
    "Allocation",
    "ChaseRecord",
    "ClockDeadline",
    "ClockStatusCode",
    "ClosureSummary",
    "CriticalIncident",
    "ExitPathway",
    "ExtensionRequest",
    "GroupReferral",
    "InformationRequest",
    "KeyDate",
    "Notification",
    "OutboundEmail",
    "PlannedSession",
    "Referral",
    "ReferralQuerySet",
    "ReferralState",
    "Review",
    "StoppedClock",
    "StoredReading",
    "Team",
    "TherapySession",
    "TransitionLog",
]
