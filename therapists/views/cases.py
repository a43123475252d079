"""The therapist's workspace: "My cases"."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from referrals import permissions as perms
from referrals.models import Referral
from referrals.selectors import referrals_visible_to


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.is_therapist)
    cases = referrals_visible_to(request.user).filter(
        therapist__user=request.user, state__in=Referral.SUPPORT_STATES
    )
    return render(request, "therapists/my_cases.html", {"cases": cases})


urlpatterns = [path("cases/", my_cases, name="my_cases")]
