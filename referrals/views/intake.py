"""Line manager's side: Appendix 1 referral, group referral, "My referrals", detail."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from referrals.selectors import get_referral_for_user, referrals_visible_to


@login_required
def my_referrals(request: HttpRequest) -> HttpResponse:
    referrals = (
        referrals_visible_to(request.user)
        .filter(created_by=request.user)
        .select_related("incident")
        .order_by("-created_at")
    )
    return render(request, "referrals/my_referrals.html", {"referrals": referrals})


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = get_referral_for_user(request, referral_id)
    return render(request, "referrals/referral_detail.html", {"referral": referral})


urlpatterns = [
    path("mine/", my_referrals, name="mine"),
    path("new/", my_referrals, name="create"),
    path("new-group/", my_referrals, name="create_group"),
    path("<int:referral_id>/", referral_detail, name="detail"),
]
