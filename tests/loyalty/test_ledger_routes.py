"""The points ledger under a profile and under a card: one viewset (views/ledger.py) made for each
kind of owner, so both answer alike; the owner is looked up in one place (views/owners.py)."""

import pytest
from django.urls import resolve

from loyalty.api.views import CardLedgerViewSet, ProfileLedgerViewSet
from loyalty.models import LoyaltyCard, LoyaltyProgram, PointsTransaction
from tests.factories import CustomerProfileFactory, LoyaltyCardFactory, LoyaltyProgramFactory
from tests.helpers import error_map

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/loyalty-programs"
WRITES = ("add-points", "deduct-points")
LEDGER_PATHS = ("balances", "points", "transactions", "add-points", "deduct-points")
NO_CARDS = "This is a profile-based program: it has no cards; use a profile."
NO_PROFILES = "This is a card-based program: it has no profile ledgers; use a card."


def call(client, url):
    """The route's method: a write adds a point, a read is a plain GET."""
    if url.rsplit("/", 1)[-1] in WRITES:
        return client.post(url, {"amount": 1}, format="json")
    return client.get(url)


@pytest.fixture(params=["profile", "card"])
def owner_url(request, organization):
    """The ledger URL prefix of a profile or of a card (each in a program of its kind)."""
    if request.param == "profile":
        program = LoyaltyProgramFactory(organization=organization)
        profile = CustomerProfileFactory(organization=organization, integration_id="cust.1")
        return f"{PROGRAMS}/{program.pk}/profiles/{profile.integration_id}"
    card = LoyaltyCardFactory(organization=organization, identifier="CARD.1")
    return f"{PROGRAMS}/{card.program.pk}/cards/{card.identifier}"


def test_both_ledgers_earn_spend_and_report_alike(api, owner_url):
    earned = api.post(f"{owner_url}/add-points", {"amount": 100, "reason": "Hi"}, format="json")
    assert earned.status_code == 201, earned.json()
    assert (earned.json()["amount"], earned.json()["kind"]) == (100, "manual")
    spent = api.post(f"{owner_url}/deduct-points", {"amount": 30}, format="json")
    assert (spent.status_code, spent.json()["amount"], spent.json()["kind"]) == (201, -30, "redeem")
    overdraft = api.post(f"{owner_url}/deduct-points", {"amount": 71}, format="json")
    assert error_map(overdraft) == {"amount": ["Only 70 active points; cannot spend 71."]}

    balance = api.get(f"{owner_url}/balances").json()["balance"]
    assert balance == {"active": 70, "pending": 0, "expired": 0, "spent": 30, "tentative": 70}
    points = api.get(f"{owner_url}/points").json()["results"]
    assert [(p["amount"], p["unused"], p["status"]) for p in points] == [(100, 70, "active")]
    transactions = api.get(f"{owner_url}/transactions", {"kind": "redeem"}).json()["results"]
    assert [t["amount"] for t in transactions] == [-30]
    assert PointsTransaction.objects.get(amount=100).api_key_id == api.api_key.pk


def test_both_ledgers_replay_an_idempotent_write(api, owner_url):
    url = f"{owner_url}/add-points"
    first = api.post(url, {"amount": 7}, format="json", HTTP_IDEMPOTENCY_KEY="earn-1")
    again = api.post(url, {"amount": 7}, format="json", HTTP_IDEMPOTENCY_KEY="earn-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = api.post(url, {"amount": 8}, format="json", HTTP_IDEMPOTENCY_KEY="earn-1")
    assert other.status_code == 409
    assert PointsTransaction.objects.count() == 1


@pytest.mark.parametrize("path", LEDGER_PATHS)
def test_a_ledger_of_the_other_kind_of_owner_is_a_404_saying_why(api, organization, path):
    profile_program = LoyaltyProgramFactory(organization=organization)
    card = LoyaltyCardFactory(organization=organization)
    CustomerProfileFactory(organization=organization, integration_id="alice")
    cards_of_profiles = call(api, f"{PROGRAMS}/{profile_program.pk}/cards/{card.identifier}/{path}")
    assert cards_of_profiles.status_code == 404
    assert error_map(cards_of_profiles) == {None: [NO_CARDS]}
    profiles_of_cards = call(api, f"{PROGRAMS}/{card.program.pk}/profiles/alice/{path}")
    assert profiles_of_cards.status_code == 404
    assert error_map(profiles_of_cards) == {None: [NO_PROFILES]}


@pytest.mark.parametrize("path", LEDGER_PATHS)
def test_owners_that_are_not_the_programs_are_404(api, organization, other_organization, path):
    program = LoyaltyProgramFactory(organization=organization)
    card_program = LoyaltyProgramFactory(organization=organization, kind="card")
    CustomerProfileFactory(organization=other_organization, integration_id="mallory")
    other_programs_card = LoyaltyCardFactory(organization=organization)  # another program's
    for url in (
        f"{PROGRAMS}/{program.pk}/profiles/nobody/{path}",
        f"{PROGRAMS}/{program.pk}/profiles/mallory/{path}",  # another organization's profile
        f"{PROGRAMS}/{program.pk}/profiles/{'x' * 300}/{path}",  # no profile can have this id
        f"{PROGRAMS}/{card_program.pk}/cards/{other_programs_card.identifier}/{path}",
        f"{PROGRAMS}/{card_program.pk}/cards/NOPE/{path}",
    ):
        response = call(api, url)
        assert response.status_code == 404, url
        assert error_map(response) == {None: ["Not found."]}
    assert not PointsTransaction.objects.exists()


@pytest.mark.parametrize("path", LEDGER_PATHS)
def test_another_organizations_program_is_404(api, other_api, owner_url, path):
    response = call(other_api, f"{owner_url}/{path}")
    assert response.status_code == 404
    assert not PointsTransaction.objects.exists()


def test_tier_history_is_a_profile_route_only(api, organization):
    card = LoyaltyCardFactory(organization=organization)
    response = api.get(f"{PROGRAMS}/{card.program.pk}/cards/{card.identifier}/tier-history")
    assert response.status_code == 404  # no such route
    assert "tier_history" not in CardLedgerViewSet.__dict__
    assert "tier_history" in ProfileLedgerViewSet.__dict__


def test_one_ledger_viewset_serves_both_mounts(organization):
    card = LoyaltyCardFactory(organization=organization, identifier="C-1")
    program = LoyaltyProgramFactory(organization=organization)
    for path in LEDGER_PATHS:
        profile_view = resolve(f"{PROGRAMS}/{program.pk}/profiles/p-1/{path}").func
        card_view = resolve(f"{PROGRAMS}/{card.program.pk}/cards/C-1/{path}").func
        assert profile_view.cls is ProfileLedgerViewSet
        assert card_view.cls is CardLedgerViewSet
        assert profile_view.actions == card_view.actions
        for action in profile_view.actions.values():  # written once: the same code answers
            profile_code = getattr(ProfileLedgerViewSet, action).__code__
            assert profile_code is getattr(CardLedgerViewSet, action).__code__
    assert ProfileLedgerViewSet.idempotent_actions == {"add_points", "deduct_points"}
    assert CardLedgerViewSet.idempotent_actions == {"add_points", "deduct_points"}


def test_options_names_the_routes_as_before(api, owner_url):
    prefix = "" if "/profiles/" in owner_url else "Card "
    body = api.options(f"{owner_url}/add-points").json()
    assert body["name"] == f"{prefix}add points".capitalize()
    assert body["description"] == (
        "Loyalty programs; their cards and the points ledgers of their profiles and cards."
    )


def test_card_routes(api, organization, other_organization):
    program = LoyaltyProgramFactory(organization=organization, kind=LoyaltyProgram.Kind.CARD)
    cards = f"{PROGRAMS}/{program.pk}/cards"
    created = api.post(cards, {"identifier": "C.9"}, format="json")
    assert created.status_code == 201
    assert api.get(f"{cards}/C.9").json()["identifier"] == "C.9"  # dots are allowed
    assert api.patch(f"{cards}/C.9", {"status": "inactive"}, format="json").json()["status"] == (
        "inactive"
    )
    assert api.get(f"{cards}/NOPE").status_code == 404
    CustomerProfileFactory(organization=organization, integration_id="alice")
    CustomerProfileFactory(organization=other_organization, integration_id="mallory")
    linked = api.post(f"{cards}/C.9/link-profile", {"integration_id": "alice"}, format="json")
    assert (linked.status_code, linked.json()["profiles"]) == (201, ["alice"])
    foreign = api.post(f"{cards}/C.9/link-profile", {"integration_id": "mallory"}, format="json")
    assert foreign.status_code == 404
    assert list(LoyaltyCard.objects.get().profiles.values_list("integration_id", flat=True)) == [
        "alice"
    ]
