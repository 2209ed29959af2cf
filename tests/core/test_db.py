"""core.db (new_instances, insert_rows, claim_row) and core.lookups (`any`), on whichever
database the suite runs on: COPY and `= ANY(array)` on PostgreSQL, bulk_create and IN on
SQLite."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import CartItem, CustomerSession
from core.db import claim_row, insert_rows, new_instances
from customers.models import CustomerProfile
from loyalty import services as loyalty_services
from memberships.models import LoyaltyMembership
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(organization):
    return loyalty_services.create_loyalty_program(organization=organization, data={"name": "P"})


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_new_instances_match_the_model_constructor(organization, program):
    profile = CustomerProfileFactory(organization=organization)
    row = {
        "organization_id": organization.pk,
        "program_id": program.pk,
        "profile_id": profile.pk,
        "code": "C-1",
        "state": "enrolled",
    }
    [fast] = new_instances(LoyaltyMembership, [row])
    slow = LoyaltyMembership(**row)
    assert fast._state.adding and fast._state.db is None
    assert isinstance(fast.pk, uuid.UUID) and fast.pk != slow.pk  # each gets its own default
    assert {**fields_of(fast), "id": None, "created_at": None, "updated_at": None} == {
        **fields_of(slow),
        "id": None,
        "created_at": None,
        "updated_at": None,
    }
    assert fast.profile == profile  # relations load as usual
    assert fast.is_primary is False and fast.deleted_at is None


def test_new_instances_refuse_an_unknown_field():
    with pytest.raises(TypeError, match="no field program"):
        new_instances(LoyaltyMembership, [{"program": None}])  # attnames only: program_id


def test_insert_rows_writes_every_field_as_given(organization, program):
    profiles = CustomerProfileFactory.create_batch(3, organization=organization)
    expires = datetime.datetime(2027, 3, 1, 12, 30, 15, 123456, tzinfo=datetime.UTC)
    now = timezone.now()
    memberships = new_instances(
        LoyaltyMembership,
        [
            {
                "organization_id": organization.pk,
                "program_id": program.pk,
                "profile_id": profile.pk,
                "code": f"ü-{i}",
                "is_primary": i == 0,
                "points": [None, 0, 10**12][i],
                "expiration_date": [None, expires, None][i],
                "url": "https://example.com/x" if i else "",
                "state": "enrolled",
                "created_at": now,
                "updated_at": now,
            }
            for i, profile in enumerate(profiles)
        ],
    )
    insert_rows(LoyaltyMembership, memberships)
    assert all(not m._state.adding for m in memberships)
    stored = {m.pk: m for m in LoyaltyMembership.objects.filter(program=program)}
    assert len(stored) == 3
    for membership in memberships:
        assert fields_of(stored[membership.pk]) == fields_of(membership)


def test_insert_rows_prepares_json_and_fills_auto_now(organization):
    before = timezone.now()
    attributes = {"tier": "gold", "tags": ["a", "ü"], "nested": {"n": 1.5, "ok": True}}
    profile = CustomerProfile(
        organization=organization, integration_id="json-1", attributes=attributes
    )
    insert_rows(CustomerProfile, [profile])
    stored = CustomerProfile.objects.get(pk=profile.pk)
    assert stored.attributes == attributes
    assert stored.updated_at >= before  # auto_now filled in, as save() would
    assert stored.updated_at == profile.updated_at


def test_insert_rows_of_nothing_writes_nothing():
    insert_rows(CustomerProfile, [])
    assert not CustomerProfile.objects.exists()


def test_insert_rows_leaves_auto_ids_to_the_database_and_is_counted(organization):
    session = CustomerSession.objects.create(organization=organization, session_id="s")
    items = [
        CartItem(session=session, position=n, sku=f"sku-{n}", quantity=n + 1, price="2.50")
        for n in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(CartItem, items)
    assert len(queries.captured_queries) == 1  # the COPY is logged like any statement
    stored = list(CartItem.objects.filter(session=session).order_by("position"))
    assert [(i.sku, i.quantity, i.price) for i in stored] == [
        ("sku-0", 1, Decimal("2.5")),
        ("sku-1", 2, Decimal("2.5")),
        ("sku-2", 3, Decimal("2.5")),
    ]
    assert len({item.pk for item in stored}) == 3


def test_claim_row_inserts_once_then_returns_the_stored_row(organization, other_organization):
    first, created = claim_row(
        CustomerSession(organization=organization, session_id="s-1", attributes={"a": [1]}),
        unique=("organization", "session_id"),
    )
    assert created and first.attributes == {"a": [1]}
    CustomerSession.objects.filter(pk=first.pk).update(total=Decimal("12.5"), state="closed")
    with CaptureQueriesContext(connection) as queries:
        again, created = claim_row(
            CustomerSession(organization=organization, session_id="s-1", attributes={"b": 2}),
            unique=("organization", "session_id"),
        )
    # one statement (SQLite also takes the candidate's number first: core.numbers)
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert not created and again.pk == first.pk
    # the stored row, read back through the fields' converters, not the values offered
    assert (again.state, again.total, again.attributes) == ("closed", Decimal("12.5"), {"a": [1]})
    assert isinstance(again.created_at, datetime.datetime) and again.created_at.tzinfo
    assert not again._state.adding
    theirs, created = claim_row(
        CustomerSession(organization=other_organization, session_id="s-1"),
        unique=("organization", "session_id"),
    )
    assert created and theirs.pk != first.pk  # the key is per organization
    assert CustomerSession.objects.filter(session_id="s-1").count() == 2


def test_any_lookup_finds_what_in_finds(organization, other_organization):
    mine = CustomerProfileFactory.create_batch(4, organization=organization)
    theirs = CustomerProfileFactory(organization=other_organization)
    ids = [mine[0].pk, str(mine[1].pk), mine[2].pk.hex, theirs.pk, uuid.uuid4(), None]
    for lookup in ("pk", "id"):
        found = set(CustomerProfile.objects.filter(**{f"{lookup}__any": ids}))
        assert found == set(CustomerProfile.objects.filter(**{f"{lookup}__in": ids}))
        assert found == {mine[0], mine[1], mine[2], theirs}
    scoped = CustomerProfile.objects.filter(organization=organization, pk__any=ids)
    assert set(scoped) == {mine[0], mine[1], mine[2]}
    names = [mine[3].integration_id, "nobody"]
    assert list(CustomerProfile.objects.filter(integration_id__any=names)) == [mine[3]]


def test_any_lookup_on_foreign_keys(organization, program):
    profiles = CustomerProfileFactory.create_batch(3, organization=organization)
    for profile in profiles:
        LoyaltyMembership.objects.create(
            organization=organization, program=program, profile=profile
        )
    wanted = profiles[:2]
    by_id = LoyaltyMembership.objects.filter(profile_id__any=[p.pk for p in wanted])
    by_object = LoyaltyMembership.objects.filter(profile__any=wanted)
    expected = {m.pk for m in LoyaltyMembership.objects.filter(profile__in=wanted)}
    assert {m.pk for m in by_id} == {m.pk for m in by_object} == expected
    assert len(expected) == 2
    subquery = CustomerProfile.objects.filter(pk=profiles[2].pk).values("pk")
    assert LoyaltyMembership.objects.get(profile_id__any=subquery).profile == profiles[2]


def test_any_lookup_with_no_values_matches_nothing_and_its_negation_everything(organization):
    CustomerProfileFactory.create_batch(2, organization=organization)
    assert not CustomerProfile.objects.filter(pk__any=[]).exists()
    assert not CustomerProfile.objects.filter(pk__any=[None]).exists()
    assert CustomerProfile.objects.exclude(pk__any=[]).count() == 2


@pytest.mark.postgres
def test_any_lookup_sends_one_array_parameter_on_postgresql():
    ids = [uuid.uuid4() for _ in range(1000)]
    sql, params = CustomerProfile.objects.filter(pk__any=ids).query.sql_with_params()
    assert sql.endswith('"id" = ANY(%s)')
    assert list(params) == [ids]
