"""Template helpers for CIRS pages. Display only: no role checks, no queries."""

from django import template

from referrals import clocks
from referrals.rows import badge_html, pager_html, timeline_html

register = template.Library()


@register.simple_tag
def clock_badge(reading):
    """A badge for one ``sla.ClockReading``: on track, near or past its limit
    (``rows.badge_html``: drawn in Python, the lists draw 50 of them)."""
    return badge_html(reading)


@register.simple_tag
def timeline(entries):
    """A referral's timeline in plain words (``rows.timeline_html``), or "Nothing has
    happened yet"."""
    return timeline_html(entries)


@register.filter
def working_days_age(started_at):
    """Whole working days since ``started_at`` (e.g. a referral's age in the queue)."""
    if started_at is None:
        return ""
    return clocks.working_days_age(started_at)


@register.filter
def due_by(due, lead="by"):
    """A due time in plain words ("by the end of Mon 7 Dec"): the one way every page
    and e-mail shows when something is due. ``lead``: "by" (default), "at" or ""."""
    if not due:
        return ""
    return clocks.due_words(due, lead=lead)


@register.simple_tag(takes_context=True)
def pager(context, page, label=""):
    """A list's pager (``paging.pager_html``): drawn in Python, as a list's rows are."""
    token = context.get("csrf_token")
    token = "" if token in (None, "NOTPROVIDED") else str(token)
    return pager_html(page, label, csrf_token=token)
