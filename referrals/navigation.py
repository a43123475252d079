"""The navigation and landing page for each role. Built from the permission
predicates, so templates never test roles."""

from __future__ import annotations

from dataclasses import dataclass

from config.reversing import reverse_fixed
from referrals import permissions as perms
from referrals.selectors import own_support


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str

    @property
    def url(self) -> str:
        return reverse_fixed(self.url_name)


def navigation_for(user, *, has_own_support: bool | None = None) -> list[NavItem]:
    """``has_own_support``: whether this person has a referral of their own past draft
    (read here when the caller has not read it already)."""
    items: list[NavItem] = []
    if perms.is_triager(user):
        items += [
            NavItem("Triage", "referrals:triage"),
            NavItem("Oversight board", "referrals:board"),
            NavItem("Extension requests", "referrals:extension_requests"),
            NavItem("Audit log", "referrals:audit_log"),
            NavItem("Undelivered e-mails", "referrals:undelivered_emails"),
        ]
    if perms.can_make_referral(user):
        items += [
            NavItem("My referrals", "referrals:mine"),
            NavItem("New referral", "referrals:create"),
        ]
    if perms.can_make_group_referral(user):
        items.append(NavItem("Group referral", "referrals:create_group"))
    if perms.is_coordinator(user):
        items += [
            NavItem("Allocation", "therapists:allocation_queue"),
            NavItem("Therapists", "therapists:pool"),
        ]
    if perms.is_therapist(user):
        items.append(NavItem("My cases", "therapists:my_cases"))
    if perms.can_see_reports(user):
        items.append(NavItem("Monitoring", "reporting:dashboard"))
    if has_own_support is None:
        has_own_support = own_support_exists(user)
    if has_own_support:
        items.append(NavItem("My support", "referrals:own"))
    return items


def own_support_exists(user) -> bool:
    return own_support(user).exists()


def landing_url_name(user) -> str:
    """Where someone lands after signing in: the first thing their role does."""
    if perms.is_triager(user):
        return "referrals:triage"
    if perms.is_coordinator(user):
        return "therapists:allocation_queue"
    if perms.is_therapist(user):
        return "therapists:my_cases"
    if perms.is_line_manager(user):
        return "referrals:mine"
    if perms.is_service_lead(user):
        return "reporting:dashboard"
    return "referrals:own"
