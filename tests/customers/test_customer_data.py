"""A customer's data: exported whole (GDPR access), and after an erasure nothing personal is
left in the stored import files, which are deleted a set time after their import ends."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audiences import imports
from audiences import services as audience_services
from audiences.customer_data import delete_old_import_files
from audiences.models import AudienceImport
from campaigns import services as campaign_services
from loyalty import ledger
from tests.factories import CustomerProfileFactory, EarningRuleFactory, LoyaltyProgramFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/customer-data"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def imported(audience, text: str) -> AudienceImport:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("audiences.tasks.run_import_task.delay", lambda *a, **k: None)
        imp = imports.start_import(
            audience=audience, uploaded_file=SimpleUploadedFile("c.csv", text.encode())
        )
    imports.run_import(import_id=imp.pk)
    return AudienceImport.objects.get(pk=imp.pk)


def test_the_export_holds_everything_we_keep_on_the_customer(api, organization, other_api):
    program = LoyaltyProgramFactory(organization=organization, name="Club")
    EarningRuleFactory(organization=organization, program=program, name="Visit bonus")
    ada = CustomerProfileFactory(organization=organization, integration_id="ada", email="a@x.io")
    ledger.earn_points(program=program, profile=ada, amount=30, reason="Welcome")
    audience = audience_services.create_audience(organization=organization, data={"name": "VIP"})
    audience_services.add_members(audience=audience, integration_ids=["ada"])
    campaign_services.update_customer_session(
        organization=organization,
        session_id="s-1",
        data={
            "profile": "ada",
            "state": "closed",
            "cart_items": [{"sku": "latte", "quantity": 1, "price": "3.00"}],
        },
    )
    response = api.get(f"{URL}/ada")
    assert response.status_code == 200
    data = response.json()
    assert data["profile"]["email"] == "a@x.io"
    assert [t["reason"] for t in data["points_transactions"]] == ["Welcome", "Visit bonus"]
    assert data["loyalty"][0]["active_points"] == 40
    assert [a["audience__name"] for a in data["audiences"]] == ["VIP"]
    assert data["customer_sessions"][0]["cart_items"][0]["sku"] == "latte"
    assert [e["rule_name"] for e in data["applied_effects"]] == ["Visit bonus"]
    assert set(data) >= {"loyalty_cards", "loyalty_memberships", "member_groups", "customer_events"}
    assert other_api.get(f"{URL}/ada").status_code == 404


def test_an_erasure_scrubs_the_stored_import_files(api, organization):
    audience = audience_services.create_audience(organization=organization, data={"name": "A"})
    imp = imported(
        audience,
        "integration_id,email,first_name\nada,Ada@Example.com,Ada\nbob,bob@example.com,Bob\n",
    )
    assert b"Ada@Example.com" in imp.file.open("rb").read()
    assert api.delete(f"{URL}/ada").status_code == 204
    imp.refresh_from_db()
    kept = imp.file.open("rb").read().decode()
    assert "Ada" not in kept and "ada" not in kept.lower().split(",")
    assert "bob@example.com" in kept  # other customers' rows stay


def test_import_files_are_deleted_after_the_retention_period(organization, settings):
    settings.AUDIENCE_IMPORT_FILE_RETENTION_DAYS = 7
    audience = audience_services.create_audience(organization=organization, data={"name": "A"})
    old = imported(audience, "integration_id\nc1\n")
    recent = imported(audience, "integration_id\nc2\n")
    now = timezone.now()
    AudienceImport.objects.filter(pk=old.pk).update(finished_at=now - dt.timedelta(days=8))
    AudienceImport.objects.filter(pk=recent.pk).update(finished_at=now - dt.timedelta(days=6))
    path = old.file.path
    assert delete_old_import_files(now=now) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.file.name == "" and old.imported == 1  # the counts stay
    assert recent.file.name != ""
    import os

    assert not os.path.exists(path)


def test_an_erasure_copes_with_files_the_csv_module_cannot_read(api, organization, tmp_path):
    audience = audience_services.create_audience(organization=organization, data={"name": "A"})
    imp = imported(audience, "integration_id,email\nbob,bob@example.com\n")
    CustomerProfileFactory(organization=organization, integration_id="ada", email="a@x.io")
    # a file as a fuzzer might leave it: a NUL byte, and a field past csv's size limit
    imp.file.save(
        "odd.csv",
        ContentFile(b"integration_id,email\nada,a@x.io\x00\nbob," + b"x" * 200_000 + b"\n"),
    )
    assert api.delete(f"{URL}/ada").status_code == 204
    imp.refresh_from_db()
    kept = imp.file.open("rb").read()
    assert b"a@x.io" not in kept and b"bob," in kept
