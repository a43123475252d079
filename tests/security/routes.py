"""Every route the project serves, and how the access-control tests use it.

``ROWS``: each route with an object id, how to point it at an object of a ``Target``
and which methods it answers (docs/security-checklist.md row 11). ``OTHER_ROUTES``: the routes
without one, each with a persona who may use it (``None``: signed out), for the CSRF
(#16) and no-store (#18) checks. ``PAGE_ROLES``: for each signed-in route without an
id, every persona who may use it (its cells of the URL x role table; everyone else
gets 403). A new route must be added here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import AuditEvent
from tests.security.conftest import PERSONAS, Target

GET, POST = "GET", "POST"
VIEW, DOWNLOAD = AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD


@dataclass(frozen=True)
class Row:
    methods: tuple[str, ...]
    kwargs: Callable[[Target], dict | None]
    # The audit action a shown page (200 on GET) must leave; None for non-referral objects.
    read_action: str | None = VIEW
    # Who may reach it, when that is not who may see the referral.
    visible_to: Callable[[Target], frozenset[str]] | None = None

    def visible(self, target: Target) -> frozenset[str]:
        if self.visible_to is not None:
            return self.visible_to(target)
        if self.read_action is None:  # a notification: its owner's alone
            return frozenset({target.notification_owner})
        return target.visible


def _referral(target: Target) -> dict:
    return {"referral_id": target.referral.pk}


def _key_date(target: Target) -> dict | None:
    if target.key_date is None:
        return None
    return {"referral_id": target.referral.pk, "key_date_id": target.key_date.pk}


def _extension_request(target: Target) -> dict | None:
    if target.extension_request is None:
        return None
    return {"referral_id": target.referral.pk, "request_id": target.extension_request.pk}


def _notification(target: Target) -> dict | None:
    if target.notification is None:
        return None
    return {"notification_id": target.notification.pk}


def _planned(target: Target) -> dict | None:
    if "planned" not in target.extra:
        return None
    return {"referral_id": target.referral.pk, "planned_id": target.extra["planned"].pk}


def _therapist(target: Target) -> dict | None:
    if target.referral.therapist_id is None:
        return None
    return {"therapist_id": target.referral.therapist_id}


def _leave(target: Target) -> dict | None:
    if "leave" not in target.extra:
        return None
    return {"therapist_id": target.referral.therapist_id, "leave_id": target.extra["leave"].pk}


def _pool_coordinator(target: Target) -> frozenset[str]:
    """A therapist's page is their own provider's coordinator's alone."""
    return (
        frozenset({target.extra["coordinator"]}) if "coordinator" in target.extra else frozenset()
    )


REFERRAL_FORM = Row((GET, POST), _referral)
REFERRAL_ACTION = Row((POST,), _referral)
REFERRAL_PAGE = Row((GET,), _referral)

ROWS: dict[str, Row] = {
    "referrals:notification_read": Row((POST,), _notification, read_action=None),
    "referrals:detail": REFERRAL_PAGE,
    "referrals:edit": REFERRAL_FORM,
    "referrals:answer": REFERRAL_FORM,
    "referrals:triage_decide": REFERRAL_FORM,
    "referrals:decide_extension": Row((POST,), _extension_request),
    "referrals:withdraw": REFERRAL_FORM,
    "therapists:allocate": REFERRAL_FORM,
    "therapists:case": REFERRAL_PAGE,
    "therapists:plan_first_meeting": REFERRAL_ACTION,
    "therapists:first_meeting": REFERRAL_ACTION,
    "therapists:manager_contact": REFERRAL_ACTION,
    "therapists:session": REFERRAL_ACTION,
    "therapists:group_session": REFERRAL_ACTION,
    "therapists:plan_session": REFERRAL_ACTION,
    "therapists:planned_session_edit": Row((GET, POST), _planned),
    "therapists:planned_session_record": Row((POST,), _planned),
    "therapists:review": REFERRAL_ACTION,
    "therapists:exceptional_session": REFERRAL_ACTION,
    "therapists:key_date_add": REFERRAL_ACTION,
    "therapists:key_date_edit": Row((GET, POST), _key_date),
    "therapists:key_date_remove": Row((POST,), _key_date),
    "therapists:key_date_ics": Row((GET,), _key_date, read_action=DOWNLOAD),
    "therapists:closure": REFERRAL_ACTION,
    "therapists:closure_preview": REFERRAL_PAGE,
    "therapists:closure_confirm": REFERRAL_ACTION,
    "reporting:evaluation": REFERRAL_FORM,
    "therapists:therapist_edit": Row(
        (GET, POST), _therapist, read_action=None, visible_to=_pool_coordinator
    ),
    "therapists:leave_add": Row(
        (POST,), _therapist, read_action=None, visible_to=_pool_coordinator
    ),
    "therapists:leave_remove": Row((POST,), _leave, read_action=None, visible_to=_pool_coordinator),
}

# Routes with a parameter that is not an object id, and why they need no row.
NOT_OBJECT_ROUTES = {
    "password_reset_confirm": "a signed, expiring token from the reset e-mail, not an id",
    "otp_enrol_link": "a one-time, expiring token from the set-up e-mail, not an id",
}


@dataclass(frozen=True)
class Use:
    methods: tuple[str, ...]
    persona: str | None  # who may use it; None for the signed-out pages
    kwargs: dict | None = None


OTHER_ROUTES: dict[str, Use] = {
    "home": Use((GET,), "manager"),
    "login": Use((GET, POST), None),
    "logout": Use((POST,), "manager"),
    "still_here": Use((POST,), "manager"),
    "otp_verify": Use((GET, POST), "manager"),
    "otp_enrol": Use((GET, POST), "manager"),
    "otp_enrol_link": Use((GET,), "manager", kwargs={"token": "set-up-token"}),
    "password_change": Use((GET, POST), "manager"),
    "password_change_done": Use((GET,), "manager"),
    "password_reset": Use((GET, POST), None),
    # Council sign-in (single sign-on): GET only, guarded by state, nonce and PKCE.
    "oidc_authentication_init": Use((GET,), None),
    "oidc_authentication_callback": Use((GET,), None),
    "password_reset_done": Use((GET,), None),
    "password_reset_confirm": Use(
        (GET, POST), None, kwargs={"uidb64": "MQ", "token": "set-password"}
    ),
    "password_reset_complete": Use((GET,), None),
    "referrals:notifications": Use((GET,), "manager"),
    "referrals:notifications_read_all": Use((POST,), "manager"),
    "referrals:mine": Use((GET,), "manager"),
    "referrals:create": Use((GET, POST), "manager"),
    "referrals:create_group": Use((GET, POST), "manager"),
    # The triage search posts, so a name typed in it never sits in a URL.
    "referrals:triage": Use((GET, POST), "psw"),
    "referrals:own": Use((GET,), "staff_member"),
    "referrals:extension_requests": Use((GET,), "psw"),
    "referrals:audit_log": Use((GET,), "psw"),
    "referrals:board": Use((GET,), "psw"),
    "referrals:board_csv": Use((GET,), "psw"),
    "referrals:undelivered_emails": Use((GET,), "psw"),
    "referrals:retry_email": Use((POST,), "psw"),
    "therapists:allocation_queue": Use((GET,), "coordinator"),
    "therapists:my_cases": Use((GET,), "therapist"),
    "therapists:pool": Use((GET,), "coordinator"),
    "therapists:therapist_add": Use((GET, POST), "coordinator"),
    "reporting:dashboard": Use((GET,), "service_lead"),
    "reporting:report_pdf": Use((GET,), "service_lead"),
    "reporting:report_status": Use((GET,), "service_lead"),
    "reporting:report_csv": Use((GET,), "service_lead"),
    "reporting:report_xlsx": Use((GET,), "service_lead"),
}

# Who may use each route with an object id, on our referral (tests/security/conftest.py):
# the allocated therapist for the case pages, else as listed.
OBJECT_ROUTE_USERS: dict[str, str] = {
    **{name: "therapist" for name in ROWS if name.startswith("therapists:")},
    "therapists:allocate": "coordinator",
    "therapists:therapist_edit": "coordinator",
    "therapists:leave_add": "coordinator",
    "therapists:leave_remove": "coordinator",
    "referrals:notification_read": "manager",
    "referrals:detail": "manager",
    "referrals:edit": "manager",
    "referrals:answer": "manager",
    "referrals:triage_decide": "psw",
    "referrals:decide_extension": "psw",
    "referrals:withdraw": "staff_member",
    "reporting:evaluation": "staff_member",
}


# --- the URL x role table for the routes without an id ----------------------------------

EVERYONE = frozenset(PERSONAS)  # anyone signed in; a list shows them only their own
TRIAGE = frozenset({"psw", "smpe"})
COORDINATORS = frozenset({"coordinator", "other_coordinator"})
THERAPISTS = frozenset({"therapist", "other_therapist"})
LINE_MANAGERS = frozenset({"manager", "other_manager"})
MONITORING = TRIAGE | {"service_lead"}

PAGE_ROLES: dict[str, frozenset[str]] = {
    "home": EVERYONE,
    "logout": EVERYONE,
    "still_here": EVERYONE,
    "otp_verify": EVERYONE,
    "otp_enrol": EVERYONE,
    "otp_enrol_link": EVERYONE,
    "password_change": EVERYONE,
    "password_change_done": EVERYONE,
    "referrals:notifications": EVERYONE,
    "referrals:notifications_read_all": EVERYONE,
    "referrals:mine": EVERYONE,
    "referrals:own": EVERYONE,
    "referrals:create": LINE_MANAGERS,
    # accounts.roles.GROUP_REFERRER_ROLES: service leads, the PSW and the SMPE too.
    "referrals:create_group": LINE_MANAGERS | MONITORING,
    "referrals:triage": TRIAGE,
    "referrals:extension_requests": TRIAGE,
    "referrals:audit_log": TRIAGE,
    # Issue 13's pages.
    "referrals:board": TRIAGE,
    "referrals:board_csv": TRIAGE,
    "referrals:undelivered_emails": TRIAGE,
    "referrals:retry_email": TRIAGE,
    "therapists:allocation_queue": COORDINATORS,
    "therapists:my_cases": THERAPISTS,
    "therapists:pool": COORDINATORS,
    "therapists:therapist_add": COORDINATORS,
    "reporting:dashboard": MONITORING,
    "reporting:report_pdf": MONITORING,
    "reporting:report_status": MONITORING,
    "reporting:report_csv": MONITORING,
    "reporting:report_xlsx": MONITORING,
}
