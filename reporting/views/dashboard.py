"""Service lead's monitoring dashboard: aggregate, anonymised figures only."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from referrals import permissions as perms


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.can_see_reports)
    return render(request, "reporting/dashboard.html", {})


urlpatterns = [path("", dashboard, name="dashboard")]
