"""The sweep: every clock's chases and the key-date reminders, each sent exactly once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.roles import TRIAGE_ROLES, Role, group_name
from config.prepared import AnyOf
from referrals import clocks, sla
from referrals.bulk import insert_rows
from referrals.chasing import deadlines
from referrals.chasing.rules import (
    KEY_DATE_CLOCK,
    KEY_DATE_TEMPLATE,
    RULES_BY_CLOCK,
    SESSION_REMINDER_CLOCK,
    SESSION_REMINDER_TEMPLATE,
    ChaseLevel,
    ChaseRule,
    To,
)
from referrals.chasing.timing import level_moment, send_at, window_for
from referrals.models import ChaseRecord, ClockDeadline, KeyDate, PlannedSession, Referral
from referrals.notifications import Notice, ReferralNumber, notify, notify_each

# --- who is chased -----------------------------------------------------------------------


class _People:
    """Who may be chased, each read at most once per sweep: the role holders, each
    provider's coordinators, and the therapists."""

    def __init__(self) -> None:
        self._coordinators: dict[int, list] = {}
        self._users: dict[int, object] = {}

    @cached_property
    def triagers(self) -> list:
        return list(role_holders(*TRIAGE_ROLES))

    @cached_property
    def psw(self) -> list:
        return list(role_holders(Role.PSW))

    def load(self, *, provider_ids: Iterable = (), user_ids: Iterable = ()) -> None:
        """Read the coordinators of these providers and these people, those not read
        yet (at most two queries)."""
        providers = {p for p in provider_ids if p is not None} - self._coordinators.keys()
        if providers:
            provider_model = Referral._meta.get_field("provider").related_model
            for provider_id in providers:
                self._coordinators[provider_id] = []
            for link in (
                provider_model.coordinators.through.objects.filter(provider_id__in=providers)
                .select_related("user")
                .order_by("user__first_name", "user__last_name", "user_id")
            ):
                self._coordinators[link.provider_id].append(link.user)
        users = {u for u in user_ids if u is not None} - self._users.keys()
        if users:
            for user in get_user_model().objects.filter(pk__in=users):
                self._users[user.pk] = user

    def coordinators(self, provider_id: int | None) -> list:
        return self._coordinators.get(provider_id, [])

    def user(self, user_id: int | None):
        return self._users.get(user_id)


def role_holders(*roles):
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[group_name(r) for r in roles])
        .distinct()
    )


def recipients(
    to: tuple[To, ...], *, provider_id: int | None, therapist_user_id: int | None, people: _People
) -> list:
    """The people a chase goes to (``people.load`` has read the provider's coordinators
    and the therapist)."""
    found = []
    for kind in to:
        if kind == To.TRIAGERS:
            found += people.triagers
        elif kind == To.PSW:
            found += people.psw
        elif kind == To.COORDINATOR and provider_id:
            found += people.coordinators(provider_id)
        elif kind == To.THERAPIST and therapist_user_id:
            found.append(people.user(therapist_user_id))
    return list({u.pk: u for u in found if u is not None and u.is_active}.values())


# --- the sweep ---------------------------------------------------------------------------


BATCH = 1000


def _due_ids(now: datetime) -> list[int]:
    """Every stored deadline whose next chase has fallen due: one indexed range query
    on ``chase_at`` (like healthchecks' ``alert_after``), whatever the number of rows
    that are not due."""
    today = timezone.localdate(now)
    return list(
        ClockDeadline.objects.filter(deadlines.running(today), chase_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _due_rows(now: datetime, ids: list[int], people: _People) -> list[ClockDeadline]:
    """One batch of due rows with what their chases need: of the referral only its
    provider and its therapist's account, whose people ``people`` reads once a sweep
    (an e-mail names the referral by its number, nothing more: ``ReferralNumber``). A
    row another sweep has moved on meanwhile is left out."""
    rows = list(
        # The ids as one array parameter on PostgreSQL, not a placeholder each (1,000 a
        # batch): about 12 ms a batch less (config/prepared.py, ``AnyOf``).
        ClockDeadline.objects.filter(AnyOf(F("pk"), ids), chase_at__lte=now)
        .annotate(
            provider_id=F("referral__provider_id"),
            therapist_user_id=F("referral__therapist__user_id"),
        )
        .order_by("pk")
    )
    people.load(
        provider_ids=[r.provider_id for r in rows], user_ids=[r.therapist_user_id for r in rows]
    )
    return rows


def _move_on(rows: list[ClockDeadline]) -> None:
    """Each row's ``chase_at`` moved to its next level, in one statement."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        ClockDeadline.objects.bulk_update(rows, ["chase_at"], batch_size=BATCH)
        return
    # bulk_update's CASE costs more to build than to run; two arrays cost nothing.
    table = connection.ops.quote_name(ClockDeadline._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET chase_at = m.chase_at "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS m(id, chase_at) WHERE d.id = m.id",
            [[r.pk for r in rows], [r.chase_at for r in rows]],
        )


def _highest_due(rule: ChaseRule, row: ClockDeadline, now: datetime) -> ChaseLevel | None:
    for level in sorted(rule.levels, key=lambda lv: lv.level, reverse=True):
        moment = level_moment(level, row)
        if moment is not None and now > moment:
            return level
    return None


def sweep_deadlines(*, now: datetime, people: _People | None = None) -> int:
    """Send every clock chase due at ``now``; returns how many were sent.

    Once a sweep: the due rows' ids (an indexed range on ``chase_at``), the role
    holders, and each provider's coordinators and each therapist as first met. Then the
    same six statements for every batch of 1,000 due rows, whatever the number of chases
    in it: the rows, the chases already sent; in one transaction, the claims of the
    chases due (one ``INSERT ... ON CONFLICT DO NOTHING``), their outbox rows and their
    in-app notices; then one ``UPDATE`` moving each row's ``chase_at`` on. Two sweeps at
    once both try the claims; the unique key ``chase_once`` lets one win each chase,
    and the other moves on without telling anyone."""
    people = people or _People()
    sent = 0
    hold = send_at(now)  # out of working hours, the e-mails wait for the morning
    detail_url = _detail_urls()
    due = _due_ids(now)
    for start in range(0, len(due), BATCH):
        rows = _due_rows(now, due[start : start + BATCH], people)
        if not rows:
            continue
        chased: dict = {}
        for referral_id, clock, level, window in ChaseRecord.objects.filter(
            AnyOf(F("referral_id"), sorted({r.referral_id for r in rows})),
            clock__in={r.clock for r in rows},
        ).values_list("referral_id", "clock", "level", "window"):
            key = (referral_id, clock, window)
            chased[key] = max(chased.get(key, 0), level)
        chases = []
        moved = []
        for row in rows:
            rule = RULES_BY_CLOCK.get(row.clock)
            if rule is None:
                continue
            window = window_for(row.started_at)
            done = chased.get((row.referral_id, row.clock, window), 0)
            level = _highest_due(rule, row, now)
            if level is not None and level.level > done:
                users = recipients(
                    level.to,
                    provider_id=row.provider_id,
                    therapist_user_id=row.therapist_user_id,
                    people=people,
                )
                if not users:
                    continue  # nobody to tell yet: due again at the next sweep
                chases.append(_Chase(row, rule, level, window, users))
                done = level.level
            row.chase_at = deadlines.next_chase_at(row, after_level=done)
            moved.append(row)
        sent += _claim_and_tell(chases, now=now, hold=hold, detail_url=detail_url)
        _move_on(moved)
    return sent


@dataclass(frozen=True)
class _Chase:
    row: ClockDeadline
    rule: ChaseRule
    level: ChaseLevel
    window: str
    users: list

    @property
    def key(self) -> tuple:
        return (self.row.referral_id, self.rule.clock, self.level.level, self.window)


def _detail_urls():
    """The referral page's address for any referral, ``reverse`` called once."""
    marker = "987654321"
    address = reverse("referrals:detail", args=[int(marker)])
    return lambda referral_id: address.replace(marker, str(referral_id))


def _claim_and_tell(chases: list[_Chase], *, now: datetime, hold: datetime, detail_url) -> int:
    """Claim a batch of chases and queue the notices of those won, in one transaction:
    a crash rolls back the claims with the e-mails, and the next sweep sends them."""
    if not chases:
        return 0
    # One order for every sweep, so two claiming the same chases never wait on each
    # other in a circle.
    chases = sorted(chases, key=lambda c: c.key)
    with transaction.atomic():
        won = _claim([c.key for c in chases], now=now)
        mine = [c for c in chases if c.key in won]
        notify_each(
            [
                Notice(
                    recipients=tuple(c.users),
                    template=c.rule.template,
                    key=f"chase:{c.row.referral_id}:{c.rule.clock}:{c.level.level}:{c.window}",
                    referral=ReferralNumber(c.row.referral_id),
                    context={
                        "level": c.level.level,
                        "when": c.level.when.value,
                        "clock_label": sla.LABELS[c.row.clock],
                        "started_at": c.row.started_at,
                        "target_at": c.row.target_at,
                        "limit_at": c.row.limit_at,
                    },
                    url=detail_url(c.row.referral_id),
                    not_before=hold,
                )
                for c in mine
            ]
        )
    return len(mine)


def _claim(keys: list[tuple], *, now: datetime) -> set[tuple]:
    """Insert the ``ChaseRecord`` of each (referral, clock, level, window) in one
    statement and return those this sweep inserted. A record another sweep holds is
    skipped (PostgreSQL first waits for that sweep to commit or roll back)."""
    records = [
        {"referral_id": r, "clock": c, "level": lv, "window": w, "created_at": now}
        for r, c, lv, w in keys
    ]
    inserted = insert_rows(
        ChaseRecord,
        records,
        returning=("referral", "clock", "level", "window"),
        skip_conflicts=True,
    )
    return set(inserted)


def _record_and_tell(
    referral, *, clock, level, window, users, template, context, now, url=None
) -> int:
    """Insert the ChaseRecord, then the notices and outbox rows, in one transaction.
    Losing the race for the record means another sweep already sent this chase."""
    url = url or reverse("referrals:detail", args=[referral.pk])
    with transaction.atomic():
        try:
            with transaction.atomic():
                ChaseRecord.objects.create(
                    referral=referral, clock=clock, level=level, window=window, created_at=now
                )
        except IntegrityError:
            return 0
        notify(
            users,
            template=template,
            referral=referral,
            context=context,
            url=url,
            key=f"chase:{referral.pk}:{clock}:{level}:{window}",
            not_before=send_at(now),
        )
    return 1


def remind_key_dates(*, now: datetime, people: _People | None = None) -> int:
    """docs/service.md "key date approaching | 7 days before | therapist (reminder)": one
    reminder per key date and date, from ``CIRS_KEY_DATE_REMINDER_DAYS`` days before it."""
    today = timezone.localdate(now, clocks.WORKING_TIME_ZONE)
    due = list(
        KeyDate.objects.filter(
            date__gte=today,
            date__lte=today + timedelta(days=clocks.key_date_reminder_days()),
            referral__state__in=Referral.SUPPORT_STATES,
            referral__therapist__isnull=False,
            referral__personal_data_erased_at__isnull=True,  # stalled, then erased
        )
        .select_related("referral__therapist")
        .order_by("pk")
    )
    if not due:
        return 0
    done = set(
        ChaseRecord.objects.filter(
            clock=KEY_DATE_CLOCK, referral_id__in={k.referral_id for k in due}
        ).values_list("referral_id", "window")
    )
    people = people or _People()
    people.load(user_ids=[k.referral.therapist.user_id for k in due])
    sent = 0
    for key_date in due:
        window = f"{key_date.pk}:{key_date.date.isoformat()}"
        if (key_date.referral_id, window) in done:
            continue
        referral = key_date.referral
        users = recipients(
            (To.THERAPIST,),
            provider_id=referral.provider_id,
            therapist_user_id=referral.therapist.user_id,
            people=people,
        )
        if not users:
            continue
        sent += _record_and_tell(
            referral,
            clock=KEY_DATE_CLOCK,
            level=1,
            window=window,
            users=users,
            template=KEY_DATE_TEMPLATE,
            context={"key_date_on": key_date.date},
            now=now,
        )
    return sent


def remind_planned_sessions(*, now: datetime) -> int:
    """The staff member's reminder of a booked session, on the working day before it
    (``clocks.is_working_day_before``), if they chose it at the first meeting; once per
    session and date."""
    today = timezone.localdate(now, clocks.WORKING_TIME_ZONE)
    if not clocks.is_working_day(today):
        return 0
    last = clocks.next_working_day(today)
    due = [
        planned
        for planned in PlannedSession.objects.filter(
            status=PlannedSession.Status.PLANNED,
            starts_at__gt=now,
            starts_at__lt=clocks.start_of_day(last + timedelta(days=1)),
            referral__staff_wants_reminders=True,
            referral__state__in=Referral.SUPPORT_STATES,
            referral__personal_data_erased_at__isnull=True,
        )
        .select_related("referral__staff_user")
        .order_by("pk")
        if clocks.is_working_day_before(
            today, timezone.localdate(planned.starts_at, clocks.WORKING_TIME_ZONE)
        )
    ]
    sent = 0
    for planned in due:
        referral = planned.referral
        staff = referral.staff_user if referral.staff_user_id else referral.staff_email
        if not staff:
            continue
        sent += _record_and_tell(
            referral,
            clock=SESSION_REMINDER_CLOCK,
            level=1,
            window=f"{planned.pk}:{planned.starts_at.isoformat()}",
            users=[staff],
            template=SESSION_REMINDER_TEMPLATE,
            context={"planned": planned},
            now=now,
            url=reverse("referrals:own"),
        )
    return sent


def sweep(*, now: datetime | None = None) -> int:
    """Chase every clock and send key-date reminders due at ``now``; returns how many
    chases were sent (a chase to two people counts once)."""
    now = now or timezone.now()
    people = _People()
    sent = sweep_deadlines(now=now, people=people)
    return sent + remind_key_dates(now=now, people=people) + remind_planned_sessions(now=now)
