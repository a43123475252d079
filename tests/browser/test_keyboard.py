"""Keyboard only, and reflow (WCAG 2.1.1, 2.4.1, 2.4.7, 3.3.1, 1.4.10).

The referral form, the triage decision, a session record and the closure are each done
with the keyboard alone: Tab to move, typing, Space and the arrow keys to choose, Enter
to send. No clicks and no ``fill``: the page is reached by its address, and every key
after that is one a person would press. On every stop of the Tab key the focus ring must
show. A form sent with mistakes opens with the error summary focused, and its links take
focus to the fields.

Reflow: the main page of each role, the forms and the dashboard have no sideways scroll at
320 CSS px wide (what 1280 px looks like at 400% zoom) nor at 640 px (200% zoom).
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from referrals.models import CriticalIncident, ExitPathway, Referral, Team, TherapySession
from referrals.navigation import landing_url_name
from tests.browser.axe import Checker
from tests.browser.test_csp_walkthrough import WALKERS, demo_data  # noqa: F401 (a fixture)
from therapists.management.commands.seed_demo import DEMO_PASSWORD

MAX_TABS = 250
# What the active element is, and whether its focus ring shows (outline or box shadow).
FOCUS_STATE = """([selector, text]) => {
  const el = document.activeElement;
  if (!el || el === document.body) return {matches: false, body: true};
  const style = getComputedStyle(el);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return {
    matches: el.matches(selector) && (text === null || el.textContent.trim() === text),
    visible: ring || shadow,
    style: style.outlineStyle + " " + style.outlineWidth + " " + style.boxShadow,
    what: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + (el.textContent || el.name || "").trim().slice(0, 40),
  };
}"""

DATE_ORDER = """() => new Intl.DateTimeFormat(undefined, {year: "numeric", month: "2-digit", day: "2-digit"})
  .formatToParts(new Date(2000, 0, 2)).filter(p => p.type !== "literal").map(p => p.type)"""


class Keyboard:
    """One person's tab, driven by keys only."""

    def __init__(self, tab):
        self.tab = tab
        self.page = tab.page
        self.unseen_focus: list[str] = []

    def tab_to(self, selector: str, *, text: str | None = None) -> None:
        """Press Tab until the focus is on ``selector`` (with this text, if given); on
        the way, note any stop where the focus ring does not show."""
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Tab")
            state = self.page.evaluate(FOCUS_STATE, [selector, text])
            if state.get("body"):
                continue
            if not state["visible"]:
                self.unseen_focus.append(
                    f"{urlsplit(self.page.url).path}: {state['what']} ({state['style']})"
                )
            if state["matches"]:
                return
        raise AssertionError(f"Tab never reached {selector} on {self.page.url}")

    def type_into(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.type(text)

    def date_into(self, selector: str, day) -> None:
        """A date field in Chromium takes the date typed as its digits, in the order of
        the browser's language (day first in en-GB, month first in en-US)."""
        self.tab_to(selector)
        order = self.page.evaluate(DATE_ORDER)
        digits = {"day": f"{day:%d}", "month": f"{day:%m}", "year": f"{day:%Y}"}
        self.page.keyboard.type("".join(digits[part] for part in order))
        assert self.page.eval_on_selector(selector, "el => el.value") == day.isoformat()

    def choose(self, selector: str, label: str) -> None:
        """A drop-down list: type the start of the option, as a person would."""
        self.tab_to(selector)
        self.page.keyboard.type(label)
        chosen = self.page.eval_on_selector(
            selector, "el => el.options[el.selectedIndex].textContent.trim()"
        )
        assert chosen == label, (selector, chosen)

    def pick_radio(self, name: str, value: str, *, form: str = "") -> None:
        """Radio buttons: Tab goes to the group, the arrow keys move the choice. ``form``:
        the id prefix of the form, when several forms on the page ask the same."""
        self.tab_to(f"input[type=radio][name='{name}'][id^='id_{form}']")
        for _ in range(10):
            if self.page.evaluate("(v) => document.activeElement.value === v", value):
                break
            self.page.keyboard.press("ArrowDown")
        self.page.keyboard.press("Space")
        assert self.page.evaluate("() => document.activeElement.checked")

    def tick(self, selector: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.press("Space")
        assert self.page.is_checked(selector)

    def press_button(self, name: str) -> None:
        """Tab to the button with this text and press Enter; wait for the next page."""
        self.tab_to("button[type=submit]", text=name)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.page.wait_for_load_state("load")

    def active(self, script: str):
        return self.page.evaluate(
            f"() => {{ const el = document.activeElement; return {script}; }}"
        )


@pytest.fixture
def keyboard_tab(open_tab):
    def _open(username: str) -> Keyboard:
        tab = open_tab()
        tab.page.set_viewport_size({"width": 1280, "height": 800})
        tab.sign_in(username, DEMO_PASSWORD)
        return Keyboard(tab)

    return _open


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("demo_data")
def test_the_referral_form_is_done_with_the_keyboard_alone(live_server, keyboard_tab, axe_source):
    today = timezone.localdate()
    team = Team.objects.order_by("name").first()
    me = keyboard_tab("manager")
    page = me.page
    page.goto(reverse("referrals:create"))

    # The first Tab reaches the skip link; Enter takes focus to the main content.
    page.keyboard.press("Tab")
    assert me.active("el.textContent.trim()") == "Skip to main content"
    assert me.page.evaluate(FOCUS_STATE, ["a", None])["visible"]
    page.keyboard.press("Enter")
    assert me.active("el.id") == "main"

    # Sent with nothing filled in: the error summary opens focused, linked to the fields.
    me.press_button("Send referral")
    summary = page.get_by_test_id("error-summary")
    assert me.active("el.dataset.testid") == "error-summary"
    assert summary.get_by_role("heading", name="There is a problem").is_visible()
    links = summary.get_by_role("link")
    targets = links.evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert "#id_incident_date" in targets
    assert all(page.locator(target).count() == 1 for target in targets)
    page.keyboard.press("Tab")
    assert me.active("el.getAttribute('href')") == targets[0]
    page.keyboard.press("Enter")
    assert me.active("'#' + el.id") == targets[0]
    checker = Checker(axe_source)
    checker.check(me.tab, "line manager, form with mistakes")
    assert checker.violations == []

    # Now filled in properly, field by field, from the top.
    page.keyboard.press("Shift+Tab")
    me.date_into("#id_incident_date", today - timedelta(days=5))
    me.choose("#id_category", CriticalIncident.Category.PRACTITIONER_HARMED.label)
    me.choose("#id_team", team.name)
    me.type_into("#id_staff_name", "Sasha Kerrigan")
    me.type_into("#id_staff_phone", "07700 900123")
    me.type_into("#id_staff_email", "sasha.kerrigan@example.org")
    me.type_into("#id_event_details", "Sasha was threatened during a home visit.")
    me.pick_radio("team_input", Referral.TeamInput.YES.value)
    me.type_into("#id_team_input_details", "Two colleagues who were there.")
    me.date_into("#id_discussion_date", today - timedelta(days=1))
    me.tick("#id_practitioner_agrees")
    me.press_button("Send referral")

    problems = page.locator("[data-error-summary]").all_inner_texts()
    assert re.search(r"/referrals/\d+/$", page.url), problems
    referral = Referral.objects.get(staff_name="Sasha Kerrigan")
    assert referral.state == Referral.State.SUBMITTED
    assert referral.incident.team == team
    assert me.unseen_focus == [], "\n".join(me.unseen_focus)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("demo_data")
def test_triage_a_session_and_the_closure_are_done_with_the_keyboard_alone(
    live_server, keyboard_tab, axe_source
):
    # --- the PSW declines with no reason first: the summary takes focus -------------------
    waiting = Referral.objects.filter(state=Referral.State.SUBMITTED).order_by("pk").first()
    psw = keyboard_tab("psw")
    psw.page.goto(reverse("referrals:triage_decide", args=[waiting.pk]))
    psw.press_button("Decline")
    assert psw.active("el.dataset.testid") == "error-summary"
    assert psw.page.get_by_test_id("error-summary").get_by_role("link").count() >= 1
    checker = Checker(axe_source)
    checker.check(psw.tab, "PSW, decline with mistakes")
    assert checker.violations == [], "\n".join(checker.violations)
    waiting.refresh_from_db()
    assert waiting.state == Referral.State.SUBMITTED

    # --- then accepts it and sends it to the provider ---------------------------------------
    psw.choose("#id_accept-provider", "Reed")
    psw.press_button("Accept and send")
    waiting.refresh_from_db()
    assert waiting.state == Referral.State.ACCEPTED
    assert psw.unseen_focus == [], "\n".join(psw.unseen_focus)

    # --- the therapist records a session, then ends support -------------------------------
    case = Referral.objects.get(
        state=Referral.State.ACTIVE,
        kind=Referral.Kind.INDIVIDUAL,
        therapist__user__username="therapist",
    )
    sessions_before = case.therapy_sessions.count()
    tess = keyboard_tab("therapist")
    tess.page.goto(reverse("therapists:case", args=[case.pk]))
    tess.pick_radio("mode", TherapySession.Mode.FACE_TO_FACE.value, form="session")
    tess.press_button("Record the session")
    assert case.therapy_sessions.count() == sessions_before + 1
    assert case.therapy_sessions.latest("pk").mode == TherapySession.Mode.FACE_TO_FACE

    tess.page.goto(reverse("therapists:case", args=[case.pk]))
    pathway = ExitPathway.objects.order_by("order").first()
    tess.tick(f"input[name='exit_pathways'][value='{pathway.pk}']")
    tess.type_into("#id_closure_comments", "Support went well. They feel ready to carry on.")
    tess.press_button("Save and preview the summary")
    assert tess.page.url.endswith(reverse("therapists:closure_preview", args=[case.pk]))
    # The demo case has an inquest still to come: end support and say who follows it up.
    assert tess.page.get_by_test_id("dates-to-come").is_visible()
    tess.pick_radio("choice", "close", form="confirm")
    tess.type_into("#id_confirm_key_date_follow_up", "the team manager")
    tess.press_button("Send the summary and end support")
    case.refresh_from_db()
    assert case.state == Referral.State.CLOSED
    assert tess.unseen_focus == [], "\n".join(tess.unseen_focus)


# --- reflow ----------------------------------------------------------------------------------

REFLOW_WIDTHS = (320, 640)
SIDEWAYS = """() => ({
  page: document.documentElement.scrollWidth,
  view: document.documentElement.clientWidth,
  wide: [...document.querySelectorAll("main *")]
    .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .filter(el => !el.closest(".table-responsive, .chart-scroll, .table-scroll"))
    .slice(0, 5).map(el => el.tagName.toLowerCase() + "." + el.className),
})"""


def _key_pages(username: str) -> list[str]:
    user = get_user_model().objects.get(username=username)
    pages = [reverse(landing_url_name(user))]
    first = Referral.objects.order_by("pk")
    if username == "manager":
        pages += [reverse("referrals:create"), reverse("referrals:detail", args=[first[1].pk])]
    if username == "psw":
        waiting = first.filter(state=Referral.State.SUBMITTED).first()
        pages += [reverse("referrals:triage_decide", args=[waiting.pk])]
    if username == "coordinator":
        accepted = first.filter(state=Referral.State.ACCEPTED).first()
        pages += [reverse("therapists:allocate", args=[accepted.pk])]
    if username == "therapist":
        active = first.filter(
            state=Referral.State.ACTIVE,
            kind=Referral.Kind.INDIVIDUAL,
            therapist__user__username=username,
        )
        pages += [reverse("therapists:case", args=[active.first().pk])]
    return pages


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("demo_data")
def test_key_pages_reflow_at_320_and_640_css_pixels(live_server, open_tab):
    sideways: list[str] = []
    checked = 0
    tab = open_tab()
    for width in REFLOW_WIDTHS:
        tab.page.set_viewport_size({"width": width, "height": 800})
        tab.page.goto(reverse("login"))
        found = tab.page.evaluate(SIDEWAYS)
        if found["page"] > found["view"]:
            sideways.append(f"{width}px signed out, sign-in: {found}")
    for username in WALKERS.values():
        tab = open_tab()
        tab.sign_in(username, DEMO_PASSWORD)
        for path in _key_pages(username):
            for width in REFLOW_WIDTHS:
                tab.page.set_viewport_size({"width": width, "height": 800})
                tab.page.goto(path)
                checked += 1
                found = tab.page.evaluate(SIDEWAYS)
                if found["page"] > found["view"] or found["wide"]:
                    sideways.append(f"{width}px {username} {path}: {found}")
    assert checked >= 2 * 10
    assert sideways == [], "\n".join(sideways)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_reflow_check_sees_a_page_that_scrolls_sideways(live_server, open_tab):
    tab = open_tab()
    tab.page.set_viewport_size({"width": 320, "height": 800})
    tab.page.goto(reverse("login"))
    assert tab.page.evaluate(SIDEWAYS)["page"] <= 320
    # A heading made wider than the screen (set from script: the policy allows that) is
    # not in a scroll box of its own, so the page now scrolls sideways and the check says so.
    tab.page.evaluate("() => { document.querySelector('main h1').style.width = '900px'; }")
    found = tab.page.evaluate(SIDEWAYS)
    assert found["page"] > found["view"]
    assert found["wide"]
