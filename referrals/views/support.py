"""The staff member's own page, and the PSW/SMPE's extension decisions."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from referrals import permissions as perms
from referrals.models import ExtensionRequest
from referrals.selectors import referrals_visible_to


@login_required
def own_referrals(request: HttpRequest) -> HttpResponse:
    referrals = referrals_visible_to(request.user).filter(staff_user=request.user)
    return render(request, "referrals/own_support.html", {"referrals": referrals})


@login_required
def extension_requests(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.is_triager)
    pending = ExtensionRequest.objects.filter(
        status=ExtensionRequest.Status.PENDING,
        referral__in=referrals_visible_to(request.user),
    ).select_related("referral")
    return render(request, "referrals/extension_requests.html", {"requests": pending})


urlpatterns = [
    path("my-support/", own_referrals, name="own"),
    path("extension-requests/", extension_requests, name="extension_requests"),
]
