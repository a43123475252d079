"""docs/security-checklist.md row 10, one scoping mechanism: every read of a referral or of
anything hanging off one goes through ``referrals_visible_to`` (referrals/selectors.py).

The rule is checked on the source itself: a manager of these models used anywhere
outside the trusted, non-request modules below fails the suite, so a new view, form,
filter or template tag cannot quietly skip the visibility check.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED_PACKAGES = ("accounts", "referrals", "therapists", "reporting", "config")

# The models that hold a referral or part of one.
SCOPED_MODELS = frozenset(
    {
        "Referral",
        "TherapySession",
        "KeyDate",
        "Review",
        "ExtensionRequest",
        "ClosureSummary",
        "Allocation",
        "InformationRequest",
        "TransitionLog",
    }
)
MANAGER_ATTRIBUTES = frozenset({"objects", "_default_manager", "_base_manager"})

# Trusted modules, each with why it may use the managers directly. Views, forms,
# filters and template tags must never appear here.
ALLOWED = {
    "referrals/selectors.py": "the only way views read: built on referrals_visible_to",
    "referrals/sla.py": "the clocks' running filters, used only by the chase sweep (no user)",
    "referrals/mailer.py": "system job with no user: delivers the outbox",
    "referrals/retention.py": "system job with no user: erasure after retention",
    "reporting/figures.py": "aggregate-only, anonymised monitoring figures",
    "reporting/evaluation.py": (
        "submit_evaluation acts only for the referral's own staff member "
        "(is_staff_member), called after get_referral_for_user"
    ),
    "therapists/selectors.py": (
        "subqueries (sessions, key dates) and Prefetches of cases already scoped by "
        "referrals_visible_to"
    ),
}
ALLOWED_PREFIXES = {
    "referrals/models/": "the manager itself (ReferralQuerySet.visible_to) and the model rules",
    "referrals/services/": "writes, each after its permission check (require)",
    "referrals/chasing/": "system job with no user: SLA chasers",
    "referrals/management/commands/": "management commands run by an operator, no request",
    "therapists/management/commands/": "management commands run by an operator, no request",
    "referrals/migrations/": "schema and data migrations, no request",
    "therapists/migrations/": "schema and data migrations, no request",
    "reporting/migrations/": "schema and data migrations, no request",
}
# Modules that handle requests: these may never be allowed, whatever the list says.
REQUEST_FACING = ("/views/", "forms.py", "/forms/", "filters.py", "/templatetags/", "urls.py")


def _python_files() -> list[str]:
    files = []
    for package in SCANNED_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            files.append(path.relative_to(ROOT).as_posix())
    return sorted(files)


def _is_allowed(relative: str) -> bool:
    return relative in ALLOWED or any(relative.startswith(p) for p in ALLOWED_PREFIXES)


def manager_uses(source: str) -> list[tuple[int, str]]:
    """(line, "Model.objects") for every direct use of a scoped model's manager."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGER_ATTRIBUTES
            and isinstance(node.value, ast.Name)
            and node.value.id in SCOPED_MODELS
        ):
            uses.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return uses


def test_the_rule_catches_a_direct_read():
    source = (
        "from referrals.models import Referral, KeyDate\n"
        "def view(request, pk):\n"
        "    Referral.objects.get(pk=pk)\n"
        "    return KeyDate._default_manager.all()\n"
    )

    assert manager_uses(source) == [(3, "Referral.objects"), (4, "KeyDate._default_manager")]


def test_the_rule_ignores_other_models_and_lookalikes():
    source = (
        "Team.objects.all()\nreferral.key_dates.all()\nReferral.State.ACTIVE\nself.objects = 1\n"
    )

    assert manager_uses(source) == []


def test_the_scan_covers_every_view_module():
    files = _python_files()

    assert "referrals/views/intake.py" in files
    assert "therapists/views/cases.py" in files
    assert "reporting/views/evaluation.py" in files
    assert "referrals/templatetags/cirs.py" in files


@pytest.mark.parametrize("relative", [*ALLOWED, *ALLOWED_PREFIXES])
def test_no_request_facing_module_is_trusted(relative):
    assert not any(marker in relative for marker in REQUEST_FACING), relative


@pytest.mark.parametrize("relative", sorted(ALLOWED))
def test_every_allowed_module_exists_and_has_a_reason(relative):
    assert (ROOT / relative).is_file(), f"{relative} is allowed but no longer exists"
    assert ALLOWED[relative].strip()


def test_scoped_models_are_read_only_through_the_selectors():
    offences = []
    for relative in _python_files():
        if _is_allowed(relative):
            continue
        source = (ROOT / relative).read_text(encoding="utf-8")
        offences += [f"{relative}:{line}: {use}" for line, use in manager_uses(source)]

    assert offences == [], (
        "Read referrals and their parts through referrals/selectors.py "
        "(referrals_visible_to), not the model manager:\n" + "\n".join(offences)
    )
