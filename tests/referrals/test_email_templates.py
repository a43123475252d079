"""Every e-mail the code can send has its three templates (docs/architecture.md: "e-mails in
``templates/emails/`` as ``<name>_subject.txt``, ``<name>_body.txt``,
``<name>_body.html``"), and no e-mail template reads the event's details, the staff
member's contact details or anything said in sessions (docs/service.md: the closure summary
has "no personal information or session content"; e-mails carry a link, not the case).

The names are read from the source, so a new ``template="..."`` is checked the day it
is written: a keyword argument ``template=`` with a literal, or a module constant whose
name ends in ``_TEMPLATE``.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import engines
from django.template.loader import render_to_string

from accounts.signin_methods import how_to_sign_in
from referrals.chasing import CHASE_RULES, KEY_DATE_TEMPLATE
from referrals.notifications import FRAME_READS, render_email
from reporting.evaluation import INVITATION_TEMPLATE

ROOT = Path(settings.BASE_DIR)
EMAILS = ROOT / "templates" / "emails"
PARTS = ("_subject.txt", "_body.txt", "_body.html")
# What an e-mail must never read: the event, the staff member's contact details, and
# anything written about the support itself. (``summary_text`` is the anonymised,
# redacted closure summary, frozen by ``referrals.summaries.summary_text``.)
FORBIDDEN = re.compile(
    r"\b(event_details|description|staff_name|staff_email|staff_phone|line_manager_name|"
    r"line_manager_phone|therapist_notes|notes|comments?|question|answer|reason|"
    r"decline_reason|signposting|withdrawal_reason|cancellation_reason|label)\b"
)
LONDON = ZoneInfo("Europe/London")


def _names_in(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.keyword) and node.arg == "template":
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                names.add(node.value.value)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.endswith("_TEMPLATE"):
                    names.add(node.value.value)
    return names


def email_names_used() -> set[str]:
    names = set()
    for app in ("referrals", "reporting", "therapists"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                names |= _names_in(path)
    # Page templates passed as template= (none today) are not e-mails.
    return {n for n in names if "/" not in n and "." not in n}


USED = sorted(email_names_used())


def test_the_scan_finds_every_kind_of_e_mail():
    expected = {rule.template for rule in CHASE_RULES} | {
        KEY_DATE_TEMPLATE,
        INVITATION_TEMPLATE,
        "digest_triage",
        "digest_provider",
        "support_ended_manager",
        "support_ended_staff",
        "referral_submitted",
    }
    assert expected <= set(USED)


@pytest.mark.parametrize("name", USED)
def test_every_e_mail_used_in_code_has_subject_text_and_html(name):
    missing = [part for part in PARTS if not (EMAILS / f"{name}{part}").is_file()]
    assert missing == [], f"templates/emails/{name}: missing {missing}"


def test_no_e_mail_template_is_left_over_without_a_sender():
    files = {p.name for p in EMAILS.iterdir() if p.name != "base_email.html"}
    orphans = sorted(f for f in files if not any(f == f"{n}{part}" for n in USED for part in PARTS))
    assert orphans == []


@pytest.mark.parametrize("name", USED)
def test_no_e_mail_reads_event_details_contact_details_or_session_content(name):
    for part in PARTS:
        source = (EMAILS / f"{name}{part}").read_text()
        variables = re.findall(r"{{(.*?)}}|{%(.*?)%}", source)
        read = " ".join(a or b for a, b in variables)
        assert not FORBIDDEN.search(read), f"{name}{part} reads {FORBIDDEN.search(read)[0]}"


def _written_into_the_frame(name: str):
    """The e-mail's HTML as one template: its body's source written where the frame
    (``base_email.html``) says ``{{ email_body }}``, its ``{% load %}`` first."""
    frame = (EMAILS / "base_email.html").read_text()
    body = (EMAILS / f"{name}_body.html").read_text()
    loads = "".join(re.findall(r"{% load [^%]*%}", body))
    source = loads + re.sub(
        r"{{ email_body }}({#.*?#})?", lambda _: re.sub(r"{% load [^%]*%}", "", body), frame
    )
    return engines["django"].from_string(source)


def test_the_frame_reads_only_its_footers_words():
    # render_email keeps the frame drawn for each set of FRAME_READS: it must read
    # nothing else, or an e-mail would show another's words.
    frame = (EMAILS / "base_email.html").read_text()
    # What each tag reads: a {{ }} all of it, a {% %} all but its name (a block's name
    # is a name, not something read); never a filter's name or a quoted word.
    read = [*re.findall(r"{{(.*?)}}", frame)]
    for tag in re.findall(r"{%(.*?)%}", frame):
        name, _, rest = tag.strip().partition(" ")
        read.append("" if name in ("block", "endblock") else rest)
    read = re.sub(r"\"[^\"]*\"|'[^']*'|\|\s*\w+", "", " ".join(read))
    operators = {"and", "or", "not", "in", "is", "None", "True", "False"}
    names = {word.split(".")[0] for word in re.findall(r"[A-Za-z_][\w.]*", read)} - operators
    assert "how_to_sign_in" in names and "email_body" in names
    assert names <= {*FRAME_READS, "email_body"}, names - {*FRAME_READS, "email_body"}


def test_every_html_body_is_set_in_the_one_frame():
    frame = (EMAILS / "base_email.html").read_text()
    assert frame.count("{{ email_body }}") == 1
    for path in EMAILS.glob("*_body.html"):
        source = path.read_text()
        # Drawn first and set in the frame by render_email: never a frame of its own.
        assert "{% extends" not in source and "{% block" not in source, path.name
        assert "<html" not in source and "With thanks" not in source, path.name


@pytest.mark.parametrize("name", USED)
@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_e_mail_renders_as_one_subject_line_and_two_bodies(name, level):
    due = datetime(2026, 6, 8, 10, tzinfo=LONDON)
    item = SimpleNamespace(
        reference="CIRS-0042", clock_label="Triage decision", status="past its limit",
        due_at=due, url="https://cirs.example.org/referrals/42/",
    )  # fmt: skip
    context = {
        "user": SimpleNamespace(first_name="Sam"),
        "referral": SimpleNamespace(reference="CIRS-0042"),
        "url": "https://cirs.example.org/referrals/42/",
        "service_name": settings.CIRS_SERVICE_NAME,
        "level": level,
        "target_at": due,
        "limit_at": due,
        "key_date_on": due.date(),
        "items": [item],
        "request": SimpleNamespace(kind="extension", status="approved"),
        "summary_text": "Support came to a natural end.",
    }
    subject, text, html = render_email(name, context)
    # Rendered as each of its templates rendered alone would be (the HTML as if its body
    # were written into the frame), and the same again with the templates found once
    # for many e-mails (``notify_each``).
    signing_in = {"how_to_sign_in": how_to_sign_in(context["user"]), "can_sign_in": True}
    alone = [render_to_string(f"emails/{name}{part}", {**signing_in, **context}) for part in PARTS]
    written_in = _written_into_the_frame(name).render({**signing_in, **context})
    assert (subject, text, html) == (" ".join(alone[0].split()), alone[1], written_in)
    assert alone[2] in html and html.startswith("<!doctype html>")
    found: dict = {}
    assert render_email(name, context, found=found) == (subject, text, html)
    assert render_email(name, {**context, "level": level + 1}, found=found) == render_email(
        name, {**context, "level": level + 1}
    )
    assert list(found) == [name]
    assert "\n" not in subject and subject and len(subject) <= 200
    for body in (text, html):
        assert "https://cirs.example.org/" in body
        assert "{{" not in body and "{%" not in body
    assert "None" not in subject + text
