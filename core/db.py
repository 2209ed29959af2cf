"""Database helpers shared by the apps' bulk paths."""

from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter

from django.db import connection, models
from django.db.models import signals
from django.db.models.base import ModelState

# Types psycopg writes as they are (no Django prep needed) in a COPY.
_PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EmailField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
    "URLField",
    "UUIDField",
}


def _fills_itself(field: models.Field) -> bool:
    """auto_now(_add) dates and other fields whose pre_save computes the value."""
    if isinstance(field, models.DateField):
        return field.auto_now or field.auto_now_add
    return type(field).pre_save is not models.Field.pre_save


def _value_getter(field: models.Field):
    if _fills_itself(field):
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    return lambda obj: field.get_db_prep_save(getattr(obj, field.attname), connection)


def _is_plain(field: models.Field) -> bool:
    kind = (field.target_field if field.is_relation else field).get_internal_type()
    return kind in _PLAIN and not _fills_itself(field)


def _row_getter(fields):
    """obj -> the values of `fields` to write: one C-level attrgetter when every field is
    plain (the common case), else a getter per field."""
    if len(fields) > 1 and all(_is_plain(field) for field in fields):
        return attrgetter(*(field.attname for field in fields))
    getters = [
        attrgetter(field.attname) if _is_plain(field) else _value_getter(field) for field in fields
    ]
    return lambda obj: [get(obj) for get in getters]


def new_instances(model: type[models.Model], rows: Iterable[Mapping]) -> list[models.Model]:
    """Unsaved instances, as `[model(**row) for row in rows]` builds them, at a third of the
    cost (~5 instead of ~15 µs an instance of a 14-field model; 1,000 of them were a tenth of
    a batch request): the values go straight into each instance's `__dict__`, which is where
    `Model.__init__` puts them too. Rows name fields by attname (`program_id`); a field a row
    leaves out gets its default. Models with pre_init/post_init receivers get `__init__`."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return [model(**row) for row in rows]
    fields = {field.attname: field for field in model._meta.concrete_fields}
    instances = []
    for row in rows:
        values = dict(row)
        if unknown := values.keys() - fields.keys():
            raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}.")
        for name in fields.keys() - values.keys():
            values[name] = fields[name].get_default()
        instance = model.__new__(model)
        instance.__dict__.update(values)
        instance._state = ModelState()
        instances.append(instance)
    return instances


def insert_rows(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Insert new instances whose primary keys are already set (UUID defaults), in one go.

    PostgreSQL: one COPY, about 2.5x faster than `bulk_create` for 1,000 rows (no 13,000-
    parameter statement to build and parse). Elsewhere: `bulk_create`. Like `bulk_create`,
    no `save()` and no signals; unlike it, nothing is read back."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    fields = model._meta.concrete_fields
    row = _row_getter(fields)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(  # psycopg's cursor under Django's
            f"COPY {table} ({columns}) FROM STDIN"
        ) as copy,
    ):
        for obj in objects:
            copy.write_row(row(obj))
    for obj in objects:  # saved now, as bulk_create leaves them
        obj._state.adding = False
        obj._state.db = connection.alias
