import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    if settings.CELERY_BROKER_URL:
        assert body["broker"] == "ok"
    else:
        assert body["broker"].startswith("eager")


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    from config.celery import app

    previous = app.conf.broker_url
    settings.CELERY_BROKER_URL = app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def test_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for expected in (
        "ApiKeyAuth",
        "scheme: bearer",
        "cursor",
        "Idempotency-Key",
        "ErrorResponse413",
        "/api/v1/customer-profiles/{integration_id}/",
    ):
        assert expected in text


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_error_bodies_are_one_component_per_status_with_the_types_the_server_sends(schema):
    components = schema["components"]["schemas"]
    error_400 = components["ErrorResponse400"]
    assert error_400["discriminator"]["mapping"] == {
        "validation_error": "#/components/schemas/ValidationErrorResponse",
        "client_error": "#/components/schemas/ParseErrorResponse",
    }
    batch = schema["paths"]["/api/v1/loyalty-memberships/batch-add/"]["post"]["responses"]
    assert set(batch) >= {"201", "400", "401", "403", "404", "409", "413", "415", "429", "500"}
    assert batch["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert batch["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse400"
    )


def test_request_bodies_state_the_limits_the_server_enforces(schema):
    components = schema["components"]["schemas"]
    ids = components["BatchDeleteRequest"]["properties"]["ids"]
    assert (ids["minItems"], ids["maxItems"], ids["uniqueItems"]) == (1, 1000, True)
    assert components["BatchDeleteRequest"]["additionalProperties"] is False
    name = components["AudienceGroupRequest"]["properties"]["name"]
    assert name["maxLength"] == 200 and name["minLength"] == 1
    timezone = components["LoyaltyProgramRequest"]["properties"]["timezone"]
    assert timezone["allOf"][0]["$ref"].endswith("/TimezoneEnum")
    assert "Europe/Paris" in components["TimezoneEnum"]["enum"]
    page_size = next(
        p
        for p in schema["paths"]["/api/v1/customer-profiles/"]["get"]["parameters"]
        if p["name"] == "page_size"
    )
    assert (page_size["schema"]["minimum"], page_size["schema"]["maximum"]) == (1, 1000)
