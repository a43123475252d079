"""History cannot be made or unmade in the admin: the transition log and the audit log
are written only by the services."""

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory

from accounts.mfa import CirsAdminSite
from accounts.models import AuditEvent
from referrals.models import TransitionLog


@pytest.fixture
def superuser_request(django_user_model):
    request = RequestFactory().get("/admin/")
    request.user = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    return request


@pytest.mark.django_db
@pytest.mark.parametrize("model", [TransitionLog, AuditEvent])
def test_history_cannot_be_added_changed_or_deleted(model, superuser_request):
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request)
    assert not model_admin.has_delete_permission(superuser_request)


def test_the_admin_site_is_set_by_the_app_config_not_by_swapping_its_class():
    assert isinstance(admin.site, CirsAdminSite)
    assert admin.site.name == "admin"
    assert "accounts.admin_site.CirsAdminConfig" in settings.INSTALLED_APPS
