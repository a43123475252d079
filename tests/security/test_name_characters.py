"""Issue 14 point 10: control and right-to-left override characters are refused in names,
with a kind message next to the field and everything else kept."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.validators import NAME_MESSAGE, validate_name
from referrals.models import Referral, Team
from tests.factories import UserFactory
from tests.referrals.test_referral_form_view import appendix_one_post, new_form

pytestmark = pytest.mark.django_db

BAD = [
    "Robin\u202eexe.cod",  # right-to-left override
    "Robin\u2066Test",  # left-to-right isolate
    "Robin\u200fTest",  # right-to-left mark
    "Robin\x1b[31mTest",  # terminal escape
    "Robin\nTest",  # line break
    "Robin\x00",  # NUL
]


@pytest.mark.parametrize("name", BAD)
def test_the_validator_refuses_hidden_characters(name):
    with pytest.raises(ValidationError, match="hidden control or text-direction character"):
        validate_name(name)


@pytest.mark.parametrize("name", ["Robin O'Neil-Smith", "Zoë Ångström", "محمد", "李小龙"])
def test_real_names_in_any_script_pass(name):
    validate_name(name)


def test_the_referral_form_refuses_it_next_to_the_field_and_keeps_the_rest(client, manager, team):
    token = new_form(client, manager)
    data = appendix_one_post(
        team, form_token=token, staff_name="Robin\u202eTest", event_details="Kept words"
    )

    response = client.post(reverse("referrals:create"), data)

    assert response.status_code == 400
    assert NAME_MESSAGE.replace("'", "&#x27;") in response.text
    assert "Kept words" in response.text
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    "build",
    [
        lambda: UserFactory.build(username="u1", first_name="A\u202eB"),
        lambda: UserFactory.build(username="u2", last_name="A\x07B"),
        lambda: Team(name="Team\u202e"),
    ],
    ids=["first name", "last name", "team"],
)
def test_model_names_refuse_it_too(build):
    with pytest.raises(ValidationError) as refused:
        build().full_clean()
    assert NAME_MESSAGE in str(refused.value)
