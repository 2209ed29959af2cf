"""Staff pages: tier structures with tiers inline, status actions, ladder, preview, and the
program's balances lookup and manual adjustment."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loyalty import ledger, services
from loyalty.models import PointsTransaction, Tier, TierStructure
from organizations.models import Role
from tests.factories import CustomerProfileFactory, LoyaltyCardFactory, LoyaltyProgramFactory

from .conftest import BRONZE_SILVER_GOLD

pytestmark = pytest.mark.django_db

STRUCTURES = "/admin/loyalty/tierstructure/"


def structure_form(program, tiers, **overrides):
    data = {
        "program": str(program.pk),
        "name": "Club tiers",
        "type": "POINT_BALANCE",
        "expiration_type": "NO_EXPIRATION",
        "downgrade_type": "NO_DOWNGRADE",
        "metadata": "{}",
        "calendar_dates": "",
        "sliding_custom_activity_types": "",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for i, tier in enumerate(tiers):
        for key, value in tier.items():
            data[f"tiers-{i}-{key}"] = "" if value is None else str(value)
    data.update(overrides)
    return data


@pytest.fixture
def editor(client, organization, staff_user_factory):
    client.force_login(staff_user_factory(organization, role=Role.EDITOR))
    return client


def test_create_structure_with_tiers_inline(editor, program):
    response = editor.post(f"{STRUCTURES}add/", structure_form(program, BRONZE_SILVER_GOLD))
    assert response.status_code == 302, response.context["adminform"].form.errors
    structure = TierStructure.objects.get()
    assert structure.organization_id == program.organization_id
    assert list(structure.tiers.order_by("order").values_list("name", flat=True)) == [
        "Bronze",
        "Silver",
        "Gold",
    ]


def test_overlap_is_shown_on_the_form_naming_the_other_tier(editor, program):
    tiers = [
        {"name": "Bronze", "order": 1, "min_points": 0, "max_points": 150},
        {"name": "Silver", "order": 2, "min_points": 100, "max_points": None},
    ]
    response = editor.post(f"{STRUCTURES}add/", structure_form(program, tiers))
    assert response.status_code == 200
    page = response.content.decode()
    assert "overlaps “Bronze” (order 1, 0 to 150)" in page
    assert not TierStructure.objects.exists()


def test_an_order_against_the_ranges_is_a_form_error(editor, program):
    tiers = [
        {"name": "Bronze", "order": 206, "min_points": 0, "max_points": 199},
        {"name": "Gold", "order": 3, "min_points": 600, "max_points": None},
    ]
    response = editor.post(f"{STRUCTURES}add/", structure_form(program, tiers))
    assert response.status_code == 200
    assert "order 3 must be above the order of “Bronze”" in response.content.decode()
    assert not TierStructure.objects.exists()


def test_settings_errors_are_shown_on_their_field(editor, program):
    data = structure_form(
        program, BRONZE_SILVER_GOLD, expiration_type="CALENDAR", calendar_dates="31/2"
    )
    response = editor.post(f"{STRUCTURES}add/", data)
    assert response.status_code == 200
    assert (
        "31/2 is not a real date" in response.context["adminform"].form.errors["calendar_dates"][0]
    )
    data = structure_form(program, BRONZE_SILVER_GOLD, type="POINT_EARNED")
    response = editor.post(f"{STRUCTURES}add/", data)
    assert "point_earned_period_value" in response.context["adminform"].form.errors


def test_change_page_shows_ladder_and_preview_and_edits_tiers(editor, program, profile):
    ledger.earn_points(program=program, profile=profile, amount=120)
    structure = services.create_tier_structure(
        program=program, data={"name": "Club"}, tiers=BRONZE_SILVER_GOLD
    )
    url = f"{STRUCTURES}{structure.pk}/change/"
    page = editor.get(url).content.decode()
    assert "tier-ladder" in page and "100 to 499" in page
    assert "tier-preview" in page
    tiers = list(structure.tiers.order_by("order"))
    data = structure_form(program, [], name="Club renamed")
    data.update({"tiers-TOTAL_FORMS": "3", "tiers-INITIAL_FORMS": "3"})
    for i, tier in enumerate(tiers):
        data.update(
            {
                f"tiers-{i}-id": str(tier.pk),
                f"tiers-{i}-structure": str(structure.pk),
                f"tiers-{i}-name": tier.name.upper(),
                f"tiers-{i}-order": str(tier.order),
                f"tiers-{i}-min_points": str(tier.min_points),
                f"tiers-{i}-max_points": "" if tier.max_points is None else str(tier.max_points),
            }
        )
    data["tiers-2-DELETE"] = "on"
    data["tiers-1-max_points"] = ""  # Silver becomes the open-ended top
    response = editor.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(Tier.objects.order_by("order").values_list("name", "max_points")) == [
        ("BRONZE", 99),
        ("SILVER", None),
    ]
    assert TierStructure.objects.get().name == "Club renamed"


def test_status_actions_report_refusals(editor, program):
    first = services.create_tier_structure(
        program=program, data={"name": "First"}, tiers=BRONZE_SILVER_GOLD
    )
    second = services.create_tier_structure(
        program=program, data={"name": "Second"}, tiers=BRONZE_SILVER_GOLD
    )
    response = editor.post(
        STRUCTURES,
        {"action": "make_active", "_selected_action": [str(first.pk), str(second.pk)]},
        follow=True,
    )
    page = response.content.decode()
    assert "1 tier structure(s) now ACTIVE" in page
    assert "is the program&#x27;s active tier structure" in page
    assert TierStructure.objects.filter(status="ACTIVE").count() == 1


def test_viewer_cannot_change_structures(client, organization, staff_user_factory, program):
    structure = services.create_tier_structure(
        program=program, data={"name": "First"}, tiers=BRONZE_SILVER_GOLD
    )
    client.force_login(staff_user_factory(organization, role=Role.VIEWER))
    assert client.get(f"{STRUCTURES}{structure.pk}/change/").status_code == 200
    response = client.post(
        STRUCTURES, {"action": "make_active", "_selected_action": [str(structure.pk)]}
    )
    assert TierStructure.objects.get().status == "DRAFT"
    assert response.status_code in (200, 302, 403)


def test_other_organizations_structures_are_invisible(editor, other_organization):
    foreign = services.create_tier_structure(
        program=LoyaltyProgramFactory(organization=other_organization), data={"name": "Theirs"}
    )
    assert "Theirs" not in editor.get(STRUCTURES).content.decode()
    assert editor.get(f"{STRUCTURES}{foreign.pk}/change/").status_code == 302


def test_points_page_looks_up_and_adjusts_through_the_service(editor, program, profile):
    url = f"/admin/loyalty/loyaltyprogram/{program.pk}/points/"
    ledger.earn_points(program=program, profile=profile, amount=40)
    page = editor.get(url, {"owner": profile.integration_id}).content.decode()
    assert "<td>main</td><td>40</td>" in page
    missing_reason = editor.post(url, {"owner": profile.integration_id, "amount": "10"})
    assert missing_reason.status_code == 200
    assert not PointsTransaction.objects.filter(kind="manual", amount=10).exists()
    response = editor.post(
        url, {"owner": profile.integration_id, "amount": "-15", "reason": "Broken cup"}
    )
    assert response.status_code == 302
    txn = PointsTransaction.objects.get(amount=-15)
    assert (txn.reason, txn.kind, txn.created_by.username) == (
        "Broken cup",
        "manual",
        editor.session and txn.created_by.username,
    )
    overdraft = editor.post(
        url, {"owner": profile.integration_id, "amount": "-500", "reason": "Oops"}
    )
    assert "Only 25 active points" in overdraft.content.decode()
    unknown = editor.get(url, {"owner": "nobody"}).content.decode()
    assert "No customer with integration id" in unknown


def test_viewer_sees_balances_but_cannot_adjust(client, organization, staff_user_factory, program):
    CustomerProfileFactory(organization=organization, integration_id="v-1")
    client.force_login(staff_user_factory(organization, role=Role.VIEWER))
    url = f"/admin/loyalty/loyaltyprogram/{program.pk}/points/"
    assert client.get(url, {"owner": "v-1"}).status_code == 200
    response = client.post(url, {"owner": "v-1", "amount": "5", "reason": "x"})
    assert response.status_code == 403
    assert not PointsTransaction.objects.exists()


def test_program_admin_pages_render(editor, program, organization):
    card_program = services.create_loyalty_program(
        organization=organization, data={"name": "Cards", "kind": "card"}
    )
    services.create_loyalty_card(program=card_program, identifier="C-77")
    assert editor.get("/admin/loyalty/loyaltyprogram/").status_code == 200
    page = editor.get(f"/admin/loyalty/loyaltyprogram/{card_program.pk}/change/")
    assert "C-77" in page.content.decode()
    assert editor.get("/admin/loyalty/pointstransaction/").status_code == 200


# -- the same number of queries whatever the number of rows -----------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def _grow(organization, n):
    """n tier structures (two tiers each), and n profiles and n cards with points."""
    for _ in range(n):
        program = LoyaltyProgramFactory(organization=organization)
        services.create_tier_structure(
            program=program, data={"name": "Tiers"}, tiers=BRONZE_SILVER_GOLD[:2]
        )
        profile = CustomerProfileFactory(organization=organization)
        ledger.earn_points(program=program, profile=profile, amount=5)
        card = LoyaltyCardFactory(organization=organization)
        card.profiles.add(profile)
        ledger.earn_points(program=card.program, card=card, amount=5)


@pytest.mark.parametrize(
    "url",
    [STRUCTURES, "/admin/loyalty/loyaltyprogram/", "/admin/loyalty/pointstransaction/"],
)
def test_changelist_queries_do_not_grow_with_rows(editor, organization, url):
    _grow(organization, 1)
    editor.get(url)  # the session's first page
    one = _queries(editor, url)
    _grow(organization, 20)
    assert _queries(editor, url) == one


def test_the_tier_count_column_is_the_structures_tier_count(editor, organization, program):
    services.create_tier_structure(
        program=program, data={"name": "Three"}, tiers=BRONZE_SILVER_GOLD
    )
    services.create_tier_structure(program=program, data={"name": "None"})
    page = editor.get(STRUCTURES).content.decode()
    assert '<td class="field-tier_count">3</td>' in page
    assert '<td class="field-tier_count">0</td>' in page


def test_the_cards_inline_queries_do_not_grow_with_cards(editor, organization):
    program = LoyaltyProgramFactory(organization=organization, kind="card")

    def add_cards(n):
        for _ in range(n):
            card = LoyaltyCardFactory(organization=organization, program=program)
            card.profiles.add(CustomerProfileFactory(organization=organization))

    url = f"/admin/loyalty/loyaltyprogram/{program.pk}/change/"
    add_cards(1)
    editor.get(url)
    one = _queries(editor, url)
    add_cards(20)
    assert _queries(editor, url) == one
