"""Chasing every clock: who is told, when, and how each chase goes out exactly once.

docs/service.md, "Clocks": "A chase is sent once per clock and level, never twice, even
when the job runs again, crashes midway, or two workers run at once."

The rules below (``CHASE_RULES``) are the table of docs/service.md written as data. A
clock starts and stops as ``referrals/sla.py`` says (``sla.CLOCKS`` and the same
``clock_spans`` feed the badges), and each level fires at one moment of that clock:

* ``near``   — less than ``CIRS_CLOCK_NEAR_FRACTION`` of the working time to the first
  deadline (the target, or the limit when there is no target) is left;
* ``target`` — the target has passed;
* ``limit``  — the limit has passed, plus, for some levels, a configured number of
  further working days.

| clock           | stops when                                 | level 1                        | level 2                          | level 3                                   |
|-----------------|--------------------------------------------|--------------------------------|----------------------------------|-------------------------------------------|
| triage          | accepted or declined (more information     | PSW & SMPE, near the target    | PSW & SMPE, past the limit       |                                           |
|                 | pauses it, resubmission restarts it)       |                                |                                  |                                           |
| allocation      | a therapist is allocated                   | provider coordinator, near the | PSW, past the limit              |                                           |
|                 |                                            | target                         |                                  |                                           |
| first_meeting   | a first meeting is *held* (planning one    | therapist, past the 48-hour    | provider coordinator, past the   | PSW, limit + CIRS_FIRST_MEETING_PSW_AFTER_ |
|                 | does not stop it)                          | target                         | limit                            | LIMIT_DAYS working days                   |
| manager_contact | the manager contact is recorded            | therapist, near the limit      | PSW, past the limit              |                                           |
| review          | the review is recorded                     | therapist, near the limit      | therapist, past the limit        |                                           |
| closure_summary | the referral is closed with its summary    | therapist, near the limit      | PSW, past the limit              |                                           |
| key_date        | the date passes or is removed              | therapist, CIRS_KEY_DATE_REMINDER_DAYS calendar days before the date (a changed date is a new reminder) | | |
| session_reminder| the booked session is recorded or cancelled | the staff member, if they chose it at the first meeting, on the working day before the session (a moved session is a new reminder) | | |

How "exactly once" works: the ``ChaseRecord`` row for (referral, clock, level,
window) is inserted first, in the same transaction as the in-app notices and the
outbox rows. The unique constraint ``chase_once`` lets only one worker win (the
sweep inserts a batch's records with ``ON CONFLICT DO NOTHING`` and tells only the
people of the records it inserted); a crash rolls back the records together with the
e-mails, so the next sweep tries again; once committed, the outbox row is sent (and
retried) by ``flush_outbox`` until it goes.
The window is the moment the clock started, so a clock that restarts (triage after a
resubmission) is chased afresh, and a key date's window is its id and date.

Only the highest level that is due is sent: a sweep that first finds a clock past its
limit sends the escalation, not a late "getting close" notice as well.

How it stays set-based: every running clock keeps its deadlines on a ``ClockDeadline``
row (``referrals/chasing/deadlines.py``), rewritten by the services that start, stop or
pause it, with ``chase_at``: when its next chase not yet sent falls due. The sweep
selects ``chase_at <= now`` with an indexed range query, works through the rows in
batches of 1,000, and moves each row's ``chase_at`` on to the next level once it has
been dealt with. Each batch costs the same six statements however many chases it
sends: its rows, the chases already sent, one insert each for the claims, the outbox
rows and the in-app notices (``referrals/bulk.py``, ``notifications.notify_each``),
and one update of ``chase_at``.

Chases and reminders go out in working hours only (``CIRS_WORKING_HOURS`` on working
days, Europe/London): one found at night waits in the outbox until the next working
morning. Notices caused by a person's action (``referrals/notifications.py``) are
never held.
"""

from referrals.chasing.deadlines import recompute_all, refresh_deadlines
from referrals.chasing.digest import DigestItem, digest_items, send_weekly_digest
from referrals.chasing.rules import (
    CHASE_RULES,
    KEY_DATE_CLOCK,
    KEY_DATE_TEMPLATE,
    SESSION_REMINDER_CLOCK,
    SESSION_REMINDER_TEMPLATE,
    ChaseLevel,
    ChaseRule,
    To,
    When,
)
from referrals.chasing.stopped import recompute_stopped_clocks, refresh_stopped_clocks
from referrals.chasing.sweep import (
    recipients,
    remind_key_dates,
    remind_planned_sessions,
    sweep,
    sweep_deadlines,
)
from referrals.chasing.timing import due_at, level_moment, near_moment, send_at, window_for

__all__ = [
    "CHASE_RULES",
    "KEY_DATE_CLOCK",
    "KEY_DATE_TEMPLATE",
    "SESSION_REMINDER_CLOCK",
    "SESSION_REMINDER_TEMPLATE",
    "ChaseLevel",
    "ChaseRule",
    "DigestItem",
    "To",
    "When",
    "digest_items",
    "due_at",
    "level_moment",
    "near_moment",
    "recipients",
    "recompute_all",
    "recompute_stopped_clocks",
    "refresh_deadlines",
    "refresh_stopped_clocks",
    "remind_key_dates",
    "remind_planned_sessions",
    "send_at",
    "send_weekly_digest",
    "sweep",
    "sweep_deadlines",
    "window_for",
]
