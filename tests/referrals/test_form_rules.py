"""Forms, everywhere: every text field has a length limit, a counter and a kind message;
every rule error shows at once; fields needed to send are marked."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import timedelta

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from referrals.forms import AnswerForm, ReferralForm
from referrals.forms.common import LONG_TEXT_MAX, SHORT_TEXT_MAX, KindForm, apply_text_limits
from referrals.forms.intake import GroupReferralForm

APPS = ("referrals", "reporting", "therapists", "accounts")


def project_forms() -> list[type[forms.BaseForm]]:
    found = []
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module.name or ".management" in module.name:
                continue
            loaded = importlib.import_module(module.name)
            for obj in vars(loaded).values():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, forms.BaseForm)
                    and obj.__module__ == loaded.__name__
                ):
                    found.append(obj)
    return found


def test_every_form_limits_every_text_field():
    """A form of ours is a ``KindForm`` (which gives each text field a limit, a counter
    and the kind message), or — in ``accounts``, below ``referrals`` — limits each text
    field itself."""
    checked, problems = 0, []
    for form_class in project_forms():
        if issubclass(form_class, KindForm):
            checked += 1
            continue
        try:
            fields = form_class().fields  # limits set when the form is made count too
        except TypeError:
            fields = form_class.base_fields
        for name, field in fields.items():
            if isinstance(field, forms.CharField) and field.max_length is None:
                problems.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
        checked += 1
    assert problems == []
    assert checked >= 20


def test_a_text_field_without_a_limit_gets_one_and_a_counter():
    class Sample(forms.Form):
        note = forms.CharField(widget=forms.Textarea)
        title = forms.CharField()
        code = forms.CharField(max_length=16)

    form = Sample()
    apply_text_limits(form)

    assert form.fields["note"].max_length == LONG_TEXT_MAX
    assert form.fields["title"].max_length == SHORT_TEXT_MAX
    assert form.fields["code"].max_length == 16
    html = str(form["note"])
    assert f'data-limit="{LONG_TEXT_MAX}"' in html
    assert "maxlength" not in html  # the browser would cut pasted text off silently
    assert 'aria-required="true"' in html


def test_too_long_gets_a_kind_message_and_keeps_the_text():
    text = "word " * (LONG_TEXT_MAX // 5 + 20)
    form = AnswerForm({"answer": text})

    assert not form.is_valid()
    (message,) = form.errors["answer"]
    assert f"longer than the {LONG_TEXT_MAX} characters" in message
    assert f"(it has {len(text.strip())})" in message
    assert "Everything you typed is still here" in message
    assert form["answer"].value() == text


def test_every_sending_rule_shows_at_once(db, team):
    """A referral sent with a bad telephone number, no agreement, no conversation date
    and no details: every message in one go, not one per press of the button."""
    form = ReferralForm(
        {
            "incident_date": (timezone.localdate() - timedelta(days=2)).isoformat(),
            "category": "practitioner_harmed",
            "team": team.pk,
            "team_input": "no",
            "staff_name": "",
            "staff_phone": "not a number",
        },
        sending=True,
    )

    assert not form.is_valid()
    assert set(form.errors) >= {
        "staff_phone",
        "practitioner_agrees",
        "discussion_date",
        "staff_name",
        "event_details",
    }
    # The phone has its own message; no second one about a way to reach them.
    assert "staff_email" not in form.errors


def test_a_draft_needs_none_of_the_sending_rules(db, team):
    form = ReferralForm(
        {
            "incident_date": (timezone.localdate() - timedelta(days=2)).isoformat(),
            "category": "practitioner_harmed",
            "team": team.pk,
            "team_input": "no",
        }
    )

    assert form.is_valid(), form.errors


def test_the_group_form_shows_consent_and_date_together(db, team):
    form = GroupReferralForm(
        {
            "referrer_role": "line_manager",
            "number_of_staff": 4,
            "incident_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "category": "practitioner_harmed",
            "team": team.pk,
            "event_details": "A group was affected.",
        }
    )

    assert not form.is_valid()
    assert {"incident_date", "group_consulted"} <= set(form.errors)


def test_fields_needed_to_send_are_marked(client, manager):
    client.force_login(manager)

    page = client.get(reverse("referrals:create")).content.decode()
    form = ReferralForm()

    for name in ReferralForm.NEEDED_TO_SEND:
        html = str(form[name])
        assert 'aria-required="true"' in html, name
        assert f"{form.fields[name].label}" in page
        assert ReferralForm.NEEDED_MARK.strip() in form.fields[name].label
    # Fields a draft needs are required outright (marked by the form itself).
    assert 'id="id_incident_date"' in page
    assert "required" in str(form["incident_date"])


@pytest.mark.parametrize("persona", ["manager"])
def test_the_counter_script_is_on_every_page_with_its_nonce(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse("referrals:create")).content.decode()

    assert "cirs/counter.js" in page
    line = next(line for line in page.splitlines() if "cirs/counter.js" in line)
    assert 'nonce="' in line
