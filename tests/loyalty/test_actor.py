"""Who is recorded on a points transaction: one `organizations.tenancy.Actor` everywhere in
loyalty (the ledger services, the API, the admin's points page), so an API key, a staff user
and the system are told apart the same way."""

import pytest
from rest_framework.test import APIClient

from loyalty import ledger
from loyalty.models import PointsTransaction
from organizations.models import Role
from organizations.tenancy import Actor

pytestmark = pytest.mark.django_db


def recorded(amount):
    txn = PointsTransaction.objects.get(amount=amount)
    return txn.created_by, txn.api_key


def test_the_ledger_takes_the_tenancy_actor(program, profile, api_key, staff_user_factory):
    user = staff_user_factory(program.organization)
    ledger.earn_points(program=program, profile=profile, amount=1)
    ledger.earn_points(program=program, profile=profile, amount=2, actor=Actor(user=user))
    ledger.earn_points(program=program, profile=profile, amount=3, actor=Actor(api_key=api_key))
    ledger.adjust_points(
        program=program, profile=profile, amount=-4, reason="x", actor=Actor(user=user)
    )
    assert recorded(1) == (None, None)  # the system
    assert recorded(2) == (user, None)
    assert recorded(3) == (None, api_key)
    assert recorded(-4) == (user, None)


def test_an_api_key_is_recorded_not_a_user(api, program, profile):
    base = f"/api/v1/loyalty-programs/{program.pk}/profiles/{profile.integration_id}"
    assert api.post(f"{base}/add-points", {"amount": 5}, format="json").status_code == 201
    assert api.post(f"{base}/deduct-points", {"amount": 2}, format="json").status_code == 201
    assert recorded(5) == recorded(-2) == (None, api.api_key)


def test_a_staff_session_on_the_api_is_recorded_as_its_user(
    organization, program, profile, staff_user_factory
):
    user = staff_user_factory(organization, role=Role.EDITOR)
    client = APIClient()
    client.force_login(user)
    url = f"/api/v1/loyalty-programs/{program.pk}/profiles/{profile.integration_id}/add-points"
    assert client.post(url, {"amount": 6}, format="json").status_code == 201
    assert recorded(6) == (user, None)


def test_the_admin_points_page_records_the_staff_user(
    client, organization, program, profile, staff_user_factory
):
    user = staff_user_factory(organization, role=Role.EDITOR)
    client.force_login(user)
    url = f"/admin/loyalty/loyaltyprogram/{program.pk}/points/"
    response = client.post(url, {"owner": profile.integration_id, "amount": "7", "reason": "Gift"})
    assert response.status_code == 302
    assert recorded(7) == (user, None)
