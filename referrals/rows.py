"""What a list page's rows show, worked out once in Python.

A list page draws 50 rows. Through the template engine, every ``{% url %}``, filter,
include and custom tag in a row costs again for each row; here each row's text, links
and badges are made once, with plain string work, and the template only places them
(docs/performance.md, "What keeps it fast"). The words are the same as the templates'
(``{% clock_badge %}`` itself uses ``badge_html``).
"""

from __future__ import annotations

import functools
import html
import string
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.safestring import SafeData, SafeString, mark_safe

from config.reversing import reverse_fixed
from referrals import clocks
from referrals.models import Referral

if TYPE_CHECKING:
    from referrals.paging import Page

_MARKER = 918273645


def url_for_each(name: str) -> Callable[[int], SafeString]:
    """``reverse(name, args=[pk])`` for many pks: reversed once (and kept,
    config/reversing.py), then a prefix + pk. Escaped for HTML once (the prefix and the
    end), so a row's links are not escaped again for each row."""
    head, tail = (
        html.escape(part) for part in reverse_fixed(name, args=(_MARKER,)).split(str(_MARKER))
    )
    return lambda pk: SafeString(f"{head}{int(pk)}{tail}")


def due_by(due: datetime | None, lead: str = "by") -> str:
    """The ``due_by`` filter: "by the end of Mon 7 Dec", or "" without a moment."""
    return clocks.due_words(due, lead=lead) if due else ""


def badge_html(reading) -> SafeString:
    """One clock's badge (``sla.ClockReading``, a stored reading, or a key date's):
    on track, near or past its limit. Ends with a newline, as the template it
    replaced did, so the pages are the same to the byte."""
    if not reading:
        return SafeString("")
    limit = None
    if reading.badge == "breached" and reading.deadline is not None:
        limit = getattr(reading.deadline, "limit_at", None)
    return _badge(reading.label, reading.badge, reading.due_at, limit, reading.is_running)


@functools.lru_cache(maxsize=4096)
def _badge(label: str, badge: str, due_at, limit, is_running: bool) -> SafeString:
    """A badge's HTML from what it says, kept for each (a list shows the same
    deadlines on every request, and the words for a moment never change, as
    ``clocks.due_words``). Plain f-strings with ``html.escape``: what ``format_html``
    does, without its cost for 50 rows of badges. Every part is escaped here, so the
    result is made safe directly (``mark_safe`` is a call more through Django's lazy
    wrapper)."""
    label = html.escape(label)
    if badge == "breached":
        due = html.escape(f" (due {due_by(limit)})") if limit else ""
        return SafeString(
            f'<span class="badge badge-breached" title="{label}: past its limit">{label}: '
            f"past the limit{due}</span>\n"
        )
    if badge == "near":
        return SafeString(
            f'<span class="badge badge-near" title="{label}: due soon">{label}: due '
            f"{html.escape(due_by(due_at))}</span>\n"
        )
    state = f": due {due_by(due_at)}" if is_running else ": done"
    return SafeString(
        f'<span class="badge badge-ok" title="{label}">{label}{html.escape(state)}</span>\n'
    )


def stacked(badges: list[SafeString]) -> SafeString:
    """A row's clock badges, one above the other (each ``badge_html``, escaped)."""
    return _stacked(tuple(badges))


@functools.lru_cache(maxsize=4096)
def _stacked(badges: tuple[SafeString, ...]) -> SafeString:
    """Kept for each set of badges, as each badge is (``_badge``): most rows of a list
    show one of a few sets."""
    # Each badge is already escaped (``_badge``).
    return SafeString("".join(f"<div>{badge}</div>" for badge in badges))


@functools.lru_cache(maxsize=4096)
def day_words(day, *, weekday: bool = False) -> str:
    """A day as the lists write it: "7 Dec 2026", or "Mon 7 Dec 2026" with ``weekday``.
    Kept for each day (``strftime`` costs a few microseconds a row, and a list shows
    the same days on every request)."""
    words = f"{day.day} {day:%b %Y}"
    return f"{day:%a} {words}" if weekday else words


# Markup the lists' rows share: a group referral's badge beside its reference, and the
# clocks cell of a referral waiting for the line manager's answer.
GROUP_BADGE = mark_safe(' <span class="badge text-bg-secondary">Group</span>')
PAUSED = mark_safe(
    '<span class="text-body-secondary small">Paused: waiting for the line manager</span>'
)


@functools.lru_cache(maxsize=64)
def _parts(row: str) -> tuple[tuple[str, str | None], ...]:
    """``row`` as its text and holes in order: (text before, the hole's name or None)."""
    parts = []
    for text, name, spec, conversion in string.Formatter().parse(row):
        if spec or conversion:
            raise ValueError(f"A row's hole is a name only, not {{{name}!{conversion}:{spec}}}")
        parts.append((text, name))
    return tuple(parts)


def draw(row: str, values: list[dict]) -> SafeString:
    """A table's rows in one pass: ``row`` is one row's HTML with ``{name}`` holes,
    filled for each dict in ``values``. Text is escaped; HTML made safe (a badge, a
    link made by ``format_html``) goes in as it is; None is left empty. Through the
    template engine each of a row's holes was a node resolved again for every row:
    about half a page's time (docs/performance.md, "Rows are drawn once, in Python").
    The row is parsed once into its text and holes, and each row's pieces are joined
    once: a third of the time of filling a dict for ``str.format_map`` row by row."""
    parts = _parts(row)
    escape = html.escape
    out = []
    add = out.append
    for value in values:
        for text, name in parts:
            add(text)
            if name is not None:
                part = value[name]
                if isinstance(part, SafeData):
                    add(part)
                elif part is not None:
                    add(escape(str(part)))
    return SafeString("".join(out))  # every value above is escaped or safe


# The pager every list shows above and below its rows ({% pager %} in
# templates/partials/pager.html), drawn in Python as the rows are, with ``draw``
# (docs/performance.md, "Rows are drawn once, in Python"). Its holes are filled
# escaped; ``NAV_LINKS`` and ``NAV_FORM`` go in ``{nav}``, with their own holes.
PAGER = (
    "\n"
    '<div class="d-flex flex-wrap align-items-center gap-3 my-3" data-testid="pager">\n'
    '  <p class="mb-0" data-testid="pager-total">{shown}</p>\n'
    "  {nav}\n"
    "</div>\n"
)
NAV = '\n  <nav aria-label="{label}">\n    \n    {links}\n    \n  </nav>\n  '
NAV_LINKS = (
    '<ul class="pagination mb-0">\n'
    "      {back}\n"
    '      <li class="page-item active" aria-current="page"><span class="page-link">Page {number} of {num_pages}</span></li>\n'
    "      {on}\n"
    "    </ul>"
)
LINKS_BACK = (
    '<li class="page-item"><a class="page-link" href="{first}">First</a></li>'
    '<li class="page-item"><a class="page-link" rel="prev" href="{previous}">Previous</a></li>'
)
LINKS_ON = (
    '<li class="page-item"><a class="page-link" rel="next" href="{next}">Next</a></li>'
    '<li class="page-item"><a class="page-link" href="{last}">Last</a></li>'
)
NAV_FORM = (
    '<form method="post" class="d-flex gap-2 mb-0">\n'
    "      {csrf}\n"
    "      {fields}\n"
    "      {back}\n"
    '      <span class="align-self-center">Page {number} of {num_pages}</span>\n'
    "      {on}\n"
    "    </form>"
)
FORM_FIELD = '<input type="hidden" name="{name}" value="{value}">'
FORM_BACK = (
    '<button class="btn btn-outline-secondary btn-sm" name="page" value="1">First</button>'
    '<button class="btn btn-outline-secondary btn-sm" name="page" value="{previous}" rel="prev">Previous</button>'
)
FORM_ON = (
    '<button class="btn btn-outline-secondary btn-sm" name="page" value="{next}" rel="next">Next</button>'
    '<button class="btn btn-outline-secondary btn-sm" name="page" value="{last}">Last</button>'
)
CSRF_FIELD = '<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'


def pager_html(page: Page, label: str = "", csrf_token: str = "") -> SafeString:
    """The pager of ``page``: "Showing 1 to 50 of 312", and the links (or, for a list
    that posts its filters, the buttons) to the first, previous, next and last pages.
    ``label`` names the links for a screen reader ("Pages" without one)."""
    shown = (
        f"Showing {page.first_row} to {page.last_row} of {page.total}"
        if page.total
        else "None to show"
    )
    nav = ""
    if page.num_pages > 1:
        number = {"number": page.number, "num_pages": page.num_pages}
        if page.post_fields is not None:
            csrf = draw(CSRF_FIELD, [{"token": csrf_token}]) if csrf_token else ""
            fields = draw(FORM_FIELD, [{"name": n, "value": v} for n, v in page.post_fields])
            back = draw(FORM_BACK, [{"previous": page.number - 1}]) if page.has_previous else ""
            on = (
                draw(FORM_ON, [{"next": page.number + 1, "last": page.num_pages}])
                if page.has_next
                else ""
            )
            links = draw(
                NAV_FORM, [{"csrf": csrf, "fields": fields, "back": back, "on": on, **number}]
            )
        else:
            back = (
                draw(LINKS_BACK, [{"first": page.url_first, "previous": page.previous_url}])
                if page.has_previous
                else ""
            )
            on = (
                draw(LINKS_ON, [{"next": page.next_url, "last": page.last_url}])
                if page.has_next
                else ""
            )
            links = draw(NAV_LINKS, [{"back": back, "on": on, **number}])
        nav = draw(NAV, [{"label": label or "Pages", "links": links}])
    return draw(PAGER, [{"shown": shown, "nav": nav}])


# A referral's timeline: what happened, in plain words (``views.detail.TimelineEntry``
# each). The referral page, the triage decision and each card of "My referrals" draw it
# (``{% timeline %}`` in templates).
TIMELINE_ENTRY = (
    "  <li>\n"
    '    <div class="fw-semibold">{words}</div>\n'
    '    <div class="small text-muted">{when}{by}</div>\n'
    "{note}"
    "  </li>\n"
)
NOTHING_YET = mark_safe('<p class="text-muted">Nothing has happened yet.</p>\n')


def timeline_html(entries) -> SafeString:
    if not entries:
        return NOTHING_YET
    items = draw(
        TIMELINE_ENTRY,
        [
            {
                "words": entry.words,
                "when": entry.when,
                "by": mark_safe(" · " + html.escape(entry.by)) if entry.by else "",  # noqa: S308
                "note": mark_safe(f'    <div class="small">{html.escape(entry.note)}</div>\n')  # noqa: S308
                if entry.note
                else "",
            }
            for entry in entries
        ],
    )
    return mark_safe(f'<ol class="timeline" data-testid="timeline">\n{items}</ol>\n')  # noqa: S308


class ReferralRow:
    """A list row's referral, with the fields the permission predicates read
    (``referrals.permissions``: who made it, who manages it, whose it is, its
    therapist's account, its kind and state). Lists read these as plain values; this
    hands them to the same predicates the referral page uses, without a model object."""

    __slots__ = (
        "created_by_id",
        "kind",
        "line_manager_id",
        "pk",
        "staff_user_id",
        "state",
        "therapist",
        "therapist_id",
    )

    class _Therapist:
        __slots__ = ("user_id",)

        def __init__(self, user_id):
            self.user_id = user_id

    def __init__(self, values: dict):
        self.pk = values["pk"]
        self.kind = values["kind"]
        self.state = values["state"]
        self.created_by_id = values["created_by_id"]
        self.line_manager_id = values["line_manager_id"]
        self.staff_user_id = values["staff_user_id"]
        self.therapist_id = values["therapist_id"]
        self.therapist = (
            self._Therapist(values["therapist__user_id"]) if self.therapist_id else None
        )

    FIELDS = (
        "pk",
        "kind",
        "state",
        "created_by_id",
        "line_manager_id",
        "staff_user_id",
        "therapist_id",
        "therapist__user_id",
    )

    @property
    def is_group(self) -> bool:
        return self.kind == Referral.Kind.GROUP


def who(values: dict, *, group: str = "Group of", unnamed: str = "") -> str:
    """Whom a list row is about, from its values (``kind``, ``staff_name``,
    ``group__number_of_staff``): the staff member's name (``unnamed`` while there is
    none), or "Group of 6" for a group referral."""
    if values["kind"] == Referral.Kind.GROUP:
        staff = values["group__number_of_staff"]
        return f"{group} {'' if staff is None else staff}"
    return values["staff_name"] or unnamed


def working_days_words(started_at: datetime | None, now: datetime) -> str:
    """ "3 working days" (an age in whole working days, as the lists show it)."""
    if started_at is None:
        return " working days"
    age = clocks.working_days_age(started_at, now)
    return f"{age} working day{'' if age == 1 else 's'}"
