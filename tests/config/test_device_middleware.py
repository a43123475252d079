"""``accounts.mfa.DeviceMiddleware``: each page finds the code device its session was
verified with, as django-otp's middleware does, with the authenticator-app device read
by SQL written once."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.mfa import DeviceMiddleware
from tests.config.conftest import add_totp_device
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _user_for(user, persistent_id, session_factory):
    request = RequestFactory().get("/")
    request.session = session_factory()
    if persistent_id is not None:
        request.session[DEVICE_ID_SESSION_KEY] = persistent_id
    request.user = user
    seen = {}

    def view(req):
        seen["device"] = req.user.otp_device
        seen["verified"] = req.user.is_verified()
        return None

    DeviceMiddleware(view)(request)
    return seen, request.session


@pytest.fixture
def session_factory():
    from django.contrib.sessions.backends.db import SessionStore

    return SessionStore


def test_the_session_s_own_device_is_found(manager, session_factory):
    device = add_totp_device(manager)
    seen, _session = _user_for(manager, device.persistent_id, session_factory)
    assert seen == {"device": device, "verified": True}
    assert seen["device"].key == device.key  # every field, not only the id


def test_someone_else_s_or_an_unconfirmed_device_does_not_count(manager, session_factory):
    other = add_totp_device(UserFactory())
    seen, session = _user_for(manager, other.persistent_id, session_factory)
    assert seen == {"device": None, "verified": False}
    assert DEVICE_ID_SESSION_KEY not in session
    unconfirmed = add_totp_device(manager, confirmed=False)
    seen, _session = _user_for(manager, unconfirmed.persistent_id, session_factory)
    assert seen["device"] is None


@pytest.mark.parametrize("persistent_id", ["otp_totp.totpdevice/999999", "nonsense", "a.b/1"])
def test_a_missing_or_unreadable_device_is_none(manager, session_factory, persistent_id):
    seen, _session = _user_for(manager, persistent_id, session_factory)
    assert seen == {"device": None, "verified": False}


def test_other_kinds_of_device_are_read_as_django_otp_reads_them(manager, session_factory):
    backup = StaticDevice.objects.create(user=manager, name="backup", confirmed=True)
    seen, _session = _user_for(manager, backup.persistent_id, session_factory)
    assert seen == {"device": backup, "verified": True}


def test_the_person_is_one_lazy_proxy_deep_not_two(manager, session_factory):
    """The sign-in's lazy person is taken out of its proxy before django-otp wraps it:
    every attribute a page reads of ``request.user`` goes through one proxy."""
    from django.utils.functional import LazyObject, SimpleLazyObject

    device = add_totp_device(manager)
    request = RequestFactory().get("/")
    request.session = session_factory()
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.user = SimpleLazyObject(lambda: manager)
    seen = {}

    def view(req):
        seen["verified"] = req.user.is_verified()
        seen["inner"] = req.user._wrapped
        return None

    DeviceMiddleware(view)(request)
    assert seen["verified"] is True
    assert seen["inner"] is manager and not isinstance(seen["inner"], LazyObject)
