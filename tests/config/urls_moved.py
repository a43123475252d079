"""A test-only URLconf: the real one mounted under /moved/, to show that a URL kept
once worked out (config/reversing.py) follows the URL configuration in force."""

from django.urls import include, path

urlpatterns = [path("moved/", include("config.urls"))]
