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


# Anything shaped like an e-mail address, or like a telephone number: 9 to 15 digits,
# with or without +44, spaces, dashes, dots or brackets between them.
EMAIL_SHAPE = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[a-z]{2,}", re.I)
PHONE_SHAPE = re.compile(r"(?<![\w])(?:\+|\(?0|\d)[\d\s\-().]{7,}\d(?![\w])")
COPIED_WORDS = 6  # this many words in a row, copied from the event or the session notes


def _digits(text: str) -> str:
    """A telephone number's digits, written the UK way: +44 7700 900123 and 07700 900123
    are one number, and so is +44 (0)7700 900123."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("440"):
        digits = digits[2:]
    elif digits.startswith("44") and len(digits) >= 12:
        digits = "0" + digits[2:]
    return digits


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _names_on_the_case(referral: Referral) -> list[tuple[str, str]]:
    """(name part, whose) for every person named on the case, and the team's name."""
    people = [
        ("the staff member", referral.staff_name),
        ("the line manager", referral.line_manager_name),
    ]
    for whose, user in (
        ("the staff member", referral.staff_user),
        ("the line manager", referral.line_manager),
        ("the person who made the referral", referral.created_by),
        ("the therapist", referral.therapist.user if referral.therapist_id else None),
    ):
        if user is not None:
            people.append((whose, f"{user.first_name} {user.last_name}"))
    parts: dict[str, str] = {}
    for whose, name in people:
        for part in re.split(r"[^\w'-]+", name or ""):
            # Initials alone are not names; "Jo" is.
            if len(part) >= 2 and part.lower() not in parts:
                parts[part.lower()] = whose
    return list(parts.items())


def _phones_on_the_case(referral: Referral) -> list[str]:
    numbers = [referral.staff_phone, referral.line_manager_phone]
    for user in (referral.staff_user, referral.line_manager, referral.created_by):
        if user is not None:
            numbers.append(user.phone)
    if referral.therapist_id:
        numbers.append(referral.therapist.user.phone)
    return [d for d in (_digits(n or "") for n in numbers) if len(d) >= 6]


def _copied_passage(referral: Referral, comments: str) -> str | None:
    """The first run of ``COPIED_WORDS`` words that also appears in the event details,
    the incident's description or the session notes, or None."""
    sources = [referral.event_details, referral.incident.description]
    sources += list(referral.therapy_sessions.values_list("therapist_notes", flat=True))
    seen: set[tuple[str, ...]] = set()
    for source in sources:
        words = _words(source or "")
        seen.update(tuple(words[i : i + COPIED_WORDS]) for i in range(len(words) - 5))
    words = _words(comments)
    for i in range(len(words) - COPIED_WORDS + 1):
        if tuple(words[i : i + COPIED_WORDS]) in seen:
            return " ".join(words[i : i + COPIED_WORDS])
    return None


def personal_detail_problems(referral: Referral, comments: str) -> list[str]:
    """What must change before the summary can be sent, each in a kind sentence that
    says what to change (issue: "anything the check flags blocks sending").

    Flags, in any case and as whole words, any part of the name of anyone linked to the
    case (the staff member, the line manager, whoever made the referral, the therapist)
    and the team's name; anything shaped like an e-mail address or a telephone number
    (the stored numbers in any format, with or without +44); and any six words in a row
    copied from the event details, the incident's description or the session notes."""
    problems = []
    text = comments or ""
    for part, whose in _names_on_the_case(referral):
        if re.search(rf"(?<![\w'-]){re.escape(part)}(?![\w'-])", text, flags=re.I):
            instead = (
                "Please write \u201cthe staff member\u201d instead, or leave it out."
                if whose == "the staff member"
                else "Please leave names out."
            )
            problems.append(
                f"The comments mention \u201c{part.capitalize()}\u201d, part of the name of "
                f"{whose}. {instead}"
            )
    team = referral.incident.team.name if referral.incident.team_id else ""
    if team and re.search(rf"(?<!\w){re.escape(team)}(?!\w)", text, flags=re.I):
        problems.append(
            f"The comments name the team (\u201c{team}\u201d). Please leave the team out."
        )
    if EMAIL_SHAPE.search(text):
        problems.append("The comments contain an e-mail address. Please take it out.")
    stored = _phones_on_the_case(referral)
    shaped = [m.group(0) for m in PHONE_SHAPE.finditer(text) if 9 <= len(_digits(m.group(0))) <= 15]
    all_digits = _digits(text)
    if shaped or any(number in all_digits for number in stored):
        problems.append("The comments contain a telephone number. Please take it out.")
    copied = _copied_passage(referral, text)
    if copied:
        problems.append(
            f"Some words are copied from the event details or the session notes "
            f"(\u201c{copied}\u201d). Please put it in general terms of your own."
        )
    return problems
