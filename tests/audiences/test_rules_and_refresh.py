"""The rule compiler (one test per operator and field kind, AND/OR, bad rules) and refresh."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audiences import services
from audiences.models import Audience, AudienceMembership, AudienceRefresh
from audiences.rules import matching_profiles
from loyalty import ledger
from loyalty import services as loyalty_services
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(organization):
    def make(integration_id, email, **attributes):
        return CustomerProfileFactory(
            organization=organization,
            integration_id=integration_id,
            email=email,
            first_name=integration_id.title(),
            attributes=attributes,
        )

    return {
        "ann": make("ann", "ann@shop.io", city="Leeds", visits=3, vip=True, note="loves tea"),
        "bob": make("bob", "bob@mail.com", city="York", visits=10, vip=False),
        "cat": make("cat", "cat@shop.io", city="Leeds", visits=25),
        "dan": make("dan", "dan@mail.com"),
    }


def match(organization, *rules):
    return set(
        matching_profiles(organization=organization, rules=list(rules)).values_list(
            "integration_id", flat=True
        )
    )


def rule(field, operator, values=(), group=0):
    return {"field": field, "operator": operator, "values": list(values), "condition_group": group}


@pytest.mark.parametrize(
    ("the_rule", "expected"),
    [
        (rule("email", "eq", ["ANN@shop.io"]), {"ann"}),
        (rule("email", "neq", ["ann@shop.io"]), {"bob", "cat", "dan"}),
        (rule("integration_id", "in", ["ann", "bob", "zed"]), {"ann", "bob"}),
        (rule("integration_id", "not_in", ["ann", "bob"]), {"cat", "dan"}),
        (rule("email", "contains", ["@SHOP"]), {"ann", "cat"}),
        (rule("first_name", "exists"), {"ann", "bob", "cat", "dan"}),
        (rule("msisdn", "not_exists"), set()),
        (rule("attributes.city", "eq", ["Leeds"]), {"ann", "cat"}),
        (rule("attributes.city", "neq", ["Leeds"]), {"bob", "dan"}),
        (rule("attributes.city", "in", ["York", "Hull"]), {"bob"}),
        (rule("attributes.city", "not_in", ["York"]), {"ann", "cat", "dan"}),
        (rule("attributes.visits", "gt", [3]), {"bob", "cat"}),
        (rule("attributes.visits", "gte", [10]), {"bob", "cat"}),
        (rule("attributes.visits", "lt", [10]), {"ann"}),
        (rule("attributes.visits", "lte", [10]), {"ann", "bob"}),
        (rule("attributes.visits", "between", [4, 25]), {"bob", "cat"}),
        (rule("attributes.note", "contains", ["TEA"]), {"ann"}),
        (rule("attributes.vip", "eq", [True]), {"ann"}),
        (rule("attributes.vip", "exists"), {"ann", "bob"}),
        (rule("attributes.vip", "not_exists"), {"cat", "dan"}),
    ],
)
def test_operators_on_profile_columns_and_attributes(organization, people, the_rule, expected):
    assert match(organization, the_rule) == expected


def test_date_time_fields(organization, people):
    old = people["ann"]
    old.created_at = dt.datetime(2020, 5, 1, tzinfo=dt.UTC)
    old.save()
    assert match(organization, rule("created_at", "lt", ["2021-01-01"])) == {"ann"}
    assert match(organization, rule("created_at", "between", ["2020-01-01", "2020-12-31"])) == {
        "ann"
    }
    assert match(organization, rule("created_at", "gte", ["2021-01-01T00:00:00Z"])) == {
        "bob",
        "cat",
        "dan",
    }


def test_loyalty_points_and_tier_fields(organization, people):
    program = loyalty_services.create_loyalty_program(organization=organization, data={"name": "P"})
    structure = loyalty_services.create_tier_structure(
        program=program,
        data={"name": "T"},
        tiers=[
            {"name": "Bronze", "order": 1, "min_points": 0, "max_points": 99},
            {"name": "Gold", "order": 2, "min_points": 100},
        ],
    )
    loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
    ledger.earn_points(program=program, profile=people["ann"], amount=150)
    ledger.earn_points(program=program, profile=people["bob"], amount=50)
    points, tier = f"loyalty.points.{program.pk}", f"loyalty.tier.{program.pk}"
    assert match(organization, rule(points, "gte", [100])) == {"ann"}
    assert match(organization, rule(points, "lt", [100])) == {"bob", "cat", "dan"}  # 0 points
    assert match(organization, rule(points, "between", [1, 100])) == {"bob"}
    assert match(organization, rule(points, "eq", [0])) == {"cat", "dan"}
    assert match(organization, rule(tier, "eq", ["Gold"])) == {"ann"}
    assert match(organization, rule(tier, "in", ["Gold", "Bronze"])) == {"ann", "bob"}
    assert match(organization, rule(tier, "neq", ["Gold"])) == {"bob", "cat", "dan"}
    assert match(organization, rule(tier, "exists")) == {"ann", "bob"}
    assert match(organization, rule(tier, "not_exists")) == {"cat", "dan"}


def test_rules_in_a_group_are_anded_and_groups_are_ored(organization, people):
    leeds_regulars = [
        rule("attributes.city", "eq", ["Leeds"], group=0),
        rule("attributes.visits", "gte", [10], group=0),
    ]
    assert match(organization, *leeds_regulars) == {"cat"}
    york = rule("attributes.city", "eq", ["York"], group=1)
    assert match(organization, *leeds_regulars, york) == {"cat", "bob"}


def test_compiled_rules_are_one_query(organization, people):
    with CaptureQueriesContext(connection) as queries:
        list(
            matching_profiles(
                organization=organization,
                rules=[rule("attributes.city", "eq", ["Leeds"]), rule("email", "contains", ["a"])],
            )
        )
    assert len(queries.captured_queries) == 1


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (rule("shoe_size", "eq", [1]), "unknown field"),
        (rule("attributes.bad__key", "eq", [1]), "unknown field"),
        (rule("email", "like", ["x"]), "unknown operator"),
        (rule("email", "gt", ["x"]), "does not apply to text"),
        (rule("email", "eq", []), "needs exactly one value"),
        (rule("email", "in", []), "needs 1 to 1,000 values"),
        (rule("email", "exists", ["x"]), "takes no values"),
        (rule("attributes.visits", "between", [1]), "exactly two values"),
        (rule("attributes.visits", "between", [9, 1]), "must not be above"),
        (rule("attributes.visits", "gt", [True]), "not a mix or true/false"),
        (rule("email", "eq", [3]), "values must be text"),
        (rule("created_at", "gt", ["last tuesday"]), "ISO 8601"),
        (rule("loyalty.points.not-a-uuid", "gt", [1]), "unknown field"),
        (rule("loyalty.points.00000000-0000-0000-0000-000000000000", "gt", [1]), "no such"),
    ],
)
def test_bad_rules_name_the_rule(organization, people, bad, fragment):
    with pytest.raises(ValidationError) as info:
        match(organization, rule("email", "exists"), bad)
    message = info.value.message_dict["rules"][0]
    assert message.startswith(f"Rule 2 ({bad['field']} {bad['operator']}):")
    assert fragment in message


def test_another_organizations_program_is_not_a_field(organization, other_organization, people):
    theirs = loyalty_services.create_loyalty_program(
        organization=other_organization, data={"name": "X"}
    )
    with pytest.raises(ValidationError, match="no such loyalty program"):
        match(organization, rule(f"loyalty.points.{theirs.pk}", "gt", [1]))


# -- refresh ---------------------------------------------------------------------------------


def members(audience):
    return set(audience.memberships.values_list("profile__integration_id", "source"))


def test_refresh_applies_the_difference_and_keeps_imported_and_api_members(organization, people):
    audience = services.create_audience(
        organization=organization,
        data={"name": "Leeds"},
        rules=[rule("attributes.city", "eq", ["Leeds"])],
    )
    log = services.refresh_audience(audience_id=audience.pk)
    assert (log.status, log.added, log.removed) == ("completed", 2, 0)
    services.add_members(audience=audience, integration_ids=["dan"], source="import")
    services.add_members(audience=audience, integration_ids=["bob"], source="api")

    people["ann"].attributes = {"city": "Hull"}
    people["ann"].save()
    log = services.refresh_audience(audience_id=audience.pk)
    assert (log.added, log.removed) == (0, 1)
    assert members(audience) == {("cat", "rule"), ("dan", "import"), ("bob", "api")}
    audience.refresh_from_db()
    assert audience.member_count == 3
    assert audience.last_refreshed_at is not None

    again = services.refresh_audience(audience_id=audience.pk)  # idempotent
    assert (again.added, again.removed) == (0, 0)
    assert AudienceRefresh.objects.filter(audience=audience).count() == 3


def test_a_rule_member_added_by_hand_survives_when_rules_change(organization, people):
    audience = services.create_audience(
        organization=organization,
        data={"name": "Leeds"},
        rules=[rule("attributes.city", "eq", ["Leeds"])],
    )
    services.refresh_audience(audience_id=audience.pk)
    services.add_members(audience=audience, integration_ids=["ann"])
    services.update_audience(
        audience=audience, data={}, rules=[rule("attributes.city", "eq", ["York"])]
    )
    services.refresh_audience(audience_id=audience.pk)
    assert members(audience) == {("ann", "api"), ("bob", "rule")}


def test_a_refresh_while_one_runs_is_skipped(organization, people):
    audience = services.create_audience(
        organization=organization, data={"name": "All"}, rules=[rule("email", "exists")]
    )
    Audience.objects.filter(pk=audience.pk).update(refresh_started_at=dt.datetime.now(dt.UTC))
    log = services.refresh_audience(audience_id=audience.pk)
    assert log.status == "skipped"
    assert not AudienceMembership.objects.exists()


def test_refresh_query_count_does_not_grow_with_the_audience(
    organization, django_assert_max_num_queries
):
    CustomerProfileFactory.create_batch(5, organization=organization, attributes={"k": 1})
    audience = services.create_audience(
        organization=organization, data={"name": "k"}, rules=[rule("attributes.k", "eq", [1])]
    )
    with django_assert_max_num_queries(12) as small:
        services.refresh_audience(audience_id=audience.pk)
    CustomerProfileFactory.create_batch(200, organization=organization, attributes={"k": 1})
    with django_assert_max_num_queries(12) as large:
        services.refresh_audience(audience_id=audience.pk)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert audience.memberships.count() == 205


def test_due_audiences_are_queued_once(organization, people):
    now = dt.datetime.now(dt.UTC)
    audience = services.create_audience(
        organization=organization,
        data={"name": "Every minute", "refresh_interval_seconds": 60},
        rules=[rule("email", "exists")],
        now=now,
    )
    services.create_audience(organization=organization, data={"name": "By hand"})
    assert services.enqueue_due_refreshes(now=now) == [audience.pk]  # runs eagerly in tests
    audience.refresh_from_db()
    assert audience.member_count == 4
    assert audience.next_refresh_at == audience.last_refreshed_at + dt.timedelta(seconds=60)
    assert services.enqueue_due_refreshes(now=now + dt.timedelta(seconds=30)) == []
    assert services.enqueue_due_refreshes(now=now + dt.timedelta(seconds=61)) == [audience.pk]


def test_interval_below_30_seconds_is_rejected(organization):
    with pytest.raises(ValidationError) as info:
        services.create_audience(
            organization=organization, data={"name": "x", "refresh_interval_seconds": 5}
        )
    assert "refresh_interval_seconds" in info.value.message_dict


def test_membership_state_and_member_group_fields(organization, people):
    from memberships import services as membership_services

    program = loyalty_services.create_loyalty_program(organization=organization, data={"name": "P"})
    membership_services.add_memberships(
        organization=organization,
        items=[
            {"program": program.pk, "profile": "ann", "state": "enrolled"},
            {"program": program.pk, "profile": "bob", "state": "pending"},
        ],
    )
    group = membership_services.create_group(organization=organization, data={"name": "G"})
    membership_services.add_group_members(group=group, identifier_type="id", identifiers=["cat"])
    state = f"membership.state.{program.pk}"
    assert match(organization, rule(state, "eq", ["enrolled"])) == {"ann"}
    assert match(organization, rule(state, "in", ["enrolled", "pending"])) == {"ann", "bob"}
    assert match(organization, rule(state, "neq", ["enrolled"])) == {"bob", "cat", "dan"}
    assert match(organization, rule(state, "not_exists")) == {"cat", "dan"}
    assert match(organization, rule("member_groups", "in", [str(group.pk)])) == {"cat"}
    assert match(organization, rule("member_groups", "not_exists")) == {"bob", "dan"}
    with pytest.raises(ValidationError, match="membership states"):
        match(organization, rule(state, "eq", ["gold"]))


def test_rule_fields_of_higher_apps_are_registered():
    from audiences import rules

    assert {"membership.state.", "member_groups"} <= set(rules.REGISTERED_FIELDS)
