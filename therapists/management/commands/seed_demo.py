"""Fictional demo data: a user for every role and referrals in every state.

Idempotent: users are matched by username, and referrals are only created when the
demo line managers have none yet. Every referral is made through the real services,
so the transition log and audit rows exist as in life. All names are invented.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role, group_name
from referrals import services
from referrals.chasing import refresh_deadlines, refresh_stopped_clocks
from referrals.clocks import earlier_today
from referrals.models import (
    CriticalIncident,
    ExitPathway,
    Referral,
    Review,
    Team,
    TherapySession,
    TransitionLog,
)
from referrals.selectors import referrals_visible_to
from therapists.models import Provider, Therapist, TherapistLeave

DEMO_PASSWORD = "cirs-demo-2026"

# username, first, last, role (None = staff member), phone
DEMO_USERS = [
    ("manager", "Amara", "Okonjo", Role.LINE_MANAGER, "0116 496 0101"),
    ("manager2", "Ben", "Hartley", Role.LINE_MANAGER, "0116 496 0102"),
    ("psw", "Priya", "Raman", Role.PSW, "0116 496 0103"),
    ("smpe", "Samuel", "Fenwick", Role.SMPE, "0116 496 0104"),
    ("coordinator", "Chris", "Dalton", Role.COORDINATOR, "0116 496 0105"),
    ("therapist", "Tess", "Moreland", Role.THERAPIST, "0116 496 0106"),
    ("therapist2", "Omar", "Quayle", Role.THERAPIST, "0116 496 0107"),
    ("therapist3", "Lena", "Voss", Role.THERAPIST, "0116 496 0108"),
    ("lead", "Helen", "Ashdown", Role.SERVICE_LEAD, "0116 496 0109"),
    ("staff", "Jo", "Pennant", None, "0116 496 0110"),
]
TEAMS = [
    "Child Protection North",
    "Children in Care South",
    "Fostering and Adoption",
    "Youth Justice",
]
STATE_STAFF = [
    ("draft", "Casey Lindqvist"),
    ("submitted", "Robin Achebe"),
    ("more_info", "Morgan Oduya"),
    ("declined", "Alex Penhaligon"),
    ("accepted", "Sam Rutherford"),
    ("allocated", "Jamie Ellery"),
    ("active", "Jo Pennant"),
    ("extension_requested", "Taylor Brightwell"),
    ("closed", "Drew Castellane"),
    ("withdrawn", "Riley Ashworth"),
]


class Command(BaseCommand):
    help = "Create fictional demo users for every role and referrals in every state."

    def handle(self, *args, **options):
        with transaction.atomic():
            users = self._users()
            provider, therapists = self._provider(users)
            teams = [Team.objects.get_or_create(name=name)[0] for name in TEAMS]
            made = self._referrals(users, provider, therapists, teams)
        self.stdout.write(
            self.style.SUCCESS("Demo data ready." if made else "Demo data already present.")
        )
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        for username, first, last, role, _ in DEMO_USERS:
            label = Role(role).label if role else "Staff member (referred practitioner)"
            self.stdout.write(f"  {username:<12} {first + ' ' + last:<18} {label}")

    def _users(self) -> dict:
        User = get_user_model()
        users = {}
        for username, first, last, role, phone in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                    "phone": phone,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            if role:
                user.groups.add(Group.objects.get(name=group_name(role)))
            users[username] = user
        return users

    def _provider(self, users):
        provider, _ = Provider.objects.get_or_create(
            name="Reed", defaults={"email": "cirs@reed.example.org"}
        )
        provider.coordinators.add(users["coordinator"])
        therapists = []
        for username, capacity in (("therapist", 8), ("therapist2", 6), ("therapist3", 4)):
            therapist, _ = Therapist.objects.get_or_create(
                user=users[username], defaults={"provider": provider, "capacity": capacity}
            )
            therapists.append(therapist)
        today = timezone.localdate()
        TherapistLeave.objects.get_or_create(
            therapist=therapists[2],
            defaults={"starts_on": today, "ends_on": today + timedelta(days=14), "note": "Leave"},
        )
        return provider, therapists

    def _referrals(self, users, provider, therapists, teams) -> bool:
        manager, manager2 = users["manager"], users["manager2"]
        if referrals_visible_to(manager).exists() or referrals_visible_to(manager2).exists():
            return False
        psw, coordinator = users["psw"], users["coordinator"]
        today = timezone.localdate()
        now = timezone.now()
        categories = list(CriticalIncident.Category.values)
        for index, (state, staff_name) in enumerate(STATE_STAFF):
            by = manager if index % 2 == 0 else manager2
            email = (
                "staff@example.org"
                if state == "active"
                else f"{staff_name.split()[0].lower()}@example.org"
            )
            referral = services.save_referral_draft(
                by=by,
                data={
                    "occurred_on": today - timedelta(days=3 + index),
                    "category": categories[index % len(categories)],
                    "team": teams[index % len(teams)],
                    "description": "Fictional demo incident.",
                    "staff_name": staff_name,
                    "staff_phone": f"07700 900{index:03d}",
                    "staff_email": email,
                    "event_details": "Fictional demo: a distressing event in the team's case work.",
                    "team_input": "unsure" if index % 3 == 0 else "no",
                    "discussion_date": today - timedelta(days=1),
                    "practitioner_agrees": True,
                },
            )
            if state == "draft":
                continue
            services.submit_referral(referral_id=referral.pk, by=by)
            if state == "submitted":
                continue
            if state == "more_info":
                services.request_more_information(
                    referral_id=referral.pk,
                    by=psw,
                    question="Could you say a little more about who else in the team was involved?",
                )
                continue
            if state == "declined":
                services.decline_referral(
                    referral_id=referral.pk,
                    by=psw,
                    reason="This sounds best supported through regular supervision for now.",
                    signposting="Supervision with your manager; the council's wellbeing service; your GP.",
                )
                continue
            services.accept_referral(referral_id=referral.pk, by=psw, provider=provider)
            if state == "accepted":
                continue
            if state == "withdrawn":
                services.withdraw_referral(
                    referral_id=referral.pk, by=by, reason="The staff member chose not to go ahead."
                )
                continue
            therapist = therapists[index % 2]
            services.allocate_referral(referral_id=referral.pk, therapist=therapist, by=coordinator)
            if state == "allocated":
                continue
            tuser = therapist.user
            services.record_first_meeting(
                referral_id=referral.pk, by=tuser, held_at=earlier_today(hours=2)
            )
            services.record_manager_contact(
                referral_id=referral.pk, by=tuser, contacted_at=earlier_today(hours=1)
            )
            if state == "active":
                services.save_key_date(
                    referral_id=referral.pk,
                    by=tuser,
                    kind="inquest",
                    date=today + timedelta(days=40),
                    label="Date to be confirmed",
                )
                services.plan_session(
                    referral_id=referral.pk,
                    by=tuser,
                    starts_at=timezone.localtime(now + timedelta(days=2)).replace(
                        hour=10, minute=0, second=0, microsecond=0
                    ),
                    mode="virtual",
                    link="https://meet.example.org/cirs-demo",
                )
                continue
            for minutes in (50, 30):
                services.record_therapy_session(
                    referral_id=referral.pk, by=tuser, held_at=earlier_today(minutes=minutes)
                )
            if state == "extension_requested":
                services.record_review(
                    referral_id=referral.pk,
                    by=tuser,
                    outcome=Review.Outcome.EXTEND,
                    reason="The inquest is coming up; more sessions would help.",
                )
                continue
            services.record_review(referral_id=referral.pk, by=tuser, outcome=Review.Outcome.CLOSE)
            services.close_referral(
                referral_id=referral.pk,
                by=tuser,
                exit_pathways=ExitPathway.objects.filter(code="wellbeing_service"),
                comments="Support went well and the sessions have come to a natural end.",
            )
        self._group_referral(users, teams, therapists, provider)
        self._age_some_referrals(manager, manager2)
        return True

    # How far back some referrals are moved, so the queues show "due soon" and "past the
    # limit" badges and beat's sweep has real chases to send while you watch.
    AGES = {
        "Robin Achebe": timedelta(days=4),  # awaiting triage: past the 2-working-day limit
        "Sam Rutherford": timedelta(days=1, hours=2),  # accepted: allocation getting late
        "Jamie Ellery": timedelta(days=8),  # allocated: first meeting past its limit
    }

    def _age_some_referrals(self, *managers) -> None:
        """Shift every timestamp of a few demo referrals back together, so their
        history stays consistent (demo data only; real referrals are never edited)."""
        for manager in managers:
            for referral in referrals_visible_to(manager).filter(staff_name__in=self.AGES):
                age = self.AGES[referral.staff_name]
                fields = [
                    "created_at",
                    "first_submitted_at",
                    "submitted_at",
                    "decided_at",
                    "allocated_at",
                ]
                Referral.objects.filter(pk=referral.pk).update(
                    **{f: getattr(referral, f) - age for f in fields if getattr(referral, f)}
                )
                for log in TransitionLog.objects.filter(referral=referral):
                    TransitionLog.objects.filter(pk=log.pk).update(at=log.at - age)
                # Its clocks now started earlier: store their deadlines again.
                refresh_deadlines([referral.pk])
                refresh_stopped_clocks([referral.pk])

    def _group_referral(self, users, teams, therapists, provider):
        lead, psw, coordinator = users["lead"], users["psw"], users["coordinator"]
        referral = services.create_group_referral(
            by=lead,
            data={
                "occurred_on": timezone.localdate() - timedelta(days=5),
                "category": CriticalIncident.Category.CHILD_DEATH_OR_INJURY,
                "team": teams[0],
                "description": "Fictional demo incident affecting a whole team.",
                "event_details": "Fictional demo: the team worked closely with the family.",
                "referrer_role": "head_of_service",
                "number_of_staff": 7,
                "group_consulted": True,
                "group_wishes_to_take_part": True,
            },
        )
        services.accept_referral(referral_id=referral.pk, by=psw, provider=provider)
        services.allocate_referral(referral_id=referral.pk, therapist=therapists[0], by=coordinator)
        services.record_group_session(
            referral_id=referral.pk,
            by=therapists[0].user,
            held_at=earlier_today(hours=3),
            attendees=6,
            mode=TherapySession.Mode.FACE_TO_FACE,
        )
