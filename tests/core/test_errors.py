import pytest

URL = "/api/v1/customer-profiles"


@pytest.mark.django_db
class TestErrorShape:
    def test_malformed_json_is_400_parse_error(self, api):
        response = api.generic("PUT", f"{URL}/x", "{not json", content_type="application/json")
        assert response.status_code == 400
        body = response.json()
        assert body["type"] == "client_error"
        assert body["errors"][0]["code"] == "parse_error"

    def test_validation_error_names_the_field(self, api):
        response = api.put(f"{URL}/x", {"email": "nope"})
        assert response.status_code == 400
        assert response.json() == {
            "type": "validation_error",
            "errors": [
                {"code": "invalid", "detail": "Enter a valid email address.", "attr": "email"}
            ],
        }

    def test_not_found_and_method_not_allowed_share_the_shape(self, api):
        response = api.get(f"{URL}/missing")
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"
        response = api.post(URL, {})
        assert response.status_code == 405
        assert response.json()["type"] == "client_error"

    def test_unsupported_media_type_is_415(self, api):
        response = api.generic("PUT", f"{URL}/x", "a=b", content_type="text/plain")
        assert response.status_code == 415

    def test_bad_page_size_and_cursor_do_not_500(self, api):
        for bad in ("lots", "0", "1001", "-5", "null"):
            response = api.get(URL, {"page_size": bad})
            assert response.status_code == 400, bad
            assert response.json()["errors"][0]["attr"] == "page_size"
        assert api.get(URL, {"page_size": "1000"}).status_code == 200
        response = api.get(URL, {"cursor": "garbage"})
        assert response.status_code == 404
