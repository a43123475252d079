"""Eligibility of an incident for the service (SERVICE.md step 3).

"The incident happened no more than 3 months before the referral, not in the future,
and not before the service's go-live date." A failure is never a silent refusal: each
message is kind and names the alternatives.
"""

import calendar
from datetime import date

from django.conf import settings
from django.utils import timezone

ALTERNATIVES = (
    "You and the staff member can still get support through usual supervision, the "
    "council's wellbeing service, or their GP."
)


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end: 31 January + 3 months = 30 April."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def local_today() -> date:
    return timezone.localdate()


def incident_date_errors(occurred_on: date | None, *, today: date | None = None) -> dict[str, str]:
    """Field errors for ``occurred_on`` (key ``incident_date``), empty when eligible."""
    if occurred_on is None:
        return {"incident_date": "Please give the date of the incident."}
    today = today or local_today()
    months = settings.CIRS_ELIGIBILITY_MONTHS
    go_live = settings.CIRS_GO_LIVE_DATE
    if occurred_on > today:
        return {
            "incident_date": (
                "The date of the incident is in the future. Please check the date; "
                "a referral can be made once something has happened. If the staff "
                "member needs support now, usual supervision, the council's wellbeing "
                "service or their GP can help."
            )
        }
    if occurred_on < go_live:
        return {
            "incident_date": (
                f"This service supports incidents from {go_live:%-d %B %Y}, when it "
                f"began, onwards. {ALTERNATIVES}"
            )
        }
    if today > add_months(occurred_on, months):
        return {
            "incident_date": (
                f"This service is for the first {months} months after an incident, and "
                f"this one was more than {months} months ago. {ALTERNATIVES}"
            )
        }
    return {}
