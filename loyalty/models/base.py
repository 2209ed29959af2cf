"""Helpers shared by the loyalty models."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models

MAX_DAYS = 36_500  # a hundred years: further than any program plans, well inside datetime


def listing_index(name: str) -> models.Index:
    """The index that serves an organization's list, newest first: the API's cursor
    pagination orders by (created_at, id) within the organization."""
    return models.Index(fields=["organization", "created_at", "id"], name=name)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/Paris, UTC).")


validate_timezone.openapi_enum = sorted(zoneinfo.available_timezones())  # for the API schema
