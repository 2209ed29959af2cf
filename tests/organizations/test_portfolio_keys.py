"""Portfolio keys: one API key for several organizations (chains). Each request names the one
it acts for (X-Organization in our API, X-App-Id in Voucherify's, ChainId in Mews'); a read
that names none acts for the key's own organization, a write that names none is refused, and
an organization outside the key is never reached."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from customers.models import CustomerProfile
from memberships.models import LoyaltyMembership
from organizations.models import ApiKey, Role
from tests.factories import (
    ApiKeyFactory,
    CustomerProfileFactory,
    LoyaltyProgramFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db
PROFILES = "/api/v1/customer-profiles"
MEWS = "/compat/mews/api/connector/v1/loyaltyMemberships"


@pytest.fixture
def chains(organization, other_organization):
    third = OrganizationFactory(name="Third Cafe", slug="third")
    return organization, other_organization, third


@pytest.fixture
def portfolio_key(chains):
    a, b, _ = chains
    return ApiKeyFactory(organization=a, portfolio=[b], scopes=["read", "write"])


def bearer(key, organization=None) -> APIClient:
    client = APIClient()
    extra = {"HTTP_X_ORGANIZATION": organization.slug} if organization else {}
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.secret}", **extra)
    return client


def upsert(client, integration_id):
    body = {"customer_profiles": [{"integration_id": integration_id}]}
    return client.put(PROFILES, body, format="json")


def test_our_api_acts_for_the_named_organization_and_writes_need_one(chains, portfolio_key):
    a, b, c = chains
    for org, name in ((a, "in-a"), (b, "in-b"), (c, "in-c")):
        CustomerProfileFactory(organization=org, integration_id=name)

    def listed(client):
        return {p["integration_id"] for p in client.get(PROFILES).json()["results"]}

    assert listed(bearer(portfolio_key)) == {"in-a"}  # no header: the key's own organization
    assert listed(bearer(portfolio_key, b)) == {"in-b"}
    outside = bearer(portfolio_key, c).get(PROFILES)
    assert outside.status_code == 403 and "third" in outside.json()["errors"][0]["detail"]

    refused = upsert(bearer(portfolio_key), "new")
    assert refused.status_code == 400, refused.content
    assert refused.json()["errors"][0]["attr"] == "X-Organization"
    assert upsert(bearer(portfolio_key, c), "new").status_code == 403
    assert not CustomerProfile.objects.filter(integration_id="new").exists()

    assert upsert(bearer(portfolio_key, b), "new").status_code == 200
    assert CustomerProfile.objects.get(integration_id="new").organization == b
    # a row of C is as unknown as it is to any other key, by id too
    theirs = CustomerProfile.objects.get(integration_id="in-c")
    assert bearer(portfolio_key, b).get(f"{PROFILES}/{theirs.pk}").status_code == 404


def test_a_single_organization_key_cannot_name_another(organization, other_organization):
    key = ApiKeyFactory(organization=organization)
    assert bearer(key, organization).get(PROFILES).status_code == 200
    assert bearer(key, other_organization).get(PROFILES).status_code == 403
    assert upsert(bearer(key), "plain").status_code == 200  # no header needed to write


def test_a_revoked_portfolio_key_is_refused_everywhere(chains, portfolio_key):
    from organizations.services import revoke_api_key

    revoke_api_key(api_key=portfolio_key)
    assert bearer(portfolio_key, chains[1]).get(PROFILES).status_code == 401


def test_create_api_key_command_makes_a_portfolio_key(chains):
    a, b, c = chains
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_key", "--org", a.slug, "--org", b.slug, "--name", "group",
        "--scopes", "read,write", stdout=out, stderr=err,
    )  # fmt: skip
    key = ApiKey.objects.get(name="group")
    assert key.is_portfolio and list(key.portfolio.all()) == [b]
    assert "portfolio API key" in err.getvalue() and b.name in err.getvalue()
    key.secret = out.getvalue().strip()
    assert upsert(bearer(key, b), "via-cli").status_code == 200
    assert bearer(key, c).get(PROFILES).status_code == 403
    with pytest.raises(CommandError, match="nope"):
        call_command("create_api_key", "--org", a.slug, "--org", "nope", "--name", "x")


def test_admin_portfolio_keys_need_an_owner_of_every_organization(
    client, chains, staff_user_factory
):
    a, b, c = chains
    owner = staff_user_factory(a, role=Role.OWNER)
    from tests.factories import OrganizationMemberFactory

    OrganizationMemberFactory(organization=b, user=owner, role=Role.OWNER)
    OrganizationMemberFactory(organization=c, user=owner, role=Role.EDITOR)
    client.force_login(owner)
    form = client.get("/admin/organizations/apikey/add/").content.decode()
    assert "Also acts for" in form and b.name in form and c.name not in form

    def add(*portfolio):
        return client.post(
            "/admin/organizations/apikey/add/",
            {"organization": a.pk, "name": f"pos {len(portfolio)}", "scopes": ["read"],
             "portfolio": [o.pk for o in portfolio]},
        )  # fmt: skip

    assert add(c).status_code == 200  # the form refuses C: only an editor there
    assert not ApiKey.objects.filter(name="pos 1").exists()
    assert add(b).status_code == 302
    key = ApiKey.objects.get(name="pos 1")
    assert key.is_portfolio and list(key.portfolio.all()) == [b]

    # an owner of B alone sees the key that acts for B, and may revoke it
    b_owner = staff_user_factory(b, role=Role.OWNER)
    client.force_login(b_owner)
    page = client.get("/admin/organizations/apikey/").content.decode()
    assert "pos 1" in page and f"{a.name}, {b.name}" in page
    client.post(
        "/admin/organizations/apikey/",
        {"action": "revoke_keys", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_voucherify_app_id_picks_the_portfolio_organization(chains, portfolio_key, client):
    a, b, c = chains
    url = "/compat/voucherify/v2/loyalties/tier-structures"
    program = LoyaltyProgramFactory(organization=b, name="B club")
    body = {"name": "B tiers", "type": "POINT_BALANCE", "card_definition_id": str(program.pk)}

    def send(app_id):
        return client.post(
            url, body, content_type="application/json",
            HTTP_X_APP_ID=app_id, HTTP_X_APP_TOKEN=portfolio_key.secret,
        )  # fmt: skip

    created = send(b.slug)
    assert created.status_code == 201, created.content
    assert send(a.slug).status_code == 400  # B's program is not A's
    assert send(c.slug).status_code == 401


def mews(client, action, token, **body):
    tokens = {"ClientToken": "c", "AccessToken": token, "Client": "Sample Client 1.0.0"}
    return client.post(f"{MEWS}/{action}", {**tokens, **body}, content_type="application/json")


def test_mews_portfolio_token_lists_every_chain_and_writes_name_one(chains, portfolio_key, client):
    a, b, c = chains
    programs = {org: LoyaltyProgramFactory(organization=org, name="Club") for org in chains}
    for org in chains:
        CustomerProfileFactory(organization=org, integration_id="ada")
    token = portfolio_key.secret

    def item(org):
        return [{"LoyaltyProgramId": str(programs[org].pk), "AccountId": "ada",
                 "IsPrimary": True}]  # fmt: skip

    missing = mews(client, "add", token, LoyaltyMemberships=item(a))
    assert missing.status_code == 400 and "ChainId" in missing.json()["Message"]
    outside = mews(client, "add", token, ChainId=str(c.pk), LoyaltyMemberships=item(c))
    assert outside.status_code == 404
    assert not LoyaltyMembership.objects.exists()

    for org in (a, b):
        added = mews(client, "add", token, ChainId=str(org.pk), LoyaltyMemberships=item(org))
        assert added.status_code == 200, added.content
        assert added.json()["LoyaltyMemberships"][0]["ChainId"] == str(org.pk)
    LoyaltyMembership.objects.create(
        organization=c, program=programs[c], profile=CustomerProfile.objects.get(organization=c)
    )

    def chains_listed(**filters):
        rows = mews(client, "getAll", token, Limitation={"Count": 10}, **filters).json()
        return {row["ChainId"] for row in rows["LoyaltyMemberships"]}

    assert chains_listed() == {str(a.pk), str(b.pk)}  # never C
    assert chains_listed(ChainIds=[str(b.pk)]) == {str(b.pk)}
    assert chains_listed(ChainIds=[str(c.pk)]) == set()

    in_b = LoyaltyMembership.objects.get(organization=b)
    change = [{"LoyaltyMembershipId": str(in_b.pk), "Code": {"Value": "B-1"}}]
    assert mews(client, "update", token, LoyaltyMembershipUpdates=change).status_code == 400
    wrong_chain = mews(client, "update", token, ChainId=str(a.pk), LoyaltyMembershipUpdates=change)
    assert wrong_chain.status_code == 400  # not a membership of A
    done = mews(client, "update", token, ChainId=str(b.pk), LoyaltyMembershipUpdates=change)
    assert done.status_code == 200 and done.json()["LoyaltyMemberships"][0]["Code"] == "B-1"
    ids = [str(in_b.pk)]
    assert mews(client, "delete", token, LoyaltyMembershipIds=ids).status_code == 400
    assert mews(client, "delete", token, ChainId=str(b.pk), LoyaltyMembershipIds=ids).json() == {}


def test_talon_one_dialect_takes_the_same_header(chains, portfolio_key, client):
    b = chains[1]
    url = "/compat/talon-one/v2/customer_profiles/ada"
    auth = {"HTTP_AUTHORIZATION": f"ApiKey-v1 {portfolio_key.secret}"}
    body = {"attributes": {"Name": "Ada"}}
    refused = client.put(url, body, content_type="application/json", **auth)
    assert refused.status_code == 400, refused.content
    assert "X-Organization" in refused.json()["errors"][0]["details"]
    done = client.put(
        url, body, content_type="application/json", HTTP_X_ORGANIZATION=b.slug, **auth
    )
    assert done.status_code == 200, done.content
    assert CustomerProfile.objects.get(integration_id="ada").organization == b


def test_the_schema_documents_the_header_and_the_key_list_costs_the_same(
    client, chains, staff_user_factory
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    path = next(p for p in schema["paths"] if p.rstrip("/") == "/api/v1/customer-profiles")
    parameters = schema["paths"][path]["get"]["parameters"]
    assert {"name": "X-Organization", "in": "header"}.items() <= next(
        p for p in parameters if p["name"] == "X-Organization"
    ).items()

    a, b, c = chains
    owner = staff_user_factory(a, role=Role.OWNER)
    client.force_login(owner)

    def listed():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/organizations/apikey/").status_code == 200
        return len(queries)

    ApiKeyFactory(organization=a, portfolio=[b])
    one = listed()
    for _ in range(4):
        ApiKeyFactory(organization=a, portfolio=[b, c])
    assert listed() == one  # the portfolio column costs no query per key
