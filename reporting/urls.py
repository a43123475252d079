"""Monitoring URLs. Each view module owns its own ``urlpatterns``; this file joins them."""

from reporting.views import dashboard, evaluation

app_name = "reporting"

urlpatterns = [*dashboard.urlpatterns, *evaluation.urlpatterns]
