"""A test-only URLconf: the real one plus a view that fails, for the error page test."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as project_urlpatterns

SECRET_DETAIL = "database password is hunter2 at internal-db-7"


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


urlpatterns = [*project_urlpatterns, path("__boom__/", boom)]
