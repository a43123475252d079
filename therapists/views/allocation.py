"""Provider coordinator: accepted referrals awaiting a therapist."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from referrals import permissions as perms
from referrals.models import Referral
from referrals.selectors import referrals_visible_to


@login_required
def allocation_queue(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.is_coordinator)
    referrals = (
        referrals_visible_to(request.user)
        .filter(state=Referral.State.ACCEPTED)
        .order_by("decided_at")
    )
    return render(request, "therapists/allocation_queue.html", {"referrals": referrals})


urlpatterns = [path("allocation/", allocation_queue, name="allocation_queue")]
