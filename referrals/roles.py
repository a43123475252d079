"""The roles of SERVICE.md ("Who uses it"), held as Django groups.

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


# PSW and SMPE make the same decisions (SERVICE.md: "triage every referral").
TRIAGE_ROLES = frozenset({Role.PSW, Role.SMPE})
# Who may make a group referral: "a line manager, service manager or Head of Service".
GROUP_REFERRER_ROLES = frozenset({Role.LINE_MANAGER, Role.SERVICE_LEAD, Role.PSW, Role.SMPE})


def group_name(role: Role) -> str:
    return Role(role).label
