"""Programs, cards and ledgers through the API."""

import pytest

from loyalty import ledger
from loyalty.models import LoyaltyCard, LoyaltyProgram, PointsTransaction
from tests.factories import CustomerProfileFactory, LoyaltyProgramFactory
from tests.helpers import error_map

from .conftest import BRONZE_SILVER_GOLD

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/loyalty-programs"


@pytest.fixture
def card_program(api):
    body = api.post(PROGRAMS, {"name": "Cards", "kind": "card"}, format="json").json()
    return LoyaltyProgram.objects.get(pk=body["id"])


def test_program_crud(api):
    response = api.post(
        PROGRAMS,
        {"name": "Coffee Club", "points_validity_days": 365, "timezone": "Europe/Paris"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    url = f"{PROGRAMS}/{response.json()['id']}"
    assert api.patch(url, {"status": "archived"}, format="json").json()["status"] == "archived"
    assert api.get(PROGRAMS, {"status": "archived"}).json()["results"][0]["name"] == "Coffee Club"
    assert api.delete(url).status_code == 204


@pytest.mark.parametrize(
    ("data", "attr"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "kind": "wallet"}, "kind"),
        ({"name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "x", "points_validity_days": -1}, "points_validity_days"),
        ({"name": "x", "status": "paused"}, "status"),
    ],
)
def test_invalid_programs(api, data, attr):
    response = api.post(PROGRAMS, data, format="json")
    assert response.status_code == 400
    assert attr in error_map(response)


def test_program_with_points_cannot_be_deleted_or_change_kind(api, program, profile):
    ledger.earn_points(program=program, profile=profile, amount=5)
    assert api.delete(f"{PROGRAMS}/{program.pk}").status_code == 409
    response = api.patch(f"{PROGRAMS}/{program.pk}", {"kind": "card"}, format="json")
    assert response.status_code == 400
    assert "kind" in error_map(response)


def test_cards_create_list_and_link_profile(api, card_program, organization):
    cards = f"{PROGRAMS}/{card_program.pk}/cards"
    assert api.post(cards, {"identifier": "C-1"}, format="json").status_code == 201
    duplicate = api.post(cards, {"identifier": "C-1"}, format="json")
    assert duplicate.status_code == 409  # the identifier is taken: a conflict, not a typo
    assert duplicate.json()["errors"][0]["code"] == "identifier_taken"
    CustomerProfileFactory(organization=organization, integration_id="alice")

    link = f"{cards}/C-1/link-profile"
    first = api.post(link, {"integration_id": "alice"}, format="json")
    assert first.status_code == 201
    assert first.json()["profiles"] == ["alice"]
    again = api.post(link, {"integration_id": "alice"}, format="json")
    assert again.status_code == 200  # linking twice is a no-op
    assert again.json()["profiles"] == ["alice"]
    assert LoyaltyCard.objects.get().profiles.count() == 1
    assert api.get(cards).json()["results"][0]["identifier"] == "C-1"
    assert api.patch(f"{cards}/C-1", {"status": "inactive"}, format="json").status_code == 200


def test_unlinking_a_profile_keeps_the_cards_points(api, card_program, organization):
    cards = f"{PROGRAMS}/{card_program.pk}/cards"
    api.post(cards, {"identifier": "C-1"}, format="json")
    CustomerProfileFactory(organization=organization, integration_id="alice")
    api.post(f"{cards}/C-1/link-profile", {"integration_id": "alice"}, format="json")
    api.post(f"{cards}/C-1/add-points", {"amount": 30}, format="json")
    unlinked = api.post(f"{cards}/C-1/unlink-profile", {"integration_id": "alice"}, format="json")
    assert unlinked.status_code == 200 and unlinked.json()["profiles"] == []
    again = api.post(f"{cards}/C-1/unlink-profile", {"integration_id": "alice"}, format="json")
    assert again.status_code == 200  # not linked: nothing to do
    balance = api.get(f"{cards}/C-1/balances").json()["balance"]
    assert balance["active"] == 30


def test_linking_another_organizations_profile_is_404(api, card_program, other_organization):
    api.post(f"{PROGRAMS}/{card_program.pk}/cards", {"identifier": "C-1"}, format="json")
    CustomerProfileFactory(organization=other_organization, integration_id="mallory")
    response = api.post(
        f"{PROGRAMS}/{card_program.pk}/cards/C-1/link-profile",
        {"integration_id": "mallory"},
        format="json",
    )
    assert response.status_code == 404
    assert LoyaltyCard.objects.get().profiles.count() == 0


def test_cards_only_in_card_programs(api, program):
    response = api.post(f"{PROGRAMS}/{program.pk}/cards", {"identifier": "C-1"}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "not_a_card_program"


def test_profile_ledger_endpoints(api, program, profile, read_only_api):
    base = f"{PROGRAMS}/{program.pk}/profiles/{profile.integration_id}"
    earned = api.post(f"{base}/add-points", {"amount": 100, "reason": "Welcome"}, format="json")
    assert earned.status_code == 201, earned.json()
    assert earned.json()["amount"] == 100
    assert PointsTransaction.objects.get().api_key_id == api.api_key.pk
    assert read_only_api.post(f"{base}/add-points", {"amount": 1}, format="json").status_code == 403
    spent = api.post(f"{base}/deduct-points", {"amount": 30}, format="json")
    assert spent.json()["amount"] == -30
    overdraft = api.post(f"{base}/deduct-points", {"amount": 71}, format="json")
    assert overdraft.status_code == 400
    assert error_map(overdraft) == {"amount": ["Only 70 active points; cannot spend 71."]}

    balances = api.get(f"{base}/balances").json()
    assert balances["balance"] == {
        "active": 70,
        "pending": 0,
        "expired": 0,
        "spent": 30,
        "tentative": 70,
    }
    past = api.get(f"{base}/balances", {"end_date": "2000-01-01T00:00:00Z"}).json()
    assert past["balance"]["active"] == 0
    points = api.get(f"{base}/points").json()["results"]
    assert [(p["amount"], p["unused"], p["status"]) for p in points] == [(100, 70, "active")]
    assert api.get(f"{base}/points", {"status": "pending"}).json()["results"] == []
    transactions = api.get(f"{base}/transactions").json()["results"]
    assert [t["amount"] for t in transactions] == [-30, 100]
    only_redeem = api.get(f"{base}/transactions", {"kind": "redeem"}).json()["results"]
    assert [t["amount"] for t in only_redeem] == [-30]
    assert api.get(f"{base}/transactions", {"start_date": "2999-01-01"}).json()["results"] == []


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("balances", {"end_date": "yesterday"}),
        ("points", {"status": "gone"}),
        ("transactions", {"kind": "gift"}),
        ("transactions", {"start_date": "soon"}),
    ],
)
def test_bad_query_parameters_are_400(api, program, profile, path, params):
    response = api.get(f"{PROGRAMS}/{program.pk}/profiles/{profile.integration_id}/{path}", params)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({}, "amount"),
        ({"amount": 5, "kind": "expiration"}, "kind"),
        ({"amount": 5, "subledger_id": "coffee"}, "subledger_id"),
        ({"amount": 5, "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_bad_point_writes_are_400_naming_the_field(api, program, profile, body, attr):
    url = f"{PROGRAMS}/{program.pk}/profiles/{profile.integration_id}/add-points"
    response = api.post(url, body, format="json")
    assert response.status_code == 400
    assert attr in error_map(response)
    assert not PointsTransaction.objects.exists()


def test_unknown_profile_is_404(api, program):
    url = f"{PROGRAMS}/{program.pk}/profiles/nobody/balances"
    assert api.get(url).status_code == 404


def test_add_points_honours_idempotency_key(api, program, profile):
    url = f"{PROGRAMS}/{program.pk}/profiles/{profile.integration_id}/add-points"
    first = api.post(url, {"amount": 10}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post(url, {"amount": 10}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.json()["id"] == again.json()["id"]
    assert PointsTransaction.objects.count() == 1


def test_card_ledger_endpoints(api, card_program):
    cards = f"{PROGRAMS}/{card_program.pk}/cards"
    api.post(cards, {"identifier": "C-9"}, format="json")
    assert api.post(f"{cards}/C-9/add-points", {"amount": 9}, format="json").status_code == 201
    assert api.get(f"{cards}/C-9/balances").json()["balance"]["active"] == 9
    assert api.post(f"{cards}/C-9/deduct-points", {"amount": 4}, format="json").status_code == 201
    assert len(api.get(f"{cards}/C-9/transactions").json()["results"]) == 2
    assert api.get(f"{cards}/C-9/points").json()["results"][0]["unused"] == 5
    assert api.get(f"{cards}/NOPE/balances").status_code == 404


def test_tier_history_endpoint(api, program, profile, make_structure):
    make_structure(tiers=BRONZE_SILVER_GOLD)
    base = f"{PROGRAMS}/{program.pk}/profiles/{profile.integration_id}"
    api.post(f"{base}/add-points", {"amount": 150}, format="json")
    history = api.get(f"{base}/tier-history").json()["results"]
    assert [(h["from_tier"], h["to_tier"], h["reason"]) for h in history] == [
        (None, "Silver", "activation")
    ]


def test_ledger_lists_have_a_fixed_query_count(
    api, program, profile, django_assert_max_num_queries
):
    for _ in range(10):
        ledger.earn_points(program=program, profile=profile, amount=3)
    base = f"{PROGRAMS}/{program.pk}/profiles/{profile.integration_id}"
    for path in ("points", "transactions", "balances"):
        with django_assert_max_num_queries(8):
            assert api.get(f"{base}/{path}").status_code == 200


def test_expired_points_list_shows_what_expired_unspent(api, program, profile):
    import datetime as dt

    from loyalty.models import PointsLot

    base = f"{PROGRAMS}/{program.pk}/profiles/{profile.integration_id}"
    api.post(f"{base}/add-points", {"amount": 100}, format="json")
    api.post(f"{base}/deduct-points", {"amount": 30}, format="json")
    PointsLot.objects.update(expires_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC))  # time passes
    expired = api.get(f"{base}/points", {"status": "expired"}).json()["results"]
    assert [(p["amount"], p["unused"], p["status"]) for p in expired] == [(100, 70, "expired")]
    assert api.get(f"{base}/points").json()["results"] == []  # nothing active any more


def test_a_program_with_points_is_not_deleted_but_an_empty_one_is(api, organization, program):
    ledger.earn_points(
        program=program, profile=CustomerProfileFactory(organization=organization), amount=5
    )
    response = api.delete(f"{PROGRAMS}/{program.pk}")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "has_points"
    empty = LoyaltyProgramFactory(organization=organization)
    assert api.delete(f"{PROGRAMS}/{empty.pk}").status_code == 204
    assert LoyaltyProgram.objects.filter(pk=program.pk).exists()
