"""The profile ledger moved to `…/profiles/{integration_id}/…` (plural, beside `…/cards/…`); its
old singular path `…/profile/{integration_id}/…` answers for one more release: the same code,
the same answers, and each of its operations marked deprecated in the schema."""

import pytest
from django.urls import resolve, reverse
from drf_spectacular.generators import SchemaGenerator

from loyalty.api.views import DeprecatedProfileLedgerViewSet, ProfileLedgerViewSet
from loyalty.models import PointsTransaction
from tests.factories import CustomerProfileFactory, LoyaltyProgramFactory
from tests.helpers import error_map

from .conftest import BRONZE_SILVER_GOLD

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/loyalty-programs"
ROUTES = ("balances", "points", "transactions", "tier-history", "add-points", "deduct-points")
OLD, NEW = "profile", "profiles"
PREFIX = "/api/v1/loyalty-programs/{id}"


@pytest.fixture
def urls(program, profile):
    """segment -> the ledger URL prefix of `profile` under that segment."""
    return {
        segment: f"{PROGRAMS}/{program.pk}/{segment}/{profile.integration_id}"
        for segment in (OLD, NEW)
    }


def reads(api, base):
    """Everything the ledger shows under `base`, as the client sees it."""
    return {
        "balances": api.get(f"{base}/balances").json(),
        "past balances": api.get(f"{base}/balances", {"end_date": "2000-01-01T00:00:00Z"}).json(),
        "points": api.get(f"{base}/points").json(),
        "transactions": api.get(f"{base}/transactions").json(),
        "redeemed": api.get(f"{base}/transactions", {"kind": "redeem"}).json(),
        "tier history": api.get(f"{base}/tier-history").json(),
    }


def test_both_paths_read_and_write_the_same_ledger_alike(api, urls, make_structure):
    make_structure(tiers=BRONZE_SILVER_GOLD)
    earned = api.post(f"{urls[OLD]}/add-points", {"amount": 150, "reason": "Hi"}, format="json")
    assert earned.status_code == 201, earned.json()
    assert (earned.json()["amount"], earned.json()["kind"]) == (150, "manual")
    spent = api.post(f"{urls[NEW]}/deduct-points", {"amount": 30}, format="json")
    assert (spent.status_code, spent.json()["amount"]) == (201, -30)
    spent_old = api.post(f"{urls[OLD]}/deduct-points", {"amount": 20}, format="json")
    assert (spent_old.status_code, spent_old.json()["amount"]) == (201, -20)

    old, new = reads(api, urls[OLD]), reads(api, urls[NEW])
    assert old == new
    assert new["balances"]["balance"] == {
        "active": 100,
        "pending": 0,
        "expired": 0,
        "spent": 50,
        "tentative": 100,
    }
    assert [t["amount"] for t in new["transactions"]["results"]] == [-20, -30, 150]
    assert [h["to_tier"] for h in new["tier history"]["results"]] == ["Silver"]
    assert PointsTransaction.objects.get(amount=150).api_key_id == api.api_key.pk


@pytest.mark.parametrize(
    ("route", "body", "attr"),
    [
        ("add-points", {"amount": 0}, "amount"),
        ("add-points", {"amount": 5, "subledger_id": "coffee"}, "subledger_id"),
        ("deduct-points", {"amount": 1}, "amount"),  # nothing to spend
    ],
)
def test_both_paths_refuse_bad_writes_alike(api, urls, route, body, attr):
    old = api.post(f"{urls[OLD]}/{route}", body, format="json")
    new = api.post(f"{urls[NEW]}/{route}", body, format="json")
    assert old.status_code == new.status_code == 400
    assert error_map(old) == error_map(new)
    assert attr in error_map(new)
    assert not PointsTransaction.objects.exists()


@pytest.mark.parametrize("route", ROUTES)
def test_both_paths_answer_404s_alike(api, other_api, organization, program, urls, route):
    card_program = LoyaltyProgramFactory(organization=organization, kind="card")
    CustomerProfileFactory(organization=organization, integration_id="alice")

    def call(client, url):
        if route.endswith("-points"):
            return client.post(url, {"amount": 1}, format="json")
        return client.get(url)

    for segment in (OLD, NEW):
        for client, url in (
            (api, f"{PROGRAMS}/{program.pk}/{segment}/nobody/{route}"),
            (api, f"{PROGRAMS}/{card_program.pk}/{segment}/alice/{route}"),
            (other_api, f"{urls[segment]}/{route}"),  # another organization's program
        ):
            response = call(client, url)
            assert response.status_code == 404, url
        assert error_map(call(api, f"{PROGRAMS}/{card_program.pk}/{segment}/alice/{route}")) == {
            None: ["This is a card-based program: it has no profile ledgers; use a card."]
        }
    assert not PointsTransaction.objects.exists()


def test_the_old_path_honours_idempotency_keys(api, urls):
    url = f"{urls[OLD]}/add-points"
    first = api.post(url, {"amount": 7}, format="json", HTTP_IDEMPOTENCY_KEY="earn-1")
    again = api.post(url, {"amount": 7}, format="json", HTTP_IDEMPOTENCY_KEY="earn-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert api.post(
        url, {"amount": 8}, format="json", HTTP_IDEMPOTENCY_KEY="earn-1"
    ).status_code == (409)
    assert PointsTransaction.objects.count() == 1


def test_the_old_path_is_the_same_code_and_the_new_one_is_reversed(program):
    for route in ROUTES:
        old = resolve(f"{PROGRAMS}/{program.pk}/profile/p-1/{route}").func
        new = resolve(f"{PROGRAMS}/{program.pk}/profiles/p-1/{route}").func
        assert (old.cls, new.cls) == (DeprecatedProfileLedgerViewSet, ProfileLedgerViewSet)
        assert old.actions == new.actions
        for action in new.actions.values():
            assert getattr(old.cls, action).__code__ is getattr(new.cls, action).__code__
    assert DeprecatedProfileLedgerViewSet.idempotent_actions == {"add_points", "deduct_points"}
    # the documented path is the one url names lead to
    url = reverse(
        "loyalty-profile-ledger-balances", kwargs={"pk": program.pk, "integration_id": "p"}
    )
    assert url.startswith(f"{PROGRAMS}/{program.pk}/profiles/p/balances")


def test_options_names_the_old_routes_as_the_new(api, urls):
    for route in ROUTES:
        assert (
            api.options(f"{urls[OLD]}/{route}").json() == api.options(f"{urls[NEW]}/{route}").json()
        )


@pytest.fixture(scope="module")
def schema_paths():
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


@pytest.mark.parametrize("route", ROUTES)
def test_the_old_path_is_deprecated_in_the_schema_and_the_new_one_documented(schema_paths, route):
    old_path = f"{PREFIX}/profile/{{integration_id}}/{route}/"
    new_path = f"{PREFIX}/profiles/{{integration_id}}/{route}/"
    (method,) = schema_paths[new_path]
    old, new = dict(schema_paths[old_path][method]), dict(schema_paths[new_path][method])

    assert "deprecated" not in new
    assert old.pop("deprecated") is True
    note = f"Deprecated: use {new_path} (removed in the next release)."
    assert old["description"] == f"{note}\n\n{new['description']}"
    # generated clients keep the old names; the new ones are named after their path
    action = route.replace("-", "_")
    suffix = {"get": "list", "post": "create"}[method]
    if route == "balances":
        suffix = "retrieve"
    assert old["operationId"] == f"v1_loyalty_programs_profile_{action}_{suffix}"
    assert new["operationId"] == f"v1_loyalty_programs_profiles_{action}_{suffix}"
    # apart from that, the two operations are the same (parameters, bodies, answers)
    for key in ("operationId", "description"):
        old.pop(key), new.pop(key)
    assert old == new


def test_only_the_old_profile_paths_are_deprecated(schema_paths):
    deprecated = sorted(
        path
        for path, item in schema_paths.items()
        for operation in item.values()
        if path.startswith("/api/v1/loyalty-programs") and operation.get("deprecated")
    )
    assert deprecated == sorted(f"{PREFIX}/profile/{{integration_id}}/{route}/" for route in ROUTES)
    operation_ids = [op["operationId"] for item in schema_paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
