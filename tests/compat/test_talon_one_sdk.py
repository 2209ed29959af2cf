"""The Talon.One dialect driven by Talon.One's own SDK (`talon_one_sdk`) over HTTP, against a
live server: every answer must be one the SDK deserializes, and its values must agree with
what our own services and API say."""

import pytest
import talon_one
from talon_one import models as m
from talon_one.exceptions import (
    ApiException,
    BadRequestException,
    ForbiddenException,
    NotFoundException,
    UnauthorizedException,
)

from audiences.models import Audience, AudienceMembership
from customers.models import CustomerProfile
from loyalty import ledger
from loyalty.models import LoyaltyCard, LoyaltyProgram, PointsAccount
from tests.factories import (
    ApiKeyFactory,
    EarningRuleFactory,
    LoyaltyProgramFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)
PER_EURO = {"type": "points_per_amount", "points": 1, "per": "1.00", "rounding": "down"}


def sdk(live_server, secret: str) -> talon_one.IntegrationApi:
    config = talon_one.Configuration(
        host=f"{live_server.url}/compat/talon-one",
        api_key={"api_key_v1": secret},
        api_key_prefix={"api_key_v1": "ApiKey-v1"},
    )
    return talon_one.IntegrationApi(talon_one.ApiClient(config))


@pytest.fixture
def talon(live_server, api_key):
    return sdk(live_server, api_key.secret)


@pytest.fixture
def program(organization):
    program = LoyaltyProgramFactory(organization=organization, name="Coffee Club")
    EarningRuleFactory(
        organization=organization, program=program, name="1 point per 1.00", effects=[PER_EURO]
    )
    return program


def active_points(program, integration_id) -> int:
    account = PointsAccount.objects.filter(
        program=program, profile__integration_id=integration_id, subledger_id=""
    ).first()
    return account.active_points if account else 0


def test_profiles_single_and_bulk_and_the_inventory_reads_them_back(talon, organization):
    answer = talon.update_customer_profile_v2(
        "ada",
        m.CustomerProfileIntegrationRequestV2(attributes={"city": "Leeds", "visits": 3}),
    )
    profile = CustomerProfile.objects.get(organization=organization, integration_id="ada")
    assert answer.customer_profile.id == profile.number
    assert answer.customer_profile.account_id == organization.number
    assert answer.effects == [] and answer.created_coupons == []
    talon.update_customer_profile_v2(
        "ada", m.CustomerProfileIntegrationRequestV2(attributes={"visits": 4}), dry=True
    )
    assert CustomerProfile.objects.get(pk=profile.pk).attributes["visits"] == 3  # dry: kept

    bulk = talon.update_customer_profiles_v2(
        m.MultipleCustomerProfileIntegrationRequest(
            customer_profiles=[
                m.MultipleCustomerProfileIntegrationRequestItem(
                    integration_id="bob", attributes={"city": "York"}
                ),
                m.MultipleCustomerProfileIntegrationRequestItem(integration_id="ada"),
            ]
        )
    )
    assert [s.customer_profile.integration_id for s in bulk.integration_states] == ["bob", "ada"]

    inventory = talon.get_customer_inventory("ada", profile=True, loyalty=True, coupons=True)
    assert inventory.profile.attributes == {"city": "Leeds", "visits": 3}
    assert inventory.coupons == [] and inventory.loyalty.programs == {}


def test_an_audience_is_created_renamed_filled_and_cleared(talon, organization):
    for integration_id in ("ada", "bob"):
        talon.update_customer_profile_v2(integration_id, m.CustomerProfileIntegrationRequestV2())
    created = talon.create_audience_v2(m.NewAudience(name="Regulars"))
    audience = Audience.objects.get(organization=organization, name="Regulars")
    assert created.id == audience.number and created.account_id == organization.number
    renamed = talon.update_audience_v2(created.id, m.UpdateAudience(name="Best regulars"))
    assert renamed.name == "Best regulars"

    talon.update_customer_profile_audiences(
        m.CustomerProfileAudienceRequest(
            data=[
                m.CustomerProfileAudienceRequestItem(
                    action="add", profile_integration_id=who, audience_id=created.id
                )
                for who in ("ada", "bob")
            ]
        )
    )
    assert AudienceMembership.objects.filter(audience=audience).count() == 2
    talon.update_audience_customers_attributes(created.id, {"segment": "gold"})
    assert {p.attributes.get("segment") for p in CustomerProfile.objects.all()} == {"gold"}

    talon.delete_audience_memberships_v2(created.id)
    assert not AudienceMembership.objects.filter(audience=audience).exists()
    talon.delete_audience_v2(created.id)
    assert not Audience.objects.filter(pk=audience.pk).exists()
    with pytest.raises(NotFoundException):
        talon.update_audience_v2(created.id, m.UpdateAudience(name="gone"))


def test_a_session_earns_by_the_rules_and_a_return_takes_back_its_share(
    talon, organization, program
):
    talon.update_customer_profile_v2("ada", m.CustomerProfileIntegrationRequestV2())
    session = m.NewCustomerSessionV2(
        profile_id="ada",
        state="closed",
        cart_items=[
            m.CartItem(sku="beans", quantity=1, price=16.00),
            m.CartItem(sku="latte", quantity=3, price=3.00),
        ],
    )
    closed = talon.update_customer_session_v2(
        "till-1", m.IntegrationRequest(customer_session=session)
    )
    [earned] = closed.effects
    assert earned.effect_type == "addLoyaltyPoints"
    props = m.AddLoyaltyPointsEffectProps.from_dict(earned.props)
    assert props.value == 25 and props.program_id == program.number
    assert props.recipient_integration_id == "ada"
    assert active_points(program, "ada") == 25
    assert closed.customer_session.state == "closed" and closed.customer_session.total == 25

    again = talon.update_customer_session_v2(
        "till-1", m.IntegrationRequest(customer_session=session)
    )
    assert again.effects == [] and active_points(program, "ada") == 25  # the same close

    returned = talon.return_cart_items(
        "till-1",
        m.ReturnIntegrationRequest(
            var_return=m.NewReturn(returned_cart_items=[m.ReturnedCartItem(position=0)])
        ),
    )
    [deducted] = returned.effects
    assert deducted.effect_type == "deductLoyaltyPoints"
    assert m.DeductLoyaltyPointsEffectProps.from_dict(deducted.props).value == 16
    assert active_points(program, "ada") == 9

    read = talon.get_customer_session("till-1")
    assert read.customer_session.state == "partially_returned"
    assert [e.effect_type for e in read.effects] == ["addLoyaltyPoints", "deductLoyaltyPoints"]

    points = talon.get_loyalty_program_profile_points(program.number, "ada")
    assert sum(p.amount for p in points.data) == 9 and points.has_more is False
    history = talon.get_loyalty_program_profile_transactions(
        program.number, "ada", loyalty_transaction_type="session", page_size=1
    )
    assert history.has_more is True and history.data[0].amount == 25
    balances = talon.get_loyalty_balances(program.number, "ada", include_tiers=True)
    assert balances.balance.active_points == 9
    inventory = talon.get_customer_inventory("ada", loyalty=True)
    ledger = inventory.loyalty.programs[str(program.number)].ledger
    assert ledger.current_balance == 9


def test_a_reopened_session_closes_again_with_the_new_cart(talon, program):
    talon.update_customer_profile_v2("ada", m.CustomerProfileIntegrationRequestV2())

    def close(price):
        item = m.CartItem(sku="latte", quantity=1, price=price)
        body = m.NewCustomerSessionV2(profile_id="ada", state="closed", cart_items=[item])
        return talon.update_customer_session_v2("s-1", m.IntegrationRequest(customer_session=body))

    close(10.0)
    assert talon.reopen_customer_session("s-1").effects == []
    changed = close(4.0)
    assert sorted(e.effect_type for e in changed.effects) == [
        "addLoyaltyPoints",
        "deductLoyaltyPoints",
    ]
    assert active_points(program, "ada") == 4


def test_balances_carry_the_current_tier_with_include_tiers(talon, organization, program):
    from loyalty import services as loyalty_services

    structure = loyalty_services.create_tier_structure(
        program=program,
        data={"name": "Tiers"},
        tiers=[
            {"name": "Silver", "order": 1, "min_points": 0, "max_points": 99},
            {"name": "Gold", "order": 2, "min_points": 100},
        ],
    )
    loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
    talon.update_customer_profile_v2("ada", m.CustomerProfileIntegrationRequestV2())
    ada = CustomerProfile.objects.get(integration_id="ada")
    ledger.earn_points(program=program, profile=ada, amount=150)
    balances = talon.get_loyalty_balances(program.number, "ada", include_tiers=True)
    gold = structure.tiers.get(name="Gold")
    assert (balances.balance.current_tier.id, balances.balance.current_tier.name) == (
        gold.number,
        "Gold",
    )
    assert talon.get_loyalty_balances(program.number, "ada").balance.current_tier is None
    inventory = talon.get_customer_inventory("ada", loyalty=True)
    assert inventory.loyalty.programs[str(program.number)].ledger.current_tier.name == "Gold"


def test_an_event_answers_its_effects(talon, organization, program):
    EarningRuleFactory(
        organization=organization,
        program=program,
        name="Review bonus",
        trigger="event",
        event_type="review",
        effects=[{"type": "add_points", "points": 7}],
    )
    talon.update_customer_profile_v2("ada", m.CustomerProfileIntegrationRequestV2())
    answer = talon.track_event_v2(
        m.IntegrationEventV2Request(profile_id="ada", type="review", attributes={"stars": 5})
    )
    assert [e.rule_name for e in answer.effects] == ["Review bonus"]
    assert answer.event.type == "review" and answer.event.attributes == {"stars": 5}
    assert active_points(program, "ada") == 7


def test_a_card_is_linked_and_its_ledger_read(talon, organization):
    program = LoyaltyProgramFactory(organization=organization, kind=LoyaltyProgram.Kind.CARD)
    card = LoyaltyCard.objects.create(
        organization=organization, program=program, identifier="CARD-1"
    )
    talon.update_customer_profile_v2("ada", m.CustomerProfileIntegrationRequestV2())
    linked = talon.link_loyalty_card_to_profile(
        program.number, "CARD-1", m.LoyaltyCardRegistration(integration_id="ada")
    )
    assert linked.id == card.number and [p.integration_id for p in linked.profiles] == ["ada"]
    ledger.earn_points(program=program, card=card, amount=40, reason="Welcome")
    ledger.spend_points(program=program, card=card, amount=15, reason="Cake")
    balances = talon.get_loyalty_card_balances(program.number, "CARD-1")
    assert balances.balance.active_points == 25
    assert [p.integration_id for p in balances.profiles] == ["ada"]
    [lot] = talon.get_loyalty_card_points(program.number, "CARD-1").data
    assert (lot.amount, lot.name, lot.expiry_date) == (25, "Welcome", "unlimited")
    history = talon.get_loyalty_card_transactions(program.number, "CARD-1").data
    assert [(t.type, t.amount, t.card_identifier) for t in history] == [
        ("addition", 40, "CARD-1"),
        ("subtraction", 15, "CARD-1"),
    ]
    unlinked = talon.unlink_loyalty_card_from_profile(
        program.number, "CARD-1", m.LoyaltyCardRegistration(integration_id="ada")
    )
    assert unlinked.profiles == []


def test_customer_data_is_erased(talon, organization):
    talon.update_customer_profile_v2(
        "ada", m.CustomerProfileIntegrationRequestV2(attributes={"email_hint": "a@x"})
    )
    talon.delete_customer_data("ada")
    assert CustomerProfile.objects.get(integration_id="ada").attributes == {}
    with pytest.raises(NotFoundException):
        talon.delete_customer_data("nobody")


def test_keys_scopes_and_tenancy_hold_as_in_our_api(live_server, organization, program):
    with pytest.raises(UnauthorizedException):
        sdk(live_server, "not-a-key").get_customer_inventory("ada")
    no_key = talon_one.IntegrationApi(
        talon_one.ApiClient(talon_one.Configuration(host=f"{live_server.url}/compat/talon-one"))
    )
    with pytest.raises(UnauthorizedException) as missing:
        no_key.get_customer_inventory("ada")
    assert missing.value.data.status_code == 401 and missing.value.data.message  # Talon's
    theirs = OrganizationFactory(name="Rival", slug="rival")
    LoyaltyProgramFactory(organization=theirs)
    mine = ApiKeyFactory(organization=organization, scopes=["read", "write"])
    sdk(live_server, mine.secret).update_customer_profile_v2(
        "ada", m.CustomerProfileIntegrationRequestV2()
    )
    other = sdk(live_server, ApiKeyFactory(organization=theirs).secret)
    with pytest.raises(NotFoundException) as theirs_404:
        other.get_customer_inventory("ada")
    assert theirs_404.value.data.errors[0].title
    with pytest.raises(NotFoundException):
        other.get_loyalty_balances(program.number, "ada")
    read_only = sdk(live_server, ApiKeyFactory(organization=organization, scopes=["read"]).secret)
    with pytest.raises(ForbiddenException):
        read_only.update_customer_profile_v2("ada", m.CustomerProfileIntegrationRequestV2())
    read_only.get_customer_inventory("ada")  # reading is allowed


def test_errors_come_in_talons_shape(talon, live_server, api_key):
    with pytest.raises(BadRequestException) as bad:
        talon.update_customer_profile_v2(
            "ada", m.CustomerProfileIntegrationRequestV2(attributes={"": 1})
        )
    assert bad.value.data is not None and bad.value.data.errors[0].source is not None
    with pytest.raises(ApiException) as later:
        talon.create_referral(m.NewReferral(campaign_id=1, advocate_profile_integration_id="ada"))
    assert later.value.status == 501
    import requests

    unknown = requests.get(
        f"{live_server.url}/compat/talon-one/v9/nothing",
        headers={"Authorization": f"ApiKey-v1 {api_key.secret}"},
        timeout=10,
    )
    assert unknown.status_code == 404 and unknown.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", "v2/customer_sessions/" + "x" * 300, {"customerSession": {}}),
        ("put", "v2/customer_sessions/a%00b", {"customerSession": {}}),
        ("put", "v2/customer_profiles/ada", [1, 2]),
        ("put", "v2/customer_profiles/ada", {"attributes": {"n": 2**70}}),
        ("put", "v2/audience_customers/1/attributes", ["not", "an", "object"]),
        ("put", "v2/audiences/99999999999999999999", {"name": "x"}),
        (
            "get",
            "v1/loyalty_programs/1/profile/ada/transactions?startDate=2024-13-45T99:00:00",
            None,
        ),
        ("get", "v1/loyalty_programs/abc/profile/ada/points?pageSize=0", None),
        ("post", "v2/customer_sessions/s/returns", {"return": {"returnedCartItems": "x"}}),
        ("post", "v2/events", {"profileId": "nobody", "type": "visit"}),
        ("put", "v2/customer_profiles", {"customerProfiles": [{"integrationId": "a" * 300}]}),
        (
            "post",
            "v2/customer_audiences",
            {"data": [{"action": "add", "profileIntegrationId": "nobody", "audienceId": 1}]},
        ),
    ],
)
def test_bad_input_is_a_4xx_in_talons_shape_never_a_500(api_key, program, method, path, body):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey-v1 {api_key.secret}")
    response = getattr(client, method)(f"/compat/talon-one/{path}", body, format="json")
    assert 400 <= response.status_code < 500, response.content[:300]
    body = response.json()
    assert body["message"] and body["StatusCode"] == response.status_code
    assert all("title" in error and "source" in error for error in body["errors"])


def test_a_profile_update_moves_it_between_audiences(talon, organization):
    regulars = talon.create_audience_v2(m.NewAudience(name="Regulars"))
    newcomers = talon.create_audience_v2(m.NewAudience(name="Newcomers"))

    def update(adds, deletes):
        talon.update_customer_profile_v2(
            "ada",
            m.CustomerProfileIntegrationRequestV2(
                audiences_changes=m.ProfileAudiencesChanges(adds=adds, deletes=deletes)
            ),
        )
        return set(
            AudienceMembership.objects.filter(profile__integration_id="ada").values_list(
                "audience__name", flat=True
            )
        )

    assert update([newcomers.id], []) == {"Newcomers"}
    assert update([regulars.id], [newcomers.id]) == {"Regulars"}
    with pytest.raises(BadRequestException):
        update([987654321], [])  # no such audience: nothing changes
    assert update([], []) == {"Regulars"}
