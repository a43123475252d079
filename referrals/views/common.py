"""Pages every signed-in person uses: the landing redirect, notifications, errors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import record_list_view
from config.middleware import request_id_var
from referrals.navigation import landing_url_name
from referrals.paging import paginate


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return redirect(landing_url_name(request.user))


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, request.user.notifications.order_by("-created_at", "-pk"))
    unread = request.user.notifications.filter(read_at__isnull=True).count()
    # A notice names a referral (and often what happened on it): audited like any list.
    record_list_view(
        request,
        object_type="notification",
        ids=[n.pk for n in page.rows],
        also={"referral": sorted({n.referral_id for n in page.rows if n.referral_id})},
        detail="notifications",
    )
    return render(
        request,
        "referrals/notification_list.html",
        {"notices": page.rows, "page": page, "unread_count": unread},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notice = get_object_or_404(request.user.notifications, pk=notification_id)
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return redirect(notice.url or "referrals:notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("referrals:notifications")


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No template context processors that touch the database: the error may be there.
    html = render_to_string("500.html", {"request_id": request_id_var.get()})
    return HttpResponse(html, status=500)


urlpatterns = [
    path("notifications/", notification_list, name="notifications"),
    path("notifications/<int:notification_id>/read/", notification_read, name="notification_read"),
    path("notifications/read-all/", notifications_read_all, name="notifications_read_all"),
]
