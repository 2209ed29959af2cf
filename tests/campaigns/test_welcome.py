"""`profile_created` rules: a customer who joins gets the welcome points once."""

import pytest

from campaigns.services.welcome import apply_profile_created_rules
from customers.models import CustomerProfile
from loyalty.models import PointsAccount
from tests.factories import EarningRuleFactory, LoyaltyProgramFactory

pytestmark = pytest.mark.django_db


def test_a_new_customer_gets_the_welcome_points_once(
    api, organization, django_capture_on_commit_callbacks
):
    program = LoyaltyProgramFactory(organization=organization)
    EarningRuleFactory(
        organization=organization,
        program=program,
        name="Welcome",
        trigger="profile_created",
        conditions=[{"field": "attributes.newsletter", "operator": "eq", "values": [True]}],
        effects=[{"type": "add_points", "points": 50}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        api.put(
            "/api/v1/customer-profiles/ada", {"attributes": {"newsletter": True}}, format="json"
        )
        api.put("/api/v1/customer-profiles/bob", {"attributes": {}}, format="json")
    ada = CustomerProfile.objects.get(integration_id="ada")
    assert PointsAccount.objects.get(profile=ada).active_points == 50
    assert not PointsAccount.objects.filter(profile__integration_id="bob").exists()

    # an update is no creation, and a redelivered task gives nothing twice
    with django_capture_on_commit_callbacks(execute=True):
        api.patch("/api/v1/customer-profiles/ada", {"first_name": "Ada"}, format="json")
    assert apply_profile_created_rules(organization=organization, profile_ids=[ada.pk]) == 0
    assert PointsAccount.objects.get(profile=ada).active_points == 50
