"""The import page follows a running import without a reload (real browser)."""

import pytest
from django.core.files.base import ContentFile

from audiences import services
from audiences.models import AudienceImport
from organizations.models import Role
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_progress_bar_updates_while_the_import_runs(
    live_server, page, log_in, staff_user_factory, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    demo = OrganizationFactory(name="Demo Coffee Co", slug="demo")
    audience = services.create_audience(organization=demo, data={"name": "Imported"})
    staff_user_factory(demo, role=Role.EDITOR, username="editor")
    imp = AudienceImport(organization=demo, audience=audience, original_name="people.csv")
    imp.file.save("people.csv", ContentFile(b"integration_id\nc1\nc2\n"), save=False)
    imp.status, imp.total, imp.processed = "running", 10, 4
    imp.save()

    log_in("editor")
    page.goto(f"{live_server.url}/admin/audiences/audienceimport/{imp.pk}/change/")
    # the text below is written by the page's script from the progress endpoint
    page.wait_for_function(
        "document.querySelector('.import-progress-text').textContent.includes('4 of 10 rows')"
    )
    AudienceImport.objects.filter(pk=imp.pk).update(processed=7)
    page.wait_for_function(
        "document.querySelector('.import-progress-text').textContent.includes('7 of 10 rows')"
    )
    assert page.eval_on_selector(".import-progress", "bar => bar.value") == 70
