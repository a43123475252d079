"""Who is told what, in the app and by e-mail.

Each notice is written inside the caller's transaction: an in-app ``Notification``
and an ``OutboundEmail`` row (the outbox). The e-mail is handed to Celery only after
the transaction commits, so a rolled-back change tells no one, and a broker or SMTP
failure leaves the row waiting to be retried by ``flush_outbox``.

E-mails are plain and kind, and carry no event details and no session content: only
what the reader needs to know and a link to the app (SERVICE.md "Data").
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.roles import TRIAGE_ROLES, group_name
from accounts.signin_methods import how_to_sign_in
from referrals.models import Notification, OutboundEmail, Referral


def triagers():
    User = get_user_model()
    return User.objects.filter(
        is_active=True, groups__name__in=[group_name(r) for r in TRIAGE_ROLES]
    ).distinct()


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render ``templates/emails/<template>_{subject.txt,body.txt,body.html}``."""
    # Council staff sign in with their council account, provider staff with a password.
    context = {"how_to_sign_in": how_to_sign_in(context.get("user")), **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    text = render_to_string(f"emails/{template}_body.txt", context)
    html = render_to_string(f"emails/{template}_body.html", context)
    return " ".join(subject.split()), text, html


def queue_email(
    *, to: str, subject: str, text: str, html: str = "", dedupe_key: str, user=None, not_before=None
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
                subject=subject[:200],
                body_text=text,
                body_html=html,
                not_before=not_before or timezone.now(),
            )
    except IntegrityError:
        return None
    from referrals.tasks import send_outbound_email

    if email.not_before <= timezone.now():
        enqueue_on_commit(send_outbound_email, email.pk)
    return email


def enqueue_on_commit(task, *args) -> None:
    """Hand a task to the broker once the current transaction commits (a rolled-back
    change queues nothing). If the broker is down the outbox row stays pending and the
    next ``flush_outbox`` sweep sends it: nothing is lost, nothing is raised at the
    person who just pressed a button."""
    transaction.on_commit(lambda: _enqueue(task, *args))


def _enqueue(task, *args) -> None:
    import logging

    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure is recovered by flush_outbox
        logging.getLogger("cirs.notifications").warning(
            "broker unavailable; e-mail left in the outbox", extra={"task": task.name}
        )


def notify(
    users: Iterable,
    *,
    template: str,
    referral: Referral | None,
    event: str,
    context: dict | None = None,
    url: str = "",
) -> None:
    """Tell each user in the app and by e-mail, once per (event, referral version)."""
    context = dict(context or {})
    for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
        ctx = {
            **context,
            "user": user,
            "referral": referral,
            "url": _absolute(url) if url else settings.SITE_URL,
            "service_name": settings.CIRS_SERVICE_NAME,
        }
        subject, text, html = render_email(template, ctx)
        Notification.objects.create(
            user=user, referral=referral, subject=subject, body=text.strip()[:2000], url=url
        )
        version = referral.version if referral is not None else 0
        queue_email(
            to=user.email,
            user=user,
            subject=subject,
            text=text,
            html=html,
            dedupe_key=f"{event}:{getattr(referral, 'pk', '-')}:{version}:{user.pk}",
        )


def _detail_url(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.pk])


def referral_submitted(referral: Referral) -> None:
    """SERVICE.md step 4: "PSW and SMPE (both notified on submission)"."""
    notify(
        triagers(),
        template="referral_submitted",
        referral=referral,
        event="submitted",
        url=_detail_url(referral),
    )


def referral_resubmitted(referral: Referral) -> None:
    notify(
        triagers(),
        template="referral_resubmitted",
        referral=referral,
        event="resubmitted",
        url=_detail_url(referral),
    )


def _referrers(referral: Referral) -> list:
    return [referral.created_by, referral.line_manager]


def more_information_requested(referral: Referral) -> None:
    notify(
        _referrers(referral),
        template="more_information_requested",
        referral=referral,
        event="more_info",
        url=_detail_url(referral),
    )


def referral_accepted(referral: Referral) -> None:
    notify(
        referral.provider.coordinators.all(),
        template="referral_sent_to_provider",
        referral=referral,
        event="sent_to_provider",
        url=_detail_url(referral),
    )
    notify(
        _referrers(referral),
        template="referral_accepted",
        referral=referral,
        event="accepted",
        url=_detail_url(referral),
    )


def referral_declined(referral: Referral) -> None:
    notify(
        _referrers(referral),
        template="referral_declined",
        referral=referral,
        event="declined",
        url=_detail_url(referral),
    )


def therapist_allocated(referral: Referral) -> None:
    notify(
        [referral.therapist.user],
        template="case_allocated",
        referral=referral,
        event="allocated",
        url=_detail_url(referral),
    )


def extension_requested(referral: Referral, request) -> None:
    notify(
        triagers(),
        template="extension_requested",
        referral=referral,
        event=f"{request.kind}_requested",
        context={"request": request},
        url=_detail_url(referral),
    )


def extension_decided(referral: Referral, request) -> None:
    notify(
        [referral.therapist.user],
        template="extension_decided",
        referral=referral,
        event=f"{request.kind}_decided",
        context={"request": request},
        url=_detail_url(referral),
    )


def referral_closed(referral: Referral) -> None:
    """SERVICE.md step 11: the summary goes to the line manager with the notice that
    support has ended; the staff member receives a copy of the same summary. The
    summary is produced after commit by a task, from the therapist's general comments
    and the exit pathways in general terms only."""
    from referrals.tasks import send_closure_summary

    enqueue_on_commit(send_closure_summary, referral.pk)


def referral_withdrawn(referral: Referral, *, by) -> None:
    people = [*_referrers(referral), *triagers()]
    if referral.therapist_id:
        people.append(referral.therapist.user)
    notify(
        [p for p in people if p is not None and p.pk != by.pk],
        template="referral_withdrawn",
        referral=referral,
        event="withdrawn",
        url=_detail_url(referral),
    )
