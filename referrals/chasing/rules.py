"""Who is chased about each clock, and when: the table of docs/service.md ("Clocks")
written as data. Whether a clock runs, and from when, is ``referrals/sla.py``."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.conf import settings


class When(enum.StrEnum):
    NEAR = "near"
    TARGET = "target"
    LIMIT = "limit"


class To(enum.StrEnum):
    """Who a chase goes to."""

    TRIAGERS = "triagers"  # the PSW and the SMPE
    PSW = "psw"
    COORDINATOR = "coordinator"  # the coordinators of the referral's provider
    THERAPIST = "therapist"  # the therapist allocated now


@dataclass(frozen=True)
class ChaseLevel:
    level: int
    when: When
    to: tuple[To, ...]
    # Working days after the limit, read from this setting (default 0).
    after_limit_setting: str | None = None

    def after_limit_days(self) -> int:
        if self.after_limit_setting is None:
            return 0
        return int(getattr(settings, self.after_limit_setting))


@dataclass(frozen=True)
class ChaseRule:
    """Who is chased about one clock, and when. Whether the clock runs, and from when,
    is ``sla.clock_runs``: written once, for the badges and the chases."""

    clock: str
    template: str
    levels: tuple[ChaseLevel, ...]


CHASE_RULES: tuple[ChaseRule, ...] = (
    ChaseRule(
        clock="triage",
        template="chase_triage",
        levels=(
            ChaseLevel(1, When.NEAR, (To.TRIAGERS,)),
            ChaseLevel(2, When.LIMIT, (To.TRIAGERS,)),
        ),
    ),
    ChaseRule(
        clock="allocation",
        template="chase_allocation",
        levels=(
            ChaseLevel(1, When.NEAR, (To.COORDINATOR,)),
            ChaseLevel(2, When.LIMIT, (To.PSW,)),
        ),
    ),
    ChaseRule(
        clock="first_meeting",
        template="chase_first_meeting",
        levels=(
            ChaseLevel(1, When.TARGET, (To.THERAPIST,)),
            ChaseLevel(2, When.LIMIT, (To.COORDINATOR,)),
            ChaseLevel(
                3,
                When.LIMIT,
                (To.PSW,),
                after_limit_setting="CIRS_FIRST_MEETING_PSW_AFTER_LIMIT_DAYS",
            ),
        ),
    ),
    ChaseRule(
        clock="manager_contact",
        template="chase_manager_contact",
        levels=(
            ChaseLevel(1, When.NEAR, (To.THERAPIST,)),
            ChaseLevel(2, When.LIMIT, (To.PSW,)),
        ),
    ),
    ChaseRule(
        clock="review",
        template="chase_review",
        levels=(
            ChaseLevel(1, When.NEAR, (To.THERAPIST,)),
            ChaseLevel(2, When.LIMIT, (To.THERAPIST,)),
        ),
    ),
    ChaseRule(
        clock="closure_summary",
        template="chase_closure_summary",
        levels=(
            ChaseLevel(1, When.NEAR, (To.THERAPIST,)),
            ChaseLevel(2, When.LIMIT, (To.PSW,)),
        ),
    ),
)
KEY_DATE_CLOCK = "key_date"
KEY_DATE_TEMPLATE = "reminder_key_date"
# A booked session: the staff member, the working day before, if they chose it.
SESSION_REMINDER_CLOCK = "session_reminder"
SESSION_REMINDER_TEMPLATE = "reminder_session"

RULES_BY_CLOCK: dict[str, ChaseRule] = {rule.clock: rule for rule in CHASE_RULES}
