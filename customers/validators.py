import re

from django.core.exceptions import ValidationError

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
ATTRIBUTE_KEY_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]|_(?!_))*$")
MAX_ATTRIBUTE_KEY_LENGTH = 100
MAX_ATTRIBUTES = 200


def validate_msisdn(value: str) -> None:
    if value and not E164_RE.match(value):
        raise ValidationError(
            "Enter a phone number in E.164 format: + then country code and number, "
            "digits only, e.g. +14155550123.",
            code="invalid_msisdn",
        )


def is_valid_attribute_key(key: str) -> bool:
    return (
        isinstance(key, str)
        and len(key) <= MAX_ATTRIBUTE_KEY_LENGTH
        and bool(ATTRIBUTE_KEY_RE.match(key))
        and "__" not in key
    )


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


def validate_attributes(value) -> None:
    """Attributes are a flat-keyed JSON object: keys of letters, digits, '_' or '-'."""
    if not isinstance(value, dict):
        raise ValidationError("Attributes must be a JSON object.", code="invalid_attributes")
    if len(value) > MAX_ATTRIBUTES:
        raise ValidationError(
            f"At most {MAX_ATTRIBUTES} attributes per profile.", code="too_many_attributes"
        )
    bad = [key for key in value if not is_valid_attribute_key(key)]
    if bad:
        raise ValidationError(
            f"Invalid attribute name(s): {', '.join(map(repr, bad[:5]))}. Use letters, digits, "
            f"'_' or '-' (no '__'), at most {MAX_ATTRIBUTE_KEY_LENGTH} characters.",
            code="invalid_attribute_key",
        )
    if _contains_nul(value):
        raise ValidationError("Attributes may not contain NUL characters.", code="null_characters")
