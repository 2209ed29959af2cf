"""`field__any=values`: the `in` lookup with one array parameter on PostgreSQL.

`pk__in=[...1,000 ids]` becomes `IN (%s, %s, …)` with a thousand placeholders: Django and
psycopg convert each one and the server parses each one; for 1,000 values that costs 4-9 ms
a query. `pk__any=[...]` becomes `= ANY(%s)` with the list sent as one array, the same rows
in 1.5-3 ms (bench/memberships.py). Other databases, and a subquery as the value, get
plain `IN`.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connection as default_connection
from django.db.models import Field, ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _OneArray:
    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        field = self.lhs.output_field
        try:
            unique = list(dict.fromkeys(self.rhs))
        except TypeError:  # unhashable values (JSON): no de-duplication
            unique = list(self.rhs)
        values = [
            field.get_db_prep_value(value, connection, prepared=True)
            for value in unique
            if value is not None
        ]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


@Field.register_lookup
class AnyOf(_OneArray, In):
    pass


@ForeignObject.register_lookup  # foreign keys only see the lookups registered on them
class RelatedAnyOf(_OneArray, RelatedIn):
    pass


def any_of_sql(column: str, values: list, connection=default_connection) -> tuple[str, list]:
    """The same condition for hand-written SQL: (`"column = ANY(%s)"`, [values]) on
    PostgreSQL, (`"column IN (%s, …)"`, values) elsewhere. `values` are database-ready."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
