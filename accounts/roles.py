"""The roles of the service (docs/service.md, "Roles"), held as Django groups.

A role's group is named by the role's stable code (``Role.value``, e.g. ``"psw"``),
never by its display label, so rewording a label cannot change who may do what. The
groups are created by migration ``accounts/0002_role_groups``.

The staff member who is referred is an ordinary user with no group: what they see
follows from being named on a referral, not from a role."""

from django.db import models


class Role(models.TextChoices):
    LINE_MANAGER = "line_manager", "Line manager"
    PSW = "psw", "Principal Social Worker"
    SMPE = "smpe", "Service Manager for Practice Excellence"
    COORDINATOR = "coordinator", "Provider coordinator"
    THERAPIST = "therapist", "Therapist"
    SERVICE_LEAD = "service_lead", "Service lead"


# PSW and SMPE make the same decisions (docs/service.md: "triage every referral").
TRIAGE_ROLES = frozenset({Role.PSW, Role.SMPE})
# Who may make a group referral: "a line manager, service manager or Head of Service".
GROUP_REFERRER_ROLES = frozenset({Role.LINE_MANAGER, Role.SERVICE_LEAD, Role.PSW, Role.SMPE})


def group_name(role: Role) -> str:
    """The name of the role's group: its stable code."""
    return Role(role).value


def ensure_role_groups(group_model) -> None:
    """One group per role. Called by the data migration and, in the test suite, after
    a transactional test has flushed the database."""
    for role in Role:
        group_model.objects.get_or_create(name=group_name(role))
