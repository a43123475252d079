"""Issue 14 point 10 (docs/security-checklist.md row 17): the admin site keeps the Content
Security Policy too. A superuser walks the admin index, every list (with and without
bulk actions) and one change page of each, in a real browser: no CSP violation and no
console error."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import User
from therapists.management.commands.seed_demo import DEMO_PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_admin_walk_meets_no_csp_violation(live_server, open_tab, settings):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    call_command("seed_demo", stdout=io.StringIO())
    User.objects.create_superuser("ada", "ada@example.org", DEMO_PASSWORD)
    tab = open_tab()
    problems = [f"sign-in: {p}" for p in tab.sign_in("ada", DEMO_PASSWORD)]

    pages = [reverse("admin:index")]
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="ada")
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        pages.append(reverse(f"{prefix}_changelist"))
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"{prefix}_add"))
        first = apps.get_model(opts.app_label, opts.model_name).objects.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"{prefix}_change", args=[first.pk]))
            pages.append(reverse(f"{prefix}_history", args=[first.pk]))
            if model_admin.has_delete_permission(request, first):
                pages.append(reverse(f"{prefix}_delete", args=[first.pk]))
    for path in pages:
        response = tab.page.goto(path)
        tab.page.wait_for_load_state("load")
        if response is None or response.status >= 400:
            problems.append(f"{path}: HTTP {response.status if response else 'no response'}")
        problems += [f"{path}: {problem}" for problem in tab.problems()]

    assert len(pages) > 10
    assert problems == []


@pytest.mark.django_db
def test_a_list_without_actions_has_no_inline_style(client, settings, monkeypatch):
    """Django's change list writes an inline <style> when a list shows no actions;
    templates/admin/change_list.html moves that rule into a file."""
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    client.force_login(User.objects.create_superuser("ada", "ada@example.org", DEMO_PASSWORD))
    model_admin = admin.site._registry[User]
    monkeypatch.setattr(model_admin, "actions_on_top", False)
    monkeypatch.setattr(model_admin, "actions_on_bottom", False)

    html = client.get(reverse("admin:accounts_user_changelist")).text

    assert "<style" not in html
    assert "cirs-no-actions" in html
    assert "cirs/admin.css" in html
