import re

import pytest

from customers.models import CustomerProfile
from organizations.models import ApiKey, Role, hash_api_key
from tests.factories import (
    ApiKeyFactory,
    CustomerProfileFactory,
    OrganizationMemberFactory,
    UserFactory,
)

PROFILES = "/admin/customers/customerprofile/"


@pytest.mark.django_db
class TestAdminTenancy:
    def test_staff_see_only_their_organizations_rows(
        self, client, organization, other_organization, staff_user_factory
    ):
        mine = CustomerProfileFactory(organization=organization, integration_id="mine-1")
        theirs = CustomerProfileFactory(organization=other_organization, integration_id="theirs")
        client.force_login(staff_user_factory(organization, role=Role.EDITOR))
        page = client.get(PROFILES).content.decode()
        assert "mine-1" in page
        assert "theirs" not in page
        assert client.get(f"{PROFILES}{mine.pk}/change/").status_code == 200
        # another organization's row is simply not there
        response = client.get(f"{PROFILES}{theirs.pk}/change/")
        assert response.status_code == 302  # admin redirects "does not exist" to the index

    def test_superuser_sees_everything(self, client, organization, other_organization):
        CustomerProfileFactory(organization=organization, integration_id="mine-1")
        CustomerProfileFactory(organization=other_organization, integration_id="theirs")
        client.force_login(UserFactory(is_superuser=True))
        page = client.get(PROFILES).content.decode()
        assert "mine-1" in page and "theirs" in page

    def test_viewer_gets_read_only_pages(self, client, organization, staff_user_factory):
        profile = CustomerProfileFactory(organization=organization, first_name="Ada")
        client.force_login(staff_user_factory(organization, role=Role.VIEWER))
        assert client.get(f"{PROFILES}add/").status_code == 403
        page = client.get(f"{PROFILES}{profile.pk}/change/")
        assert page.status_code == 200
        assert b'name="first_name"' not in page.content  # shown, not editable
        response = client.post(f"{PROFILES}{profile.pk}/change/", {"first_name": "Eve"})
        assert response.status_code == 403
        profile.refresh_from_db()
        assert profile.first_name == "Ada"

    def test_editor_adds_a_profile_through_the_service(
        self, client, organization, other_organization, staff_user_factory
    ):
        client.force_login(staff_user_factory(organization, role=Role.EDITOR))
        form = {
            "organization": organization.pk,
            "integration_id": "admin-1",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "Grace@Example.com",
            "msisdn": "+14155550123",
            "attributes": '{"city": "Arlington"}',
        }
        response = client.post(f"{PROFILES}add/", form)
        assert response.status_code == 302, response.content.decode()[:2000]
        profile = CustomerProfile.objects.get(integration_id="admin-1")
        assert profile.email == "grace@example.com"  # normalised by the service
        assert profile.organization == organization
        # the organization list offers only organizations the user may write to
        response = client.post(
            f"{PROFILES}add/",
            {**form, "integration_id": "x", "organization": other_organization.pk},
        )
        assert response.status_code == 200
        assert not CustomerProfile.objects.filter(integration_id="x").exists()

    def test_bad_msisdn_is_shown_on_the_form(self, client, organization, staff_user_factory):
        client.force_login(staff_user_factory(organization, role=Role.OWNER))
        response = client.post(
            f"{PROFILES}add/",
            {
                "organization": organization.pk,
                "integration_id": "y",
                "msisdn": "0770",
                "attributes": "{}",
            },
        )
        assert response.status_code == 200
        assert "E.164" in response.content.decode()


@pytest.mark.django_db
class TestApiKeyAdmin:
    def test_owner_creates_a_key_and_sees_the_secret_once(
        self, client, organization, staff_user_factory
    ):
        client.force_login(staff_user_factory(organization, role=Role.OWNER))
        response = client.post(
            "/admin/organizations/apikey/add/",
            {"organization": organization.pk, "name": "POS", "scopes": ["read"]},
            follow=True,
        )
        secret = re.search(r"<code>(lbo_[^<]+)</code>", response.content.decode()).group(1)
        api_key = ApiKey.objects.get(name="POS")
        assert api_key.hashed_key == hash_api_key(secret)
        assert api_key.scopes == ["read"]
        page = client.get(f"/admin/organizations/apikey/{api_key.pk}/change/").content.decode()
        assert secret not in page

    def test_owner_elsewhere_cannot_create_keys_where_only_editor(
        self, client, organization, other_organization, staff_user_factory
    ):
        user = staff_user_factory(organization, role=Role.EDITOR)
        OrganizationMemberFactory(organization=other_organization, user=user, role=Role.OWNER)
        client.force_login(user)
        response = client.post(
            "/admin/organizations/apikey/add/",
            {"organization": organization.pk, "name": "sneaky", "scopes": ["write"]},
        )
        assert response.status_code == 200  # form error: not a valid choice
        assert not ApiKey.objects.filter(name="sneaky").exists()
        client.post(
            "/admin/organizations/apikey/add/",
            {"organization": other_organization.pk, "name": "fine", "scopes": ["read"]},
        )
        assert ApiKey.objects.filter(name="fine", organization=other_organization).exists()

    def test_editor_cannot_manage_keys_and_owner_can_revoke(
        self, client, organization, staff_user_factory
    ):
        api_key = ApiKeyFactory(organization=organization)
        client.force_login(staff_user_factory(organization, role=Role.EDITOR))
        assert client.get("/admin/organizations/apikey/add/").status_code == 403
        client.force_login(staff_user_factory(organization, role=Role.OWNER, username="own"))
        client.post(
            "/admin/organizations/apikey/",
            {"action": "revoke_keys", "_selected_action": [api_key.pk]},
        )
        api_key.refresh_from_db()
        assert api_key.revoked_at is not None


@pytest.mark.django_db
def test_create_api_key_command_rejects_unknown_org_and_scopes(organization):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No organization"):
        call_command("create_api_key", "--org", "nope", "--name", "x")
    with pytest.raises(CommandError, match="Unknown scope"):
        call_command(
            "create_api_key", "--org", organization.slug, "--name", "x", "--scopes", "admin"
        )


@pytest.mark.django_db
def test_create_api_key_command_prints_a_working_key(organization, client):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "create_api_key",
        "--org",
        organization.slug,
        "--name",
        "cli",
        "--scopes",
        "read,write",
        stdout=out,
        stderr=StringIO(),
    )
    secret = out.getvalue().strip()
    response = client.get("/api/v1/customer-profiles", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert ApiKey.objects.get(name="cli").scopes == ["read", "write"]


@pytest.mark.django_db
def test_seed_demo_loads_a_usable_organization(client):
    from io import StringIO

    from django.core.management import call_command

    from loyalty.models import PointsTransaction, TierAssignment

    out = StringIO()
    call_command("seed_demo", "--profiles", "20", stdout=out)
    seeded = PointsTransaction.objects.count()
    call_command("seed_demo", "--profiles", "20", stdout=(out2 := StringIO()))  # re-runnable
    secret = re.search(r"API key\s+: (\S+)", out2.getvalue()).group(1)
    response = client.get("/api/v1/customer-profiles", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 20
    # the demo has a loyalty program with two months of points and some spent, and tiers,
    # seeded once however often it runs
    assert PointsTransaction.objects.count() == seeded > 20
    days = {t.created_at.date() for t in PointsTransaction.objects.all()}
    assert len(days) > 10 and PointsTransaction.objects.filter(kind="redeem").exists()
    assert TierAssignment.objects.filter(tier__isnull=False).count() == 20
    from audiences.models import Audience

    tiers = Audience.objects.filter(group__name="Coffee Club tiers")
    assert sum(tiers.values_list("member_count", flat=True)) == 20  # each customer in one range
    old = re.search(r"API key\s+: (\S+)", out.getvalue()).group(1)
    assert (
        client.get("/api/v1/customer-profiles", HTTP_AUTHORIZATION=f"Bearer {old}").status_code
        == 401
    )
    assert client.login(username="demo", password="demo-loyalty-2026")


@pytest.mark.django_db
def test_an_organization_added_in_the_admin_gets_its_all_members_group(client):
    from memberships.models import MembersGroup
    from organizations.models import Organization

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        "/admin/organizations/organization/add/",
        {
            "name": "Corner Cafe",
            "slug": "corner-cafe",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    organization = Organization.objects.get(slug="corner-cafe")
    assert MembersGroup.objects.filter(organization=organization, system=True).count() == 1
