"""Who is told what, in the app and by e-mail: the one way anything tells anyone.

``notify`` is the single entry point. For each person it writes, inside the caller's
transaction, an ``OutboundEmail`` row (the outbox) and its twin in-app
``Notification``; the e-mail is handed to a worker only after the transaction commits
(``referrals/mailer.py`` sends it), so a rolled-back change tells no one, and a broker
or SMTP failure leaves the row waiting to be retried by ``flush_outbox``. Every notice
carries a key: a second ``notify`` with the same key for the same person does nothing,
which is what makes chases, digests and the closure summary go out once.

E-mails are plain and kind, and carry no event details and no session content: only
what the reader needs to know and a link to the app (docs/service.md, "Data").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from accounts.roles import TRIAGE_ROLES, group_name
from accounts.signin_methods import can_sign_in_at_address, how_to_sign_in, sso_enabled
from referrals.bulk import insert_rows
from referrals.mailer import enqueue_on_commit, send_outbound_email
from referrals.models import Notification, OutboundEmail, Referral


def triagers():
    User = get_user_model()
    return User.objects.filter(
        is_active=True, groups__name__in=[group_name(r) for r in TRIAGE_ROLES]
    ).distinct()


_PARTS = ("subject.txt", "body.txt", "body.html")
# Every HTML e-mail's frame: the page around its body, the thanks and the footer.
LAYOUT = "emails/base_email.html"


def render_email(
    template: str, context: dict, *, found: dict | None = None
) -> tuple[str, str, str]:
    """Render ``templates/emails/<template>_{subject.txt,body.txt,body.html}``, the three
    with one context; the HTML body is then set in the frame every HTML e-mail shares
    (``LAYOUT``, where ``{{ email_body }}`` stands). The body is drawn first and set in
    the frame, rather than the body extending the frame (``{% extends %}``), because
    extending finds and walks the frame again for every e-mail: half the time of
    drawing the HTML (83 against 41 µs on a slow host), and the sweep draws thousands.
    The frame reads only its footer's words (``FRAME_READS``), so it is drawn once for
    each set of them and kept (28 µs an e-mail).
    ``found``: the templates already found, by name, for a caller that renders many
    e-mails at once (``notify_each``): finding a template costs about a fifth of
    rendering a small one."""
    if found is None:
        found = {}
    if template not in found:
        found[template] = [
            *(get_template(f"emails/{template}_{part}") for part in _PARTS),
            get_template(LAYOUT),
        ]
    *parts, layout = found[template]
    # Council staff sign in with their council account, provider staff with a password.
    user = context.get("user")
    values = {
        "how_to_sign_in": how_to_sign_in(user),
        "can_sign_in": user is not None or can_sign_in_at_address(),
        **context,
    }
    autoescape = parts[0].backend.engine.autoescape
    context = Context(values, autoescape=autoescape)
    subject, text, body = (part.template.render(context) for part in parts)
    frame = tuple((name, values[name]) for name in FRAME_READS if name in values)
    before, after = _frame_around(layout.template, autoescape, frame)
    return " ".join(subject.split()), text, f"{before}{body}{after}"


# All the frame is given (its footer's words), so the frame around a body is the same
# for every e-mail with the same values of these: drawn once for each, and kept.
FRAME_READS = ("service_name", "can_sign_in", "how_to_sign_in")
_BODY_MARK = "\x00cirs-e-mail-body\x00"


@functools.lru_cache(maxsize=64)
def _frame_around(layout, autoescape: bool, frame: tuple) -> tuple[str, str]:
    """The frame (``LAYOUT``) drawn with ``frame``'s values alone, split where the body
    goes: what comes before the body and what comes after it."""
    drawn = layout.render(
        Context({**dict(frame), "email_body": SafeString(_BODY_MARK)}, autoescape=autoescape)
    )
    before, after = drawn.split(_BODY_MARK)
    return before, after


@dataclass(frozen=True)
class Attachment:
    """A text file sent with an e-mail (a calendar invitation)."""

    name: str
    content_type: str
    content: str


def queue_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    dedupe_key: str,
    user=None,
    not_before=None,
    referral: Referral | None = None,
    attachment: Attachment | None = None,
) -> OutboundEmail | None:
    """Add an e-mail to the outbox once; send it after commit. Returns None when an
    e-mail with this ``dedupe_key`` was queued before."""
    if not to:
        return None
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                dedupe_key=dedupe_key[:200],
                to=to,
                user=user,
                referral=referral,
                subject=subject[:200],
                body_text=text,
                body_html=html,
                not_before=not_before or timezone.now(),
                attachment_name=attachment.name if attachment else "",
                attachment_type=attachment.content_type if attachment else "",
                attachment=attachment.content if attachment else "",
            )
    except IntegrityError:
        return None
    if email.not_before <= timezone.now():
        enqueue_on_commit(send_outbound_email, email.pk)
    return email


def _each_person(recipients: Iterable):
    """Each recipient once, as (user or None, address, what their dedupe key ends
    with): users (inactive ones skipped) or bare e-mail addresses; None is skipped."""
    seen: set = set()
    for recipient in recipients:
        if recipient is None:
            continue
        is_address = isinstance(recipient, str)
        if not is_address and not recipient.is_active:
            continue
        ident = recipient if is_address else recipient.pk
        if ident in seen:
            continue
        seen.add(ident)
        if is_address:
            yield None, recipient, "address"
        else:
            yield recipient, recipient.email, recipient.pk


def notify(
    recipients: Iterable,
    *,
    template: str,
    key: str,
    referral: Referral | None = None,
    context: dict | None = None,
    url: str = "",
    not_before=None,
    attachment: Attachment | None = None,
) -> int:
    """Tell each recipient once: an e-mail (``templates/emails/<template>_*``) and, for
    someone with an account, its twin in-app notice.

    ``recipients`` are users (inactive ones are skipped) or, for someone with no
    account, an e-mail address (no in-app notice then). ``key`` names this notice; a
    recipient already told under it is not told again. ``not_before`` holds the e-mail
    in the outbox (chases wait for working hours). Returns how many were told now."""
    told = 0
    for user, address, who in _each_person(recipients):
        told += _tell(
            user,
            address=address,
            template=template,
            dedupe_key=f"{key}:{who}",
            referral=referral,
            context=context or {},
            url=url,
            not_before=not_before,
            attachment=attachment,
        )
    return told


def _render_for(
    user, *, template, referral, context, url, found: dict | None = None
) -> tuple[str, str, str]:
    return render_email(
        template,
        {
            **context,
            "user": user,
            "referral": referral,
            "url": f"{settings.SITE_URL}{url}" if url else settings.SITE_URL,
            "service_name": settings.CIRS_SERVICE_NAME,
        },
        found=found,
    )


def _tell(
    user, *, address, template, dedupe_key, referral, context, url, not_before, attachment=None
) -> int:
    subject, text, html = _render_for(
        user, template=template, referral=referral, context=context, url=url
    )
    queued = queue_email(
        to=address,
        user=user,
        subject=subject,
        text=text,
        html=html,
        dedupe_key=dedupe_key,
        not_before=not_before,
        referral=referral,
        attachment=attachment,
    )
    if address and queued is None:
        return 0
    if user is not None:
        Notification.objects.create(
            user=user, referral=referral, subject=subject, body=text.strip()[:2000], url=url
        )
    return 1


@dataclass(frozen=True)
class ReferralNumber:
    """A referral known by its number alone: all a chase tells of it ("Referral
    CIRS-00042 is still waiting..."). A chase's e-mail cannot show what it is not given,
    and the sweep builds no ``Referral`` for each of its thousands of chases (a model
    with the state machine costs more to build than the e-mail's row)."""

    pk: int

    @property
    def reference(self) -> str:
        return Referral.reference_for(self.pk)


@dataclass(frozen=True)
class Notice:
    """What one ``notify`` call says, for ``notify_each``. ``referral`` is read for its
    ``pk`` and, in the e-mail, what its template names: a ``Referral``, or the sweep's
    ``ReferralNumber`` (its number alone)."""

    recipients: tuple
    template: str
    key: str
    referral: Referral | ReferralNumber | None = None
    context: dict = field(default_factory=dict)
    url: str = ""
    not_before: datetime | None = None


def notify_each(notices: Sequence[Notice]) -> list[int]:
    """``notify`` for many notices at once (the sweep's chases), in a fixed number of
    statements whatever their number: one ``INSERT`` of the outbox rows that skips any
    key already used, one of the in-app notices. Call it inside a transaction. Returns
    how many were told, per notice; someone already told under a notice's key is not
    told again, as with ``notify``."""
    told = [0] * len(notices)
    users = [r for n in notices for r in n.recipients if r is not None and not isinstance(r, str)]
    if sso_enabled():
        get_user_model().load_roles(users)  # how_to_sign_in reads them
    now = timezone.now()
    # (notice index, outbox row or None, in-app notice or None), one per person told.
    planned: list[tuple[int, dict | None, dict | None]] = []
    keys: set[str] = set()
    found: dict = {}  # each e-mail's templates, found once for all of them
    for index, notice in enumerate(notices):
        for user, address, who in _each_person(notice.recipients):
            dedupe_key = f"{notice.key}:{who}"[:200]
            if address and dedupe_key in keys:
                continue  # told under this key a moment ago, in this same call
            keys.add(dedupe_key)
            subject, text, html = _render_for(
                user,
                template=notice.template,
                referral=notice.referral,
                context=notice.context,
                url=notice.url,
                found=found,
            )
            email = None
            if address:
                email = {
                    "dedupe_key": dedupe_key,
                    "to": address,
                    "user_id": user.pk if user else None,
                    "referral_id": notice.referral.pk if notice.referral else None,
                    "subject": subject[:200],
                    "body_text": text,
                    "body_html": html,
                    "not_before": notice.not_before or now,
                    "created_at": now,
                }
            in_app = None
            if user is not None:
                in_app = {
                    "user_id": user.pk,
                    "referral_id": notice.referral.pk if notice.referral else None,
                    "subject": subject,
                    "body": text.strip()[:2000],
                    "url": notice.url,
                    "created_at": now,
                }
            planned.append((index, email, in_app))
    queued = dict(
        insert_rows(
            OutboundEmail,
            [email for _, email, _ in planned if email is not None],
            returning=("dedupe_key", "id"),
            skip_conflicts=True,
        )
    )
    # Someone already told under this key (here or by another transaction) is left out.
    planned = [p for p in planned if p[1] is None or p[1]["dedupe_key"] in queued]
    insert_rows(Notification, [in_app for _, _, in_app in planned if in_app is not None])
    for index, email, _ in planned:
        told[index] += 1
        if email is not None and email["not_before"] <= now:
            enqueue_on_commit(send_outbound_email, queued[email["dedupe_key"]])
    return told


def event_key(event: str, referral: Referral | None) -> str:
    """The key of a notice caused by a change: once per event and referral version."""
    if referral is None:
        return f"{event}:-:0"
    return f"{event}:{referral.pk}:{referral.version}"


# --- who is told of each change ------------------------------------------------------


def _detail_url(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.pk])


def referral_submitted(referral: Referral) -> None:
    """docs/service.md step 4: "PSW and SMPE (both notified on submission)"."""
    notify(
        triagers(),
        template="referral_submitted",
        referral=referral,
        key=event_key("submitted", referral),
        url=_detail_url(referral),
    )


def referral_resubmitted(referral: Referral) -> None:
    notify(
        triagers(),
        template="referral_resubmitted",
        referral=referral,
        key=event_key("resubmitted", referral),
        url=_detail_url(referral),
    )


def _referrers(referral: Referral) -> list:
    return [referral.created_by, referral.line_manager]


def more_information_requested(referral: Referral) -> None:
    notify(
        _referrers(referral),
        template="more_information_requested",
        referral=referral,
        key=event_key("more_info", referral),
        url=_detail_url(referral),
    )


def referral_accepted(referral: Referral) -> None:
    notify(
        referral.provider.coordinators.all(),
        template="referral_sent_to_provider",
        referral=referral,
        key=event_key("sent_to_provider", referral),
        url=_detail_url(referral),
    )
    notify(
        _referrers(referral),
        template="referral_accepted",
        referral=referral,
        key=event_key("accepted", referral),
        url=_detail_url(referral),
    )


def referral_declined(referral: Referral) -> None:
    notify(
        _referrers(referral),
        template="referral_declined",
        referral=referral,
        key=event_key("declined", referral),
        url=_detail_url(referral),
    )


def therapist_allocated(referral: Referral) -> None:
    notify(
        [referral.therapist.user],
        template="case_allocated",
        referral=referral,
        key=event_key("allocated", referral),
        url=_detail_url(referral),
    )


def extension_requested(referral: Referral, request) -> None:
    notify(
        triagers(),
        template="extension_requested",
        referral=referral,
        key=event_key(f"{request.kind}_requested", referral),
        context={"request": request},
        # The request is decided on the list of requests, not on the referral page.
        url=reverse("referrals:extension_requests"),
    )


def extension_decided(referral: Referral, request) -> None:
    notify(
        [referral.therapist.user],
        template="extension_decided",
        referral=referral,
        key=event_key(f"{request.kind}_decided", referral),
        context={"request": request},
        url=_detail_url(referral),
    )


def referral_withdrawn(referral: Referral, *, by) -> None:
    people = [*_referrers(referral), *triagers()]
    if referral.therapist_id:
        people.append(referral.therapist.user)
    notify(
        [p for p in people if p is not None and p.pk != by.pk],
        template="referral_withdrawn",
        referral=referral,
        key=event_key("withdrawn", referral),
        url=_detail_url(referral),
    )
