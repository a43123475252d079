"""Referral URLs. Each view module owns its own ``urlpatterns``; this file only joins
them, so work on one part of the service never collides with another."""

from referrals.views import audit, board, common, detail, intake, outbox, support, triage

app_name = "referrals"

urlpatterns = [
    *common.urlpatterns,
    *intake.urlpatterns,
    *detail.urlpatterns,
    *triage.urlpatterns,
    *support.urlpatterns,
    *audit.urlpatterns,
    *board.urlpatterns,
    *outbox.urlpatterns,
]
