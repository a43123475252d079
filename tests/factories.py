"""Factories create the starting state; later states come through the real services
(``tests/flow.py``), so logs and audit rows exist as in life."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, group_name
from referrals.models import Team
from therapists.models import Provider, Therapist


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = "Example"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    phone = "0116 496 0000"
    password = factory.PostGenerationMethodCall("set_password", "a-long-test-passphrase")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.groups.add(Group.objects.get(name=group_name(role)))
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("name",)

    name = "Reed"
    email = "reed@example.org"


class TherapistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Therapist

    user = factory.SubFactory(UserFactory, roles=[Role.THERAPIST])
    provider = factory.SubFactory(ProviderFactory)
    capacity = 6


def referral_data(team, **overrides) -> dict:
    """Appendix 1 as a line manager would fill it in; eligible today."""
    today = timezone.localdate()
    data = {
        "occurred_on": today - timedelta(days=7),
        "category": "practitioner_harmed",
        "team": team,
        "description": "Test incident description",
        "staff_name": "Robin Testperson",
        "staff_phone": "07700 900123",
        "staff_email": "robin@example.org",
        "event_details": "Test event details",
        "team_input": "no",
        "team_input_details": "",
        "discussion_date": today - timedelta(days=1),
        "practitioner_agrees": True,
    }
    data.update(overrides)
    return data
