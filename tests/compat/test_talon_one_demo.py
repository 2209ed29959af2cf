"""The issue's sequence, run by Talon.One's SDK against `seed_demo` with the key and the Coffee
Club number it prints: no exception, and values that agree with one another."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from talon_one import models as m

from loyalty.models import LoyaltyProgram, TierAssignment

from .test_talon_one_sdk import sdk

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_runs_the_whole_sequence(live_server):
    out = StringIO()
    call_command("seed_demo", "--profiles", "30", stdout=out)
    printed = out.getvalue()
    secret = re.search(r"API key\s+: (\S+)", printed).group(1)
    number = int(re.search(r"is loyaltyProgramId (\d+)", printed).group(1))
    program = LoyaltyProgram.objects.get(name="Coffee Club")
    assert number == program.number
    talon = sdk(live_server, secret)

    # 1. profiles, single and bulk
    talon.update_customer_profile_v2(
        "sdk-1", m.CustomerProfileIntegrationRequestV2(attributes={"city": "Bath"})
    )
    talon.update_customer_profiles_v2(
        m.MultipleCustomerProfileIntegrationRequest(
            customer_profiles=[
                m.MultipleCustomerProfileIntegrationRequestItem(integration_id=f"sdk-{n}")
                for n in (2, 3)
            ]
        )
    )
    # 2. an audience: create, rename, fill, set its customers' attributes
    audience = talon.create_audience_v2(m.NewAudience(name="SDK audience"))
    talon.update_audience_v2(audience.id, m.UpdateAudience(name="SDK regulars"))
    talon.update_customer_profile_audiences(
        m.CustomerProfileAudienceRequest(
            data=[
                m.CustomerProfileAudienceRequestItem(
                    action="add", profile_integration_id=f"sdk-{n}", audience_id=audience.id
                )
                for n in (1, 2)
            ]
        )
    )
    talon.update_audience_customers_attributes(audience.id, {"segment": "sdk"})
    # 3. the inventory
    inventory = talon.get_customer_inventory("sdk-1", profile=True, loyalty=True)
    assert inventory.profile.attributes == {"city": "Bath", "segment": "sdk"}
    # 4. clear the audience and delete it
    talon.delete_audience_memberships_v2(audience.id)
    talon.delete_audience_v2(audience.id)

    # 5. a 25.00 session: 25 points; re-sent: still 25; the 16.00 item returned: 9 left
    assert not TierAssignment.objects.filter(account__profile__integration_id="sdk-1").exists()
    session = m.NewCustomerSessionV2(
        profile_id="sdk-1",
        state="closed",
        cart_items=[
            m.CartItem(sku="beans", quantity=1, price=16.0),
            m.CartItem(sku="latte", quantity=3, price=3.0),
        ],
    )
    closed = talon.update_customer_session_v2(
        "sdk-till-1", m.IntegrationRequest(customer_session=session)
    )
    assert [m.AddLoyaltyPointsEffectProps.from_dict(e.props).value for e in closed.effects] == [25]

    def balance():
        return talon.get_loyalty_balances(number, "sdk-1").balance.active_points

    assert balance() == 25
    talon.update_customer_session_v2("sdk-till-1", m.IntegrationRequest(customer_session=session))
    assert balance() == 25
    talon.return_cart_items(
        "sdk-till-1",
        m.ReturnIntegrationRequest(
            var_return=m.NewReturn(returned_cart_items=[m.ReturnedCartItem(position=0, quantity=1)])
        ),
    )
    assert balance() == 9
    # 6. an event (the demo has no event rule: no effect, but it is recorded)
    event = talon.track_event_v2(m.IntegrationEventV2Request(profile_id="sdk-1", type="visit"))
    assert event.effects == [] and event.event.type == "visit"
    # 7. points and transactions
    points = talon.get_loyalty_program_profile_points(number, "sdk-1")
    assert sum(p.amount for p in points.data) == 9
    history = talon.get_loyalty_program_profile_transactions(number, "sdk-1")
    assert [(t.type, t.amount) for t in history.data] == [("addition", 25), ("subtraction", 16)]
    # 8. link a card of the demo's card program
    cards = int(re.search(r"\(cards CARD-0001…\) (\d+)", printed).group(1))
    linked = talon.link_loyalty_card_to_profile(
        cards, "CARD-0001", m.LoyaltyCardRegistration(integration_id="sdk-1")
    )
    assert [p.integration_id for p in linked.profiles] == ["sdk-1"]
    assert talon.get_loyalty_card_balances(cards, "CARD-0001").balance.active_points == 0
    # 9. erase a customer's data
    talon.delete_customer_data("sdk-2")
    assert talon.get_customer_inventory("sdk-2", profile=True).profile.attributes == {}
