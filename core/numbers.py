"""Stable integer numbers for rows keyed by a UUID: the integer ids that other vendors'
clients expect (Talon.One's SDK types program, audience and profile ids as integers). Each
new row gets the next number of its table: unique, never reused (a deleted row's number stays
taken), shown as `number`.

- PostgreSQL: a sequence per table, the column's default, so an INSERT or COPY that leaves the
  column out takes the next value. The ORM names every column, so a trigger fills a NULL
  (`WHEN (NEW.number IS NULL)`: nothing runs for rows that have one) and INSERT … RETURNING
  reads the number back onto the instance.
- SQLite (development): a counter row per table in `core_number`, taken by the field's
  `pre_save` for ORM inserts, and by `take_numbers` for raw ones. SQLite serializes writers,
  so the counter cannot be taken twice.
"""

from django.db import connection, migrations, models

COUNTERS = "core_number"


class NumberField(models.BigIntegerField):
    """The row's number, given by the database (see the module)."""

    db_returning = True  # INSERT … RETURNING reads it back

    def __init__(self, *args, **kwargs):
        # NULL only until the database fills it in; NOT NULL would cost SQLite a table
        # rebuild, which the count triggers of the tables around it do not survive
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)  # full_clean() before the insert: not yet known
        kwargs.setdefault("help_text", "A stable integer id, unique and never reused.")
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None and add and connection.vendor != "postgresql":
            [value] = take_numbers(self.model, 1)
            setattr(model_instance, self.attname, value)
        return value


class NumberedQuerySetMixin:
    """bulk_create on SQLite takes the new rows' numbers in one statement, not one per row
    (PostgreSQL's sequence needs nothing)."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        field = next(
            (f for f in self.model._meta.concrete_fields if isinstance(f, NumberField)), None
        )
        if field is not None and connection.vendor != "postgresql":
            missing = [obj for obj in objs if getattr(obj, field.attname) is None]
            for obj, number in zip(missing, take_numbers(self.model, len(missing)), strict=True):
                setattr(obj, field.attname, number)
        return super().bulk_create(objs, *args, **kwargs)


def take_numbers(model: type[models.Model], count: int) -> list[int]:
    """`count` new numbers of `model`'s table, in one statement (for inserts that set them)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", [f"{table}_number_seq", count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"INSERT INTO {COUNTERS} (name, last) VALUES (%s, %s) "  # noqa: S608
            "ON CONFLICT (name) DO UPDATE SET last = last + excluded.last RETURNING last",
            [table, count],
        )
        last = cursor.fetchone()[0]
    return list(range(last - count + 1, last + 1))


def _install(table: str, order: str):
    def forwards(apps, schema_editor):
        quote = schema_editor.quote_name
        run = schema_editor.execute
        numbered = f"SELECT id, row_number() OVER (ORDER BY {order}) AS n FROM {quote(table)}"  # noqa: S608
        run(
            f"UPDATE {quote(table)} SET number = numbered.n FROM ({numbered}) AS numbered "  # noqa: S608
            f"WHERE {quote(table)}.id = numbered.id"
        )
        if schema_editor.connection.vendor == "postgresql":
            sequence = f"{table}_number_seq"
            run(f"CREATE SEQUENCE IF NOT EXISTS {quote(sequence)}")
            run(
                f"SELECT setval(%s, COALESCE((SELECT max(number) FROM {quote(table)}), 0) + 1, "  # noqa: S608
                "false)",
                [sequence],
            )
            run(
                f"ALTER TABLE {quote(table)} ALTER COLUMN number "
                f"SET DEFAULT nextval('{sequence}'::regclass)"
            )
            run(
                f"CREATE TRIGGER {quote(table + '_number')} BEFORE INSERT OR UPDATE OF number "
                f"ON {quote(table)} FOR EACH ROW WHEN (NEW.number IS NULL) "
                f"EXECUTE FUNCTION core_take_number('{sequence}')"
            )
        else:
            run(
                f"INSERT INTO {COUNTERS} (name, last) "  # noqa: S608
                f"SELECT %s, COALESCE(max(number), 0) FROM {quote(table)} "
                "WHERE true ON CONFLICT (name) DO UPDATE SET last = excluded.last",
                [table],
            )

    def backwards(apps, schema_editor):
        quote = schema_editor.quote_name
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(table + '_number')} ON {table}")
            schema_editor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN number DROP DEFAULT")
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS {quote(table + '_number_seq')}")
        else:
            schema_editor.execute(f"DELETE FROM {COUNTERS} WHERE name = %s", [table])  # noqa: S608

    return forwards, backwards


def numbered(model_name: str, table: str, *, order: str = "created_at, id") -> list:
    """Migration operations that give `model_name` (its table `table`) a `number`: the column,
    existing rows numbered in `order`, then the sequence or counter. core's migration 0003
    must run first (it installs the shared parts)."""
    forwards, backwards = _install(table, order)
    return [
        migrations.AddField(model_name=model_name, name="number", field=NumberField()),
        migrations.RunPython(forwards, backwards),
    ]


SHARED_POSTGRESQL = """
CREATE OR REPLACE FUNCTION core_take_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    NEW.number := OLD.number;  -- a save() of an instance that never read its number back
  ELSE
    NEW.number := nextval(TG_ARGV[0]::regclass);
  END IF;
  RETURN NEW;
END
$$
"""


def install_shared(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SHARED_POSTGRESQL)
    else:
        schema_editor.execute(
            f"CREATE TABLE IF NOT EXISTS {COUNTERS} (name varchar(100) PRIMARY KEY, "
            "last bigint NOT NULL)"
        )


def remove_shared(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS core_take_number()")
    else:
        schema_editor.execute(f"DROP TABLE IF EXISTS {COUNTERS}")
