"""Audience.member_count and MembersGroup.members_count are kept by database triggers
(core.db.row_count_triggers), whatever writes the rows: services, bulk inserts, raw SQL,
cascading deletes; and saving a stale instance never undoes them. On both databases."""

import pytest
from django.db import connection

from audiences import services as audience_services
from audiences.models import Audience, AudienceMembership
from customers.services import delete_customer_profiles
from memberships import services as membership_services
from memberships.models import MembersGroup, MembersGroupMember
from tests.factories import AudienceFactory, CustomerProfileFactory, MembersGroupFactory

pytestmark = pytest.mark.django_db


def real_size(audience) -> int:
    return AudienceMembership.objects.filter(audience=audience).count()


def cached(audience) -> int:
    return Audience.objects.values_list("member_count", flat=True).get(pk=audience.pk)


def test_every_way_of_writing_members_keeps_the_audience_count(organization):
    audience = AudienceFactory(organization=organization)
    profiles = CustomerProfileFactory.create_batch(6, organization=organization)
    ids = [p.integration_id for p in profiles]

    audience_services.add_members(audience=audience, integration_ids=ids[:4])
    assert cached(audience) == real_size(audience) == 4
    audience_services.add_members(audience=audience, integration_ids=ids[:5])  # 1 new
    assert cached(audience) == 5
    audience_services.remove_members(audience=audience, integration_ids=ids[:2])
    assert cached(audience) == real_size(audience) == 3

    # a bulk insert and a raw delete that no service knows of
    AudienceMembership.objects.bulk_create(
        [AudienceMembership(organization=organization, audience=audience, profile=profiles[5])]
    )
    assert cached(audience) == 4
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AudienceMembership._meta.db_table} WHERE profile_id = %s",  # noqa: S608
            [
                AudienceMembership._meta.get_field("profile").get_db_prep_value(
                    profiles[5].pk, connection
                )
            ],
        )
    assert cached(audience) == real_size(audience) == 3

    # deleting profiles cascades to their memberships
    delete_customer_profiles(profiles=type(profiles[0]).objects.filter(pk=profiles[2].pk))
    assert cached(audience) == real_size(audience) == 2
    audience_services.clear_members(audience=audience)
    assert cached(audience) == 0


def test_saving_a_stale_audience_keeps_the_count(organization):
    audience = AudienceFactory(organization=organization)
    stale = Audience.objects.get(pk=audience.pk)
    profile = CustomerProfileFactory(organization=organization)
    audience_services.add_members(audience=audience, integration_ids=[profile.integration_id])

    stale.name = "Renamed"
    stale.save()  # member_count 0 in memory: not written

    assert cached(audience) == 1
    assert Audience.objects.get(pk=audience.pk).name == "Renamed"


def test_group_counts_follow_members_and_the_all_members_group(organization):
    group = MembersGroupFactory(organization=organization)
    profiles = CustomerProfileFactory.create_batch(3, organization=organization)
    emails = [p.email for p in profiles]

    membership_services.add_group_members(group=group, identifier_type="email", identifiers=emails)
    assert MembersGroup.objects.get(pk=group.pk).members_count == 3
    MembersGroupMember.objects.filter(profile=profiles[0]).delete()
    assert MembersGroup.objects.get(pk=group.pk).members_count == 2
    delete_customer_profiles(profiles=type(profiles[0]).objects.filter(pk=profiles[1].pk))
    assert MembersGroup.objects.get(pk=group.pk).members_count == 1

    stale = MembersGroup.objects.get(pk=group.pk)
    membership_services.remove_group_members(
        group=group, identifier_type="email", identifiers=[profiles[2].email]
    )
    stale.description = "edited"
    stale.save()
    assert MembersGroup.objects.get(pk=group.pk).members_count == 0
