"""Events earn by the program's event rules; earning rules are checked as they are saved."""

import threading

import pytest
from django.db import connection

from campaigns import services
from campaigns.models import AppliedEffect, CustomerEvent
from loyalty.models import PointsAccount, PointsTransaction
from tests.factories import CustomerProfileFactory, EarningRuleFactory, LoyaltyProgramFactory

EVENTS = "/api/v1/events"
RULES = "/api/v1/earning-rules"


@pytest.fixture
def program(organization):
    return LoyaltyProgramFactory(organization=organization, subledgers_allowed=True)


@pytest.mark.django_db
def test_an_event_earns_by_the_rules_of_its_type(api, organization, program):
    customer = CustomerProfileFactory(organization=organization, integration_id="ada")
    EarningRuleFactory(
        organization=organization,
        program=program,
        name="store visit",
        trigger="event",
        event_type="store_visit",
        conditions=[{"field": "event.attributes.store", "operator": "in", "values": ["leeds"]}],
        effects=[{"type": "add_points", "points": 5, "subledger_id": "visits"}],
    )
    body = {"profile": "ada", "type": "store_visit", "attributes": {"store": "leeds"}}
    response = api.post(EVENTS, body, format="json")
    assert response.status_code == 201, response.json()
    (effect,) = response.json()["effects"]
    assert (effect["amount"], effect["subledger_id"]) == (5, "visits")
    assert PointsTransaction.objects.get(pk=effect["transaction"]).kind == "event"
    account = PointsAccount.objects.get(profile=customer, subledger_id="visits")
    assert account.active_points == 5

    elsewhere = {**body, "attributes": {"store": "york"}}
    assert api.post(EVENTS, elsewhere, format="json").json()["effects"] == []
    other_type = {**body, "type": "review"}
    assert api.post(EVENTS, other_type, format="json").json()["effects"] == []

    dry = api.post(f"{EVENTS}?dry=true", body, format="json")
    assert dry.status_code == 200 and [e["amount"] for e in dry.json()["effects"]] == [5]
    assert CustomerEvent.objects.count() == 3  # the dry run saved nothing


@pytest.mark.django_db
def test_an_event_of_another_organizations_profile_is_a_400(api, other_organization):
    CustomerProfileFactory(organization=other_organization, integration_id="eve")
    response = api.post(EVENTS, {"profile": "eve", "type": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "profile"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "attr", "text"),
    [
        ({"effects": []}, "effects", "at least one"),
        ({"effects": [{"type": "add_points", "points": 0}]}, "effects", "points"),
        ({"effects": [{"type": "teleport"}]}, "effects", "type"),
        ({"effects": [{"type": "multiply", "factor": "1"}]}, "effects", "factor"),
        ({"conditions": [{"field": "nope", "operator": "eq", "values": [1]}]}, "conditions", ""),
        (
            {"conditions": [{"field": "event.attributes.x", "operator": "eq", "values": [1]}]},
            "conditions",
            "event trigger",
        ),
        ({"trigger": "event"}, "event_type", "event type"),
        (
            {"effects": [{"type": "add_points", "points": 1, "subledger_id": "x"}]},
            "effects",
            "subledgers",
        ),
    ],
)
def test_a_bad_rule_is_a_400_naming_the_part(api, organization, changes, attr, text):
    program = LoyaltyProgramFactory(organization=organization)
    body = {
        "program": str(program.pk),
        "name": "Rule",
        "trigger": "session_closed",
        "effects": [{"type": "add_points", "points": 1}],
        **changes,
    }
    response = api.post(RULES, body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["errors"][0]
    assert error["attr"] == attr and text in error["detail"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_closes_of_one_session_apply_its_effects_once(organization):
    program = LoyaltyProgramFactory(organization=organization)
    customer = CustomerProfileFactory(organization=organization, integration_id="ada")
    EarningRuleFactory(organization=organization, program=program)  # 10 points a close
    data = {"profile": "ada", "state": "closed", "cart_items": []}
    barrier, errors = threading.Barrier(4), []

    def close():
        try:
            barrier.wait(timeout=10)
            services.update_customer_session(organization=organization, session_id="s-1", data=data)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AppliedEffect.objects.count() == 1
    assert PointsAccount.objects.get(profile=customer).active_points == 10


@pytest.mark.django_db
def test_rules_filter_by_program_and_an_unknown_program_finds_nothing(api, organization, program):
    rule = EarningRuleFactory(organization=organization, program=program)
    EarningRuleFactory(organization=organization)
    listed = api.get(RULES, {"program": str(program.pk)}).json()["results"]
    assert [r["id"] for r in listed] == [str(rule.pk)]
    unknown = api.get(RULES, {"program": "e3e70682-c209-1cac-a29f-6fbed82c07cd"})
    assert unknown.status_code == 200 and unknown.json()["results"] == []
