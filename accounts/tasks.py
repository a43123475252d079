"""Background work of the accounts app."""

from __future__ import annotations

from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings

from accounts.forms import CirsPasswordResetForm

RESET_TEMPLATES = {
    "subject_template_name": "registration/password_reset_subject.txt",
    "email_template_name": "registration/password_reset_email.txt",
    "html_email_template_name": "registration/password_reset_email.html",
}


@shared_task(name="accounts.send_password_reset_email")
def send_password_reset_email(email: str) -> None:
    """Off the request: find the active accounts with this address and send each its
    link (Django's own reset e-mail, with this service's templates)."""
    site = urlsplit(settings.SITE_URL)
    # CirsPasswordResetForm: no link for someone who signs in with the council account.
    form = CirsPasswordResetForm(data={"email": email})
    if not form.is_valid():
        return
    form.save(
        domain_override=site.netloc,
        use_https=site.scheme == "https",
        extra_email_context={"service_name": settings.CIRS_SERVICE_NAME},
        **RESET_TEMPLATES,
    )
