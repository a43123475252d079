"""The anonymised closure summary (docs/service.md step 11).

"A brief summary goes to the line manager: general comments only, no personal
information or session content; a recommendation of wellbeing service or GP is
shared only in general terms. The staff member receives a copy of the same summary."
"""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.utils import timezone

from referrals.models import KeyDate, Referral


def summary_text(referral: Referral) -> str:
    """The exact text the line manager and the staff member receive: the reference,
    the therapist's general comments and each exit pathway's general wording. Nothing
    else from the referral is put in, and the staff member's name, e-mail and telephone
    are taken out of the comments should the therapist have written them."""
    summary = referral.closure_summary
    pathways = [p.general_wording for p in summary.exit_pathways.all()]
    follow_up = summary.key_date_follow_up.strip()
    return render_to_string(
        "referrals/closure_summary.txt",
        {
            "reference": referral.reference,
            "comments": redact_personal_details(referral, summary.comments.strip()),
            "pathways": pathways,
            "follow_up": redact_personal_details(referral, follow_up) if follow_up else "",
            "dates_to_come": [
                f"{k.get_kind_display()}, {k.date:%-d %B %Y}"
                for k in key_dates_to_come(referral, on=_closing_day(referral))
            ],
        },
    ).strip()


def _closing_day(referral: Referral):
    return timezone.localdate(referral.closed_at) if referral.closed_at else timezone.localdate()


def key_dates_to_come(referral: Referral, *, on=None) -> list[KeyDate]:
    """The case's key dates on or after ``on`` (today by default), soonest first."""
    return list(referral.key_dates.filter(date__gte=on or timezone.localdate()).order_by("date"))


def redact_personal_details(referral: Referral, text: str) -> str:
    """Replace the staff member's contact details and name in ``text``.

    A last safeguard only: the therapist is warned before sending
    (``personal_detail_warnings``) and asked to keep the comments general."""
    if referral.staff_email:
        text = re.sub(
            re.escape(referral.staff_email), "[contact details removed]", text, flags=re.I
        )
    digits = re.sub(r"\D", "", referral.staff_phone)
    if len(digits) >= 6:
        # The number as written, allowing spaces, dashes, brackets or +44 between digits.
        pattern = r"[\s\-()+]*".join(re.escape(d) for d in digits)
        text = re.sub(pattern, "[contact details removed]", text)
    name = referral.staff_name.strip()
    if name:
        text = re.sub(rf"\b{re.escape(name)}\b", "the staff member", text, flags=re.I)
        for part in (p for p in re.split(r"\W+", name) if len(p) > 2):
            text = re.sub(rf"\b{re.escape(part)}\b", "the staff member", text, flags=re.I)
    return text


def personal_detail_warnings(referral: Referral, comments: str) -> list[str]:
    """Warn the therapist before sending when the comments hold the staff member's name,
    e-mail or telephone, or words from the incident's description."""
    text = comments.lower()
    warnings = []
    name_parts = [p for p in re.split(r"\W+", referral.staff_name.lower()) if len(p) > 2]
    if any(re.search(rf"\b{re.escape(p)}\b", text) for p in name_parts):
        warnings.append("The comments mention the staff member's name.")
    if referral.staff_email and referral.staff_email.lower() in text:
        warnings.append("The comments contain the staff member's e-mail address.")
    digits = re.sub(r"\D", "", referral.staff_phone)
    if len(digits) >= 6 and digits in re.sub(r"\D", "", comments):
        warnings.append("The comments contain the staff member's telephone number.")
    details = f"{referral.event_details} {referral.incident.description}".lower()
    words = set(re.findall(r"[a-z]{6,}", details))
    echoed = sorted(w for w in words if re.search(rf"\b{w}\b", text))
    if len(echoed) >= 3:
        warnings.append(
            "The comments repeat words from the description of the incident ("
            + ", ".join(echoed[:5])
            + "). The summary should stay general."
        )
    return warnings
