"""Eligibility of an incident and of a referral for the service (docs/service.md, step 3).

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


def referral_eligibility_errors(referral, *, today: date | None = None) -> dict[str, str]:
    """Field errors that stop ``referral`` being sent, empty when it may be: the incident
    date rule above and, for one person, their agreement, the conversation with them and
    a way for the therapist to reach them. Used by the state machine's ``submit`` and
    ``resubmit`` conditions and by the services that explain a refusal."""
    if today is None and referral.first_submitted_at:
        # The referral was made when first submitted; a later answer to a question from
        # triage does not make it late.
        today = timezone.localdate(referral.first_submitted_at)
    errors: dict[str, str] = {}
    errors.update(incident_date_errors(referral.incident.occurred_on, today=today))
    if referral.is_group:
        return errors
    if not referral.practitioner_agrees:
        errors["practitioner_agrees"] = (
            "Please confirm the staff member agrees to be referred. The service "
            "is only offered with their agreement."
        )
    if not referral.discussion_date:
        errors["discussion_date"] = (
            "Please give the date you talked this through with the staff member."
        )
    for field in ("staff_name", "event_details"):
        if not getattr(referral, field):
            label = referral._meta.get_field(field).verbose_name
            errors[field] = f"Please fill in “{label}”."
    if not (referral.staff_phone or referral.staff_email):
        errors["staff_email"] = (
            "Please give a telephone number or an e-mail address so the "
            "therapist can reach the staff member."
        )
    return errors
