"""Stable integer numbers (core.numbers) on whichever database the suite runs on: every way a
row is written gets one, a saved row keeps it, a deleted row's number is never given again,
and our API shows it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audiences import imports
from audiences import services as audience_services
from core.db import insert_rows
from core.numbers import take_numbers
from customers.models import CustomerProfile
from customers.services import bulk_upsert_customer_profiles
from loyalty import services as loyalty_services
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db


def stored_numbers(**filters) -> list[int]:
    return list(
        CustomerProfile.objects.filter(**filters)
        .order_by("number")
        .values_list("number", flat=True)
    )


def test_every_way_of_writing_a_profile_gives_it_a_new_number(organization, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    one = CustomerProfile.objects.create(organization=organization, integration_id="one")
    bulk = CustomerProfile.objects.bulk_create(
        [CustomerProfile(organization=organization, integration_id=f"bulk-{n}") for n in range(3)]
    )
    copied = CustomerProfile(organization=organization, integration_id="copied")
    insert_rows(CustomerProfile, [copied])  # COPY on PostgreSQL: the number is not read back
    bulk_upsert_customer_profiles(
        organization=organization, items=[{"integration_id": "api-1"}, {"integration_id": "one"}]
    )
    audience = audience_services.create_audience(organization=organization, data={"name": "A"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("audiences.tasks.run_import_task.delay", lambda *a, **k: None)
        imp = imports.start_import(
            audience=audience,
            uploaded_file=SimpleUploadedFile("c.csv", b"integration_id\nimported\none\n"),
        )
    imports.run_import(import_id=imp.pk)

    assert one.number is not None and all(p.number is not None for p in bulk)
    numbers = stored_numbers(organization=organization)
    assert len(numbers) == 7 and None not in numbers
    assert len(set(numbers)) == 7  # each its own
    assert CustomerProfile.objects.get(integration_id="one").number == one.number  # kept
    assert [p.number for p in bulk] == sorted(p.number for p in bulk) and bulk[
        0
    ].number > one.number


def test_a_saved_row_keeps_its_number_and_a_deleted_ones_is_never_given_again(organization):
    first = CustomerProfileFactory(organization=organization)
    last = CustomerProfileFactory(organization=organization)
    copied = CustomerProfile(organization=organization, integration_id="copied")
    insert_rows(CustomerProfile, [copied])
    copied.email = "c@example.com"
    copied.save()  # an instance that never read its number back does not wipe it
    assert CustomerProfile.objects.get(pk=copied.pk).number is not None
    first.first_name = "Ann"
    first.save()
    first.refresh_from_db()
    assert first.number < last.number
    biggest = max(stored_numbers(organization=organization))
    CustomerProfile.objects.filter(number=biggest).delete()
    again = CustomerProfileFactory(organization=organization)
    assert again.number > biggest
    assert take_numbers(CustomerProfile, 2)[0] > again.number


def test_our_api_shows_the_numbers(api, organization):
    program = loyalty_services.create_loyalty_program(organization=organization, data={"name": "P"})
    profile = CustomerProfileFactory(organization=organization)
    audience = audience_services.create_audience(organization=organization, data={"name": "A"})
    got = api.get(f"/api/v1/loyalty-programs/{program.pk}").json()
    assert got["number"] == program.number and isinstance(got["number"], int)
    got = api.get(f"/api/v1/customer-profiles/{profile.integration_id}").json()
    assert got["number"] == profile.number
    assert api.get(f"/api/v1/audiences/{audience.pk}").json()["number"] == audience.number
    created = api.post("/api/v1/loyalty-programs", {"name": "Q"}, format="json").json()
    assert created["number"] > program.number  # answered at once, read back by the insert
