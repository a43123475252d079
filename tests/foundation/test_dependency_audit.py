"""Issue 14 point 11: the dependency audit never passes quietly when it could check
nothing (scripts/dependency_audit.py), and CI runs it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
spec = importlib.util.spec_from_file_location(
    "dependency_audit", BASE_DIR / "scripts" / "dependency_audit.py"
)
audit = importlib.util.module_from_spec(spec)
sys.modules["dependency_audit"] = audit  # dataclasses look their module up there
spec.loader.exec_module(audit)


def dep(name, *, vulns=(), skip=None):
    found = {"name": name, "version": "1.0"}
    if skip:
        found["skip_reason"] = skip
    else:
        found["vulns"] = list(vulns)
    return found


def test_every_package_checked_and_clean_is_ok():
    verdict = audit.judge({"dependencies": [dep("django"), dep("celery")]}, returncode=0)
    assert (verdict.status, verdict.code) == ("OK", 0)
    assert "2 packages checked" in verdict.lines[0]


def test_a_known_vulnerability_fails():
    vuln = {"id": "PYSEC-2099-1", "fix_versions": ["5.2.99"]}
    verdict = audit.judge({"dependencies": [dep("django", vulns=[vuln])]}, returncode=1)
    assert (verdict.status, verdict.code) == ("VULNERABLE", 1)
    assert "PYSEC-2099-1" in "\n".join(verdict.lines)


def test_nothing_checked_is_said_loudly_never_as_a_clean_result():
    """What pip-audit does here: every package skipped, yet "No known vulnerabilities"."""
    skipped = "Dependency not found on PyPI and could not be audited"
    report = {"dependencies": [dep("django", skip=skipped), dep("celery", skip=skipped)]}
    verdict = audit.judge(report, returncode=0)
    text = "\n".join(verdict.lines)
    assert (verdict.status, verdict.code) == ("UNCHECKED", 3)
    assert "DEPENDENCY AUDIT DID NOT RUN" in text
    assert "Checked: 0 of 2" in text
    assert "status: UNCHECKED (3)" in text
    assert "No known vulnerabilities" not in text


def test_some_unchecked_packages_are_not_a_clean_result_either():
    report = {"dependencies": [dep("django"), dep("celery", skip="network")]}
    assert audit.judge(report, returncode=0).status == "UNCHECKED"


def test_no_report_at_all_is_unchecked_with_the_reason():
    verdict = audit.judge(None, returncode=1, stderr="ConnectionError: osv.dev unreachable")
    assert verdict.status == "UNCHECKED"
    assert "osv.dev unreachable" in "\n".join(verdict.lines)


@pytest.mark.parametrize(("strict", "expected"), [(None, 0), ("1", 3)])
def test_ci_is_not_failed_for_lack_of_network_unless_strict(monkeypatch, strict, expected):
    monkeypatch.setattr(audit, "run_pip_audit", lambda: (None, 1, "no network"))
    if strict:
        monkeypatch.setenv("CIRS_AUDIT_STRICT", strict)
    else:
        monkeypatch.delenv("CIRS_AUDIT_STRICT", raising=False)
    assert audit.main() == expected


def test_ci_runs_the_audit_and_pip_audit_is_pinned():
    assert "make audit" in (BASE_DIR / ".ci" / "run").read_text()
    assert "scripts/dependency_audit.py" in (BASE_DIR / "Makefile").read_text()
    assert "pip-audit==" in (BASE_DIR / "requirements-dev.txt").read_text()
