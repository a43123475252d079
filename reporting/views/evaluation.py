"""The staff member's evaluation questionnaire, after support has ended."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from referrals import permissions as perms
from referrals.models import Referral
from referrals.selectors import get_referral_for_user
from referrals.services import RuleRefused
from reporting.evaluation import AlreadyAnswered, submit_evaluation
from reporting.forms import EvaluationForm
from reporting.models import EvaluationResponse

TEMPLATE = "reporting/evaluation.html"


@login_required
def evaluation(request: HttpRequest, referral_id: int) -> HttpResponse:
    # Someone else's referral is a 404 (and an audited refusal); a referral the user
    # may see but is not the staff member of (their manager, say) is a 403.
    referral = get_referral_for_user(request, referral_id)
    perms.require(request.user, perms.is_staff_member, referral)
    if EvaluationResponse.objects.filter(referral=referral).exists():
        return render(request, TEMPLATE, {"answered": True})
    if referral.state != Referral.State.CLOSED:
        return render(request, TEMPLATE, {"not_yet": True})
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            submit_evaluation(referral_id=referral.pk, by=request.user, **form.cleaned_data)
        except AlreadyAnswered:
            return render(request, TEMPLATE, {"answered": True})
        except RuleRefused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            messages.success(request, "Thank you for taking the time to answer.")
            return redirect("reporting:evaluation", referral_id=referral.pk)
    return render(request, TEMPLATE, {"form": form}, status=400 if form.errors else 200)


urlpatterns = [path("evaluation/<int:referral_id>/", evaluation, name="evaluation")]
