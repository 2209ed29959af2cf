"""Small helpers shared by the API tests."""


def error_map(response) -> dict[str, list[str]]:
    """The API's error shape as {attr: [detail, ...]}."""
    result: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        result.setdefault(error["attr"], []).append(error["detail"])
    return result
