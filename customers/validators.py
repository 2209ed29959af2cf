import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from core.validators import unstorable_json_problem

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
ATTRIBUTE_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
MAX_ATTRIBUTE_KEY_LENGTH = 100
MAX_ATTRIBUTES = 200


_email_validator = EmailValidator()


def validate_email(value: str) -> None:
    """The API's rule for an email (Django's EmailValidator, as DRF's EmailField applies it,
    with its message); the CSV import calls it too, so a row the API would refuse is a bad
    row with the API's message."""
    _email_validator(value)


def is_valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def validate_msisdn(value: str) -> None:
    """E.164, or empty."""
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


# core.validators' storability rule (the one audience metadata and rule values follow), worded
# for attributes
UNSTORABLE_ATTRIBUTE_MESSAGES = {
    "text": "Attributes may not contain NUL characters or invalid Unicode.",
    "number": "Attribute numbers must be finite.",
    "integer": "Attribute whole numbers must fit in 64 bits.",
}


def _unstorable(value) -> str | None:
    """Why a JSON value cannot be stored, or None."""
    problem = unstorable_json_problem(value)
    return UNSTORABLE_ATTRIBUTE_MESSAGES[problem] if problem else None


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
            f"Invalid attribute name(s): {', '.join(map(repr, bad[:5]))}. Start with a letter, "
            f"then letters, digits, '_' or '-' (no '__'), at most {MAX_ATTRIBUTE_KEY_LENGTH} "
            "characters.",
            code="invalid_attribute_key",
        )
    problem = _unstorable(value)
    if problem:
        raise ValidationError(problem, code="invalid_attribute_value")


validate_msisdn.openapi_pattern = r"^(\+[1-9][0-9]{6,14})?$"  # for the API schema
