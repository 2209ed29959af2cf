"""Parameters for the raw SQL of the set-based paths (refreshes, member writes, imports): values
in the form the current database stores them."""

from django.db import connection

from .models import Audience


def db_uuid(value):
    """A UUID as the current database stores it (a hex string on SQLite)."""
    return Audience._meta.pk.get_db_prep_value(value, connection)


def db_datetime(value):
    """A date-time as the current database stores it."""
    return connection.ops.adapt_datetimefield_value(value)
