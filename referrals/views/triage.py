"""PSW / SMPE: the triage queue and decisions."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from referrals import permissions as perms
from referrals.models import Referral
from referrals.selectors import referrals_visible_to


@login_required
def triage_queue(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.is_triager)
    referrals = (
        referrals_visible_to(request.user)
        .filter(state=Referral.State.SUBMITTED)
        .select_related("incident", "incident__team")
        .order_by("submitted_at")
    )
    return render(request, "referrals/triage_queue.html", {"referrals": referrals})


urlpatterns = [path("triage/", triage_queue, name="triage")]
