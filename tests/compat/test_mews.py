"""Mews Connector's loyalty memberships (seed 004) at /compat/mews/: every call a POST with
the tokens in the body, PascalCase names, Mews' error shape, and our memberships underneath."""

import pytest

from loyalty import ledger
from memberships.models import LoyaltyMembership
from tests.factories import ApiKeyFactory, CustomerProfileFactory, LoyaltyProgramFactory

pytestmark = pytest.mark.django_db
URL = "/compat/mews/api/connector/v1/loyaltyMemberships"


@pytest.fixture
def program(organization):
    return LoyaltyProgramFactory(organization=organization, name="Club")


@pytest.fixture
def token(organization):
    return ApiKeyFactory(organization=organization, scopes=["read", "write"]).secret


def call(client, action, token, **body):
    tokens = {"ClientToken": "client-1", "AccessToken": token, "Client": "Sample Client 1.0.0"}
    return client.post(f"{URL}/{action}", {**tokens, **body}, content_type="application/json")


def add_body(program, *accounts, primary=True):
    return [
        {"LoyaltyProgramId": str(program.pk), "AccountId": account, "IsPrimary": primary,
         "Code": f"M-{account}", "State": "Enrolled"}
        for account in accounts
    ]  # fmt: skip


def test_add_get_update_and_delete_as_the_seed_prints_them(client, organization, program, token):
    ada = CustomerProfileFactory(organization=organization, integration_id="ada")
    CustomerProfileFactory(organization=organization, integration_id="bob")
    added = call(client, "add", token, LoyaltyMemberships=add_body(program, "ada", "bob"))
    assert added.status_code == 200, added.content
    [first, second] = added.json()["LoyaltyMemberships"]
    assert (first["AccountId"], first["State"], first["IsPrimary"]) == ("ada", "Enrolled", True)
    assert first["ChainId"] == str(organization.pk)

    ledger.earn_points(program=program, profile=ada, amount=120)
    listed = call(client, "getAll", token, AccountIds=["ada"], Limitation={"Count": 10}).json()
    [row] = listed["LoyaltyMemberships"]
    assert row["Points"] == 120 and listed["Cursor"] == row["Id"]  # points: the ledger's

    updated = call(
        client,
        "update",
        token,
        LoyaltyMembershipUpdates=[
            {"LoyaltyMembershipId": first["Id"], "Code": {"Value": "GOLD-1"}, "Url": None}
        ],
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["LoyaltyMemberships"][0]["Code"] == "GOLD-1"
    assert LoyaltyMembership.objects.get(pk=first["Id"]).is_primary  # null: unchanged

    assert call(client, "delete", token, LoyaltyMembershipIds=[second["Id"]]).status_code == 200
    active = call(client, "getAll", token, Limitation={"Count": 10}).json()["LoyaltyMemberships"]
    assert [m["Id"] for m in active] == [first["Id"]]
    deleted = call(client, "getAll", token, ActivityStates=["Deleted"], Limitation={"Count": 10})
    assert [m["Id"] for m in deleted.json()["LoyaltyMemberships"]] == [second["Id"]]


def test_the_cursor_pages_through_every_row_once(client, organization, program, token):
    for n in range(5):
        CustomerProfileFactory(organization=organization, integration_id=f"c{n}")
    call(client, "add", token, LoyaltyMemberships=add_body(program, *[f"c{n}" for n in range(5)],
         primary=False))  # fmt: skip
    seen, cursor = [], None
    while True:
        page = call(client, "getAll", token, Limitation={"Count": 2, "Cursor": cursor}).json()
        if not page["LoyaltyMemberships"]:
            break
        seen += [m["AccountId"] for m in page["LoyaltyMemberships"]]
        cursor = page["Cursor"]
    assert sorted(seen) == [f"c{n}" for n in range(5)]  # each once (one batch: one moment)


def test_1001_items_is_a_400_in_mews_shape_and_nothing_is_written(client, program, token):
    items = add_body(program, *[f"a{n}" for n in range(1001)], primary=False)
    response = call(client, "add", token, LoyaltyMemberships=items)
    assert response.status_code == 400
    assert "1,000" in response.json()["Message"]
    bad = call(client, "add", token, LoyaltyMemberships=add_body(program, "nobody"))
    assert bad.status_code == 400 and "nobody" in bad.json()["Message"]
    assert not LoyaltyMembership.objects.exists()


def test_tokens_scopes_and_tenancy(client, organization, other_organization, program, token):
    CustomerProfileFactory(organization=organization, integration_id="ada")
    [mine] = call(client, "add", token, LoyaltyMemberships=add_body(program, "ada")).json()[
        "LoyaltyMemberships"
    ]
    assert call(client, "getAll", "wrong", Limitation={"Count": 1}).status_code == 401
    read_only = ApiKeyFactory(organization=organization, scopes=["read"]).secret
    assert call(client, "getAll", read_only, Limitation={"Count": 1}).status_code == 200
    refused = call(client, "delete", read_only, LoyaltyMembershipIds=[mine["Id"]])
    assert refused.status_code == 403 and refused.json()["Message"]
    theirs = ApiKeyFactory(organization=other_organization).secret
    listed = call(client, "getAll", theirs, Limitation={"Count": 10}).json()
    assert listed["LoyaltyMemberships"] == []
    other_chain = call(client, "add", token, ChainId=str(other_organization.pk),
                       LoyaltyMemberships=add_body(program, "ada"))  # fmt: skip
    assert other_chain.status_code == 404 and "chain" in other_chain.json()["Message"]
    foreign = call(client, "delete", theirs, LoyaltyMembershipIds=[mine["Id"]])
    assert foreign.status_code == 400  # no such membership for them
    assert LoyaltyMembership.objects.get(pk=mine["Id"]).deleted_at is None
