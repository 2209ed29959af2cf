"""Staff pages of the campaigns app: earning rules inline on the program page (saved through
the services, their messages on the field), the "try the rules" dry run, and the read-only
customer sessions and events."""

import json

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import services
from campaigns.models import AppliedEffect, CartItem, CustomerEvent, CustomerSession, EarningRule
from loyalty.models import PointsTransaction
from organizations.models import Role
from tests.factories import (
    CustomerProfileFactory,
    EarningRuleFactory,
    LoyaltyCardFactory,
    LoyaltyProgramFactory,
)

pytestmark = pytest.mark.django_db

PROGRAMS = "/admin/loyalty/loyaltyprogram/"
SESSIONS = "/admin/campaigns/customersession/"
EVENTS = "/admin/campaigns/customerevent/"
PER_EURO = {"type": "points_per_amount", "points": 1, "per": "1.00", "rounding": "down"}
RULES = "earning_rules"


@pytest.fixture
def program(organization):
    return LoyaltyProgramFactory(organization=organization, name="Coffee Club")


@pytest.fixture
def customer(organization):
    return CustomerProfileFactory(organization=organization, integration_id="ada")


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def editor(client, organization, staff_user_factory):
    return login(client, staff_user_factory(organization, role=Role.EDITOR))


@pytest.fixture
def viewer(client, organization, staff_user_factory):
    return login(client, staff_user_factory(organization, role=Role.VIEWER))


@pytest.fixture
def outsider(client, other_organization, staff_user_factory):
    return login(client, staff_user_factory(other_organization, role=Role.OWNER))


def change_url(program) -> str:
    return f"{PROGRAMS}{program.pk}/change/"


def try_url(program) -> str:
    return f"{PROGRAMS}{program.pk}/tools/try-rules/"


def posted_back(response) -> dict:
    """The change page's forms (the program and its inlines) as a browser would post them."""
    data = {}
    forms_on_page = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms_on_page += [inline.formset.management_form, *inline.formset.forms]
    for form in forms_on_page:
        for bound in form:
            value, widget = bound.value(), bound.field.widget
            if isinstance(widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(widget, forms.MultiWidget):
                parts = widget.decompress(value)
                for i, (part, sub) in enumerate(zip(parts, widget.widgets, strict=True)):
                    data[f"{bound.html_name}_{i}"] = sub.format_value(part) or ""
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data


def with_rules(data: dict, *rules: dict) -> dict:
    """`data` plus new earning rules appended after the page's own."""
    start = int(data[f"{RULES}-TOTAL_FORMS"])
    for i, rule in enumerate(rules, start=start):
        fields = {
            "status": "active",
            "trigger": "session_closed",
            "event_type": "",
            "priority": "100",
            "starts_at_0": "",
            "starts_at_1": "",
            "ends_at_0": "",
            "ends_at_1": "",
            "conditions": "[]",
            **rule,
        }
        for key, value in fields.items():
            data[f"{RULES}-{i}-{key}"] = value if isinstance(value, str) else json.dumps(value)
    data[f"{RULES}-TOTAL_FORMS"] = str(start + len(rules))
    return data


def rule_errors(response) -> list[dict]:
    (formset,) = [
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == RULES
    ]
    return formset.errors


# -- earning rules inline ---------------------------------------------------------------------


def test_the_program_page_has_the_rules_inline_and_the_try_button(editor, program):
    page = editor.get(change_url(program)).content.decode()
    assert f'id="{RULES}-group"' in page
    assert "session.categories" in page  # the help text's example
    assert try_url(program) in page and "Try the earning rules" in page


def test_an_editor_creates_changes_and_deletes_rules_inline_through_the_services(
    editor, program, monkeypatch
):
    calls = []
    for name in ("create_earning_rule", "update_earning_rule", "delete_earning_rule"):
        real = getattr(services, name)
        monkeypatch.setattr(
            services,
            name,
            lambda *a, _real=real, _name=name, **kw: calls.append(_name) or _real(**kw),
        )
    data = with_rules(
        posted_back(editor.get(change_url(program))),
        {
            "name": "1 point per euro over 20",
            "conditions": [{"field": "session.total", "operator": "gte", "values": [20]}],
            "effects": [PER_EURO],
        },
    )
    response = editor.post(change_url(program), data)
    assert response.status_code == 302, rule_errors(response)
    rule = EarningRule.objects.get()
    assert (rule.organization_id, rule.program_id) == (program.organization_id, program.pk)
    assert rule.conditions[0]["condition_group"] == 0  # normalized by the service
    assert rule.effects == [PER_EURO]

    data = posted_back(editor.get(change_url(program)))
    data[f"{RULES}-0-name"] = "renamed"
    assert editor.post(change_url(program), data).status_code == 302
    assert EarningRule.objects.get().name == "renamed"

    data = posted_back(editor.get(change_url(program)))
    data[f"{RULES}-0-DELETE"] = "on"
    assert editor.post(change_url(program), data).status_code == 302
    assert not EarningRule.objects.exists()
    # the writes go through the services (clean() uses validate_earning_rule, which they share)
    assert calls == ["create_earning_rule", "update_earning_rule", "delete_earning_rule"]


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        ({"effects": [{"type": "add_points", "points": -5}]}, "effects", "Effect 1:"),
        ({"effects": [{"type": "bonus"}]}, "effects", "type must be one of"),
        ({"effects": "not json"}, "effects", "Enter a valid JSON"),
        (
            {"effects": [{"type": "add_points", "points": 5, "subledger_id": "x"}]},
            "effects",
            "no subledgers",
        ),
        (
            {"conditions": [{"field": "session.nope", "operator": "eq", "values": [1]}]},
            "conditions",
            "Unknown field",
        ),
        ({"trigger": "event"}, "event_type", "Name the event type"),
    ],
)
def test_a_bad_rule_shows_its_message_on_the_field_and_nothing_is_saved(
    editor, program, rule, field, message
):
    data = posted_back(editor.get(change_url(program)))
    data["name"] = "Renamed with the rule"
    data = with_rules(
        data, {"name": "bad", "effects": [{"type": "add_points", "points": 5}]} | rule
    )
    response = editor.post(change_url(program), data)
    assert response.status_code == 200
    (errors,) = rule_errors(response)
    assert message in " ".join(errors[field]), errors
    assert message in response.content.decode().replace("&quot;", '"')
    assert not EarningRule.objects.exists()
    program.refresh_from_db()
    assert program.name == "Coffee Club"


def test_the_rule_is_checked_against_the_program_as_posted(editor, program):
    """Turning subledgers off while adding a rule that uses one is refused on the page."""
    program.subledgers_allowed = True
    program.save()
    data = posted_back(editor.get(change_url(program)))
    data.pop("subledgers_allowed")
    rule = {"name": "promo", "effects": [{"type": "add_points", "points": 5, "subledger_id": "p"}]}
    response = editor.post(change_url(program), with_rules(data, rule))
    assert response.status_code == 200
    assert "no subledgers" in " ".join(rule_errors(response)[0]["effects"])
    assert not EarningRule.objects.exists()

    # a saved rule using a subledger holds the program's subledgers on
    rule = EarningRuleFactory(organization=program.organization, program=program, **rule)
    data = posted_back(editor.get(change_url(program)))
    data.pop("subledgers_allowed")
    response = editor.post(change_url(program), data)
    assert response.status_code == 200
    assert "no subledgers" in " ".join(rule_errors(response)[0]["effects"])
    program.refresh_from_db()
    assert program.subledgers_allowed


def test_a_viewer_sees_the_rules_but_cannot_edit_them(viewer, organization, program):
    EarningRuleFactory(organization=organization, program=program, name="Welcome")
    response = viewer.get(change_url(program))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Welcome" in page and f'name="{RULES}-0-name"' not in page
    data = with_rules({f"{RULES}-TOTAL_FORMS": "1", f"{RULES}-INITIAL_FORMS": "1"}, {"name": "x"})
    assert viewer.post(change_url(program), data).status_code == 403
    assert list(EarningRule.objects.values_list("name", flat=True)) == ["Welcome"]


# -- try the rules ----------------------------------------------------------------------------


@pytest.fixture
def rules(organization, customer):
    program = LoyaltyProgramFactory(
        organization=organization, name="Coffee Club", subledgers_allowed=True
    )
    EarningRuleFactory(
        organization=organization, program=program, name="1 point per 1.00", effects=[PER_EURO]
    )
    EarningRuleFactory(
        organization=organization,
        program=program,
        name="Pastry bonus",
        conditions=[{"field": "session.categories", "operator": "in", "values": ["pastry"]}],
        effects=[{"type": "add_points", "points": 7, "subledger_id": "bakery"}],
    )
    return program


def test_the_try_page_shows_the_effects_and_saves_nothing(editor, rules):
    assert editor.get(try_url(rules)).status_code == 200
    cart = "latte, 2, 3.40, coffee\n\ncroissant, 1, 2.95, pastry\n"
    response = editor.post(try_url(rules), {"integration_id": "ada", "cart": cart})
    assert response.status_code == 200
    assert response.context["form"].errors == {}
    effects = [
        (e.rule_name, e.amount, e.subledger_id, e.reason) for e in response.context["effects"]
    ]
    assert effects == [
        ("1 point per 1.00", 9, "", "1 point per 1.00"),
        ("Pastry bonus", 7, "bakery", "Pastry bonus"),
    ]
    page = response.content.decode()
    assert "Pastry bonus" in page and "bakery" in page and "9.75" in page
    assert not CustomerSession.objects.exists()
    assert not CartItem.objects.exists()
    assert not AppliedEffect.objects.exists()
    assert not PointsTransaction.objects.exists()


def test_a_viewer_may_try_the_rules_too(viewer, rules):
    response = viewer.post(try_url(rules), {"integration_id": "ada", "cart": "latte, 1, 5"})
    assert [e.amount for e in response.context["effects"]] == [5]
    assert not PointsTransaction.objects.exists()


def test_bad_cart_lines_are_reported_with_their_line_number(editor, rules, monkeypatch):
    monkeypatch.setattr(services, "update_customer_session", None)  # never reached
    cart = "latte, 2, 3.40\nbagel, two, 1.00\n\nmuffin, 1\ntea, 1, -1, drinks\n"
    response = editor.post(try_url(rules), {"integration_id": "ada", "cart": cart})
    assert response.status_code == 200
    errors = response.context["form"].errors["cart"]
    assert [e.split(":")[0] for e in errors] == ["Line 2", "Line 4", "Line 5"]
    assert "quantity" in errors[0] and "sku, quantity, price" in errors[1]
    assert "price" in errors[2]
    assert "Line 4" in response.content.decode()


def test_an_unknown_customer_is_reported_on_its_field(editor, rules):
    response = editor.post(try_url(rules), {"integration_id": "nobody", "cart": "latte, 1, 5"})
    assert "No customer profile" in response.context["form"].errors["integration_id"][0]
    response = editor.post(try_url(rules), {"cart": "latte, 1, 5"})
    assert "Name a customer" in response.context["form"].non_field_errors()[0]
    assert not CustomerSession.objects.exists()


def test_a_card_based_program_is_tried_with_a_card(editor, organization):
    card = LoyaltyCardFactory(organization=organization, identifier="C-1")
    EarningRuleFactory(organization=organization, program=card.program, name="card bonus")
    response = editor.post(try_url(card.program), {"loyalty_card": "C-1", "cart": "tea, 1, 2"})
    assert [(e.rule_name, e.amount) for e in response.context["effects"]] == [("card bonus", 10)]
    response = editor.post(try_url(card.program), {"loyalty_card": "C-2", "cart": "tea, 1, 2"})
    assert "No loyalty card" in response.context["form"].errors["loyalty_card"][0]
    assert not PointsTransaction.objects.exists()


# -- sessions and events ----------------------------------------------------------------------


def close(organization, session_id, *lines, profile="ada"):
    items = [{"sku": sku, "quantity": q, "price": p} for sku, q, p in lines]
    return services.update_customer_session(
        organization=organization,
        session_id=session_id,
        data={"profile": profile, "state": "closed", "cart_items": items},
    )


def test_the_sessions_pages_list_search_filter_and_show_items_and_effects(
    editor, organization, customer, rules
):
    closed = close(organization, "s-closed", ("latte", 2, "3.40")).session
    services.update_customer_session(
        organization=organization,
        session_id="s-open",
        data={"profile": "ada", "cart_items": [{"sku": "tea", "quantity": 1, "price": "2"}]},
    )
    page = editor.get(SESSIONS).content.decode()
    assert "s-closed" in page and "s-open" in page and "ada" in page
    assert '<td class="field-items_count">2</td>' in page
    found = editor.get(SESSIONS, {"q": "s-closed"}).context["cl"].result_list
    assert [s.session_id for s in found] == ["s-closed"]
    assert not editor.get(SESSIONS, {"q": "s-clos"}).context["cl"].result_list  # exact only
    found = editor.get(SESSIONS, {"q": "ada"}).context["cl"].result_list
    assert {s.session_id for s in found} == {"s-closed", "s-open"}
    found = editor.get(SESSIONS, {"state__exact": "open"}).context["cl"].result_list
    assert [s.session_id for s in found] == ["s-open"]

    response = editor.get(f"{SESSIONS}{closed.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "latte" in page and "1 point per 1.00" in page and "Closed" in page
    assert 'name="items-0-sku"' not in page  # read-only
    assert editor.post(f"{SESSIONS}{closed.pk}/change/", {}).status_code == 403
    assert editor.get(f"{SESSIONS}add/").status_code == 403


def test_the_events_pages_list_and_show_effects(editor, organization, customer, program):
    EarningRuleFactory(
        organization=organization,
        program=program,
        name="visit",
        trigger="event",
        event_type="store_visit",
        effects=[{"type": "add_points", "points": 5}],
    )
    services.track_event(organization=organization, profile="ada", type="store_visit")
    services.track_event(organization=organization, profile="ada", type="review")
    page = editor.get(EVENTS).content.decode()
    assert "store_visit" in page and "review" in page
    assert '<td class="field-effects_count">1</td>' in page
    assert '<td class="field-effects_count">0</td>' in page
    event = CustomerEvent.objects.get(type="store_visit")
    page = editor.get(f"{EVENTS}{event.pk}/change/").content.decode()
    assert "visit" in page and "Add points" in page and "Coffee Club" in page
    found = editor.get(EVENTS, {"q": "review"}).context["cl"].result_list
    assert [e.type for e in found] == ["review"]


def test_another_organizations_staff_sees_no_rules_sessions_or_events(
    outsider, organization, customer, rules
):
    session = close(organization, "s-1", ("latte", 1, "5")).session
    services.track_event(organization=organization, profile="ada", type="visit")
    event = CustomerEvent.objects.get()
    assert outsider.get(change_url(rules)).status_code == 302  # "does not exist", to the index
    assert outsider.get(try_url(rules)).status_code == 404
    assert outsider.post(try_url(rules), {"integration_id": "ada"}).status_code == 404
    assert "s-1" not in outsider.get(SESSIONS).content.decode()
    assert outsider.get(f"{SESSIONS}{session.pk}/change/").status_code == 302
    assert not outsider.get(EVENTS).context["cl"].result_list
    assert outsider.get(f"{EVENTS}{event.pk}/change/").status_code == 302


# -- the same number of queries whatever the number of rows -----------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def _grow(organization, n, start):
    for i in range(start, start + n):
        profile = CustomerProfileFactory(organization=organization)
        session = CustomerSession.objects.create(
            organization=organization, session_id=f"s-{i}", profile=profile, state="closed"
        )
        CartItem.objects.create(session=session, position=0, sku="latte", quantity=1, price=3)
        event = CustomerEvent.objects.create(organization=organization, profile=profile, type="x")
        AppliedEffect.objects.create(
            organization=organization,
            event=event,
            rule_name="r",
            program=LoyaltyProgramFactory(organization=organization),
            type="add_points",
            amount=1,
            reason="r",
        )


@pytest.mark.parametrize("url", [SESSIONS, EVENTS])
def test_changelist_queries_do_not_grow_with_rows(editor, organization, url):
    _grow(organization, 1, start=0)
    editor.get(url)  # the session's first page
    one = _queries(editor, url)
    _grow(organization, 29, start=1)
    assert len(editor.get(url).context["cl"].result_list) == 30
    assert _queries(editor, url) == one


def test_the_session_page_queries_do_not_grow_with_items_and_effects(editor, organization, rules):
    CustomerProfileFactory(organization=organization, integration_id="bob")
    one = close(organization, "s-1", ("latte", 1, "5"), profile="bob").session
    many = close(organization, "s-2", *[(f"sku-{i}", 1, "5") for i in range(30)], profile="bob")
    assert len(many.effects) == 1 and CartItem.objects.filter(session=many.session).count() == 30
    editor.get(f"{SESSIONS}{one.pk}/change/")
    assert _queries(editor, f"{SESSIONS}{one.pk}/change/") == _queries(
        editor, f"{SESSIONS}{many.session.pk}/change/"
    )


def test_the_program_page_queries_do_not_grow_with_rules(editor, organization, program):
    def add_rules(n):
        for _ in range(n):
            EarningRuleFactory(organization=organization, program=program)

    add_rules(1)
    editor.get(change_url(program))
    one = _queries(editor, change_url(program))
    add_rules(20)
    assert _queries(editor, change_url(program)) == one
