"""Writing many generated rows fast, for ``manage.py seed_bulk`` (benchmarks, load tests).

Bulk data bypasses the services on purpose: it is synthetic, written by an operator on an
empty or test database, and its volume (millions of rows) rules out one service call per row.
Each app's ``bulk`` module generates consistent rows (the same fields its services would set)
and writes them with :class:`BulkWriter`:

- **PostgreSQL**: ``COPY … FROM STDIN`` through psycopg 3, the fastest way in; secondary indexes
  of the tables being filled are dropped first and rebuilt once at the end
  (:func:`indexes_dropped`), which is several times faster than maintaining them row by row.
- **SQLite**: ``executemany`` of one ``INSERT`` per batch inside one transaction.

Rows carry their primary keys (the generator assigns them, so that children can point at their
parents without reading them back); :func:`reset_sequences` moves PostgreSQL's identity
sequences past them afterwards.

Columns the generator does not name get the field's default (computed once per writer), so a
new column with a default does not break the generator.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import islice
from typing import Any, TypeVar
from uuid import UUID

from django.db import connection, connections, models, transaction
from django.db.models import NOT_PROVIDED
from django.db.models.base import ModelState
from django.db.models.signals import post_init

log = logging.getLogger(__name__)

SQLITE_BATCH = 5_000

M = TypeVar("M", bound=models.Model)


def _default(field: models.Field[Any, Any]) -> Any:
    if field.unique and not field.primary_key:
        raise ValueError(f"{field.model.__name__}.{field.name} is unique: generate it per row")
    if field.has_default():
        value = field.get_default()
    elif field.null:
        value = None
    elif field.db_default is not NOT_PROVIDED:
        raise ValueError(f"{field.model.__name__}.{field.name}: name it, it has a db default")
    elif isinstance(field, models.CharField | models.TextField):
        value = ""
    else:
        raise ValueError(
            f"{field.model.__name__}.{field.name} has no default: the generator must set it"
        )
    return value


class BulkWriter:
    """Write tuples of ``fields`` (attribute names, e.g. ``"unit_id"``) into ``model``'s table."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.model = model
        self.table = model._meta.db_table
        concrete = [f for f in model._meta.concrete_fields]
        by_attname = {f.attname: f for f in concrete}
        unknown = [name for name in fields if name not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__} has no column {unknown}")
        self.fields = list(fields)
        # an automatic primary key that the generator does not name is left to the database
        self.rest = [
            f
            for f in concrete
            if f.attname not in fields and not (f.primary_key and isinstance(f, models.AutoField))
        ]
        self.rest_values = tuple(self._db(f, _default(f)) for f in self.rest)
        self.columns = [by_attname[name].column for name in self.fields] + [
            f.column for f in self.rest
        ]
        self._json = [isinstance(by_attname[name], models.JSONField) for name in self.fields]
        self.written = 0

    @staticmethod
    def _db(field: models.Field[Any, Any], value: Any) -> Any:
        if isinstance(field, models.JSONField):
            return json.dumps(value, ensure_ascii=False)
        if callable(value):
            raise ValueError(f"{field.name}: a callable default must be generated per row")
        return value

    def _prepare(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if any(self._json):
            row = [
                json.dumps(v, ensure_ascii=False) if is_json else v
                for v, is_json in zip(row, self._json, strict=True)
            ]
        return (*row, *self.rest_values)

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        """Write every row; returns how many."""
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in self.columns)
        count = 0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                raw = cursor.cursor  # psycopg 3
                sql = f"COPY {quote(self.table)} ({columns}) FROM STDIN"
                with raw.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(self._prepare(row))
                        count += 1
        else:
            marks = ", ".join(["%s"] * len(self.columns))
            sql = f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})"
            iterator = iter(rows)
            with connection.cursor() as cursor:
                while batch := [self._prepare(r) for r in islice(iterator, SQLITE_BATCH)]:
                    cursor.executemany(sql, [tuple(_sqlite(v) for v in r) for r in batch])
                    count += len(batch)
        self.written += count
        return count


def _sqlite(value: Any) -> Any:
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, Decimal):
        return str(value)
    return value


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk step (an import builds hundreds of
    thousands of dicts and tuples, and each generation-0 threshold crossed runs a collection
    that walks them all again). Reference counting still frees what is dropped; the cycles
    made meanwhile are collected after. The collector's state before is restored (nested or
    already paused: left as it was)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def stop_state(stopped_on: Any, due_on: Any) -> str:
    """The state of a clock stopped on ``stopped_on``: ``met`` by its due date, else ``missed``."""
    return "met" if stopped_on <= due_on else "missed"


def next_id(model: type[models.Model]) -> int:
    """The first key of ``model`` that neither a row nor the database's sequence has used.

    Keys once handed out are never reused (SQLite AUTOINCREMENT, PostgreSQL identity), even
    after their rows were deleted: search rows and clocks name items by key.
    """
    top = int(model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            (sequence,) = cursor.fetchone()
            if sequence:
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                last, called = cursor.fetchone()
                top = max(top, int(last) if called else int(last) - 1)
        else:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, int(row[0]) if row else 0)
    return top + 1


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    """Move the key sequences past the keys written, so later inserts do not collide."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            pk = model._meta.pk.column
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
                (sequence,) = cursor.fetchone()
                if sequence:
                    cursor.execute(
                        f"SELECT setval(%s, GREATEST((SELECT COALESCE(MAX({quote(pk)}), 0) "
                        f"FROM {quote(table)}), (SELECT last_value FROM {sequence}), 1))",
                        [sequence],
                    )
            else:
                top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                if row is None:
                    cursor.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, top]
                    )
                elif int(row[0]) < top:
                    cursor.execute(
                        "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [top, table]
                    )


@contextmanager
def indexes_dropped(tables: Sequence[str]) -> Iterator[None]:
    """Drop the plain secondary indexes of ``tables`` and rebuild them after (PostgreSQL, SQLite).

    Primary keys and indexes behind constraints (unique, exclusion) stay: they guard the data.
    The rebuild runs even when the body fails, so the schema is never left without them.
    """
    if not tables or connection.vendor not in ("postgresql", "sqlite"):
        yield
        return
    if connection.vendor == "postgresql":
        query = """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """
        params: list[Any] = [list(tables)]
    else:
        # the indexes made by CREATE INDEX (``sql`` not null), not those of unique constraints
        marks = ", ".join("%s" for _ in tables)
        query = (
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND sql NOT LIKE 'CREATE UNIQUE%%' AND tbl_name IN ({marks})"
        )
        params = list(tables)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, definition in found:
                log.debug("rebuilding index %s", name)
                cursor.execute(definition)


@contextmanager
def bulk_session() -> Iterator[None]:
    """One transaction; on PostgreSQL with more memory for the index rebuilds."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                cursor.execute("SET LOCAL synchronous_commit = off")
                # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED; checked at each COPY's
                # end instead, they leave no pending trigger events that would forbid the
                # index rebuild in the same transaction.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # a page cache that holds the tables being written (the default is ~2 MB)
                cursor.execute("PRAGMA cache_size = -524288")  # 512 MB, this connection only
        yield


def analyze(tables: Sequence[str]) -> None:
    """Refresh the planner's statistics (PostgreSQL ``ANALYZE``; SQLite ``ANALYZE``)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


#: most parameters in one INSERT of :func:`insert_many` (SQLite allows 32,766; psycopg 65,535)
INSERT_PARAMETERS = 30_000


def _insert_returning(
    cursor: Any, table: str, columns: str, one: str, pk_column: str, n: int, params: list[Any]
) -> list[int]:
    """One multi-row ``INSERT … RETURNING`` of ``n`` rows (``one``: a row's placeholders);
    their keys, in order."""
    cursor.execute(
        f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
        + ", ".join([one] * n)
        + f" RETURNING {cursor.db.ops.quote_name(pk_column)}",
        params,
    )
    keys = [row[0] for row in cursor.fetchall()]
    if len(keys) != n:
        raise RuntimeError("INSERT … RETURNING gave another number of rows")
    return keys


def insert_many(objs: Sequence[models.Model], *, batch: int = 1000) -> None:
    """Insert new instances of one model in batches and give them their primary keys: what
    ``bulk_create`` does for a service that creates thousands of rows (an import), without
    the query compiler's cost per value (it dominates an import otherwise).

    Values go through each field's ``pre_save`` and ``get_db_prep_save``, as in ``save()``;
    ``INSERT … RETURNING`` gives the keys on PostgreSQL and on SQLite ≥ 3.35. No signals are
    sent, as with ``bulk_create``. Models with database defaults or without an auto primary
    key use ``bulk_create``."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [f for f in meta.concrete_fields if f is not pk]
    if not isinstance(pk, models.AutoField | models.BigAutoField) or any(
        f.db_default is not NOT_PROVIDED for f in fields
    ):
        model._default_manager.bulk_create(objs, batch_size=batch)
        return
    db = connections[connection.alias]  # the wrapper itself: the proxy costs per value
    if db.vendor == "postgresql":
        _copy_many(db, objs, pk, fields)
        return
    ops = db.ops
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    table = ops.quote_name(meta.db_table)
    size = max(1, min(batch, INSERT_PARAMETERS // len(fields)))
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with transaction.atomic(savepoint=False), db.cursor() as cursor:
        for start in range(0, len(objs), size):
            chunk = objs[start : start + size]
            params: list[Any] = []
            for obj in chunk:
                params.extend(f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields)
            keys = _insert_returning(cursor, table, columns, one, pk.column, len(chunk), params)
            for obj, key in zip(chunk, keys, strict=True):
                setattr(obj, pk.attname, key)
                obj._state.adding = False
                obj._state.db = db.alias


def _copy_many(
    db: Any,
    objs: Sequence[models.Model],
    pk: models.Field[Any, Any],
    fields: list[models.Field[Any, Any]],
) -> None:
    """PostgreSQL: the keys drawn from the table's sequence in one query, then ``COPY``.
    (A multi-row ``INSERT`` of 30,000 parameters costs psycopg a client-side parse each
    time: seconds per thousand rows.)"""
    table = objs[0]._meta.db_table
    quote = db.ops.quote_name
    with transaction.atomic(savepoint=False), db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objs)],
        )
        keys = sorted(row[0] for row in cursor.fetchall())
        columns = ", ".join(quote(c) for c in [pk.column, *(f.column for f in fields)])
        json_fields = {i for i, f in enumerate(fields) if isinstance(f, models.JSONField)}
        # plain fields: the attribute as it is (psycopg adapts it as Django would); the rest
        # (JSON, encrypted or other custom fields, auto_now…) through pre_save and the prep
        as_is = [_as_is(f) for f in fields]
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for obj, key in zip(objs, keys, strict=True):
                attrs = obj.__dict__
                values = [
                    attrs[f.attname]
                    if (check := as_is[i]) is not None
                    and f.attname in attrs
                    and check(attrs[f.attname])
                    else f.pre_save(obj, True)
                    if i in json_fields
                    else f.get_db_prep_save(f.pre_save(obj, True), db)
                    for i, f in enumerate(fields)
                ]
                for i in json_fields:
                    values[i] = (
                        None
                        if values[i] is None
                        else json.dumps(
                            values[i],
                            ensure_ascii=False,
                            cls=fields[i].encoder,  # type: ignore[attr-defined]
                        )
                    )
                copy.write_row([key, *values])
                setattr(obj, pk.attname, key)
                obj._state.adding = False
                obj._state.db = db.alias


def _text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _integer(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _boolean(value: Any) -> bool:
    return value is None or isinstance(value, bool)


def _aware(value: Any) -> bool:
    """A datetime Django stores unchanged (a naive one is made aware, with a warning)."""
    return value is None or (isinstance(value, dt.datetime) and value.tzinfo is not None)


#: fields (exact classes: a subclass, such as an encrypted field, is prepared by Django) whose
#: value, if of the type checked, psycopg's COPY writes as Django's preparation would
_AS_IS: dict[type, Any] = {
    models.CharField: _text,
    models.TextField: _text,
    models.SlugField: _text,
    models.IntegerField: _integer,
    models.BigIntegerField: _integer,
    models.SmallIntegerField: _integer,
    models.PositiveIntegerField: _integer,
    models.PositiveSmallIntegerField: _integer,
    models.PositiveBigIntegerField: _integer,
    models.BooleanField: _boolean,
    models.ForeignKey: _integer,
    models.OneToOneField: _integer,
    models.DateTimeField: _aware,
}


def _as_is(field: models.Field[Any, Any]) -> Any:
    """The check of a value that COPY may take as it is, or None: prepare it."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return None
    if isinstance(field, models.ForeignKey) and not isinstance(
        field.target_field, models.AutoField | models.BigAutoField | models.IntegerField
    ):
        return None
    return _AS_IS.get(type(field))


# --- rows given as tuples (a service that creates thousands of rows) -----------------------


class RowInserter:
    """Insert new rows of ``model`` given as tuples of the values of ``fields`` (attribute
    names such as ``"site_id"``, values as a model instance holds them: aware datetimes,
    dates, Decimals, dicts for JSON), and give back their primary keys in order: what
    :func:`insert_many` does without building a model instance per row (the instances cost
    more than the insert itself).

    The columns not named get their field's default, computed once (a callable default such
    as ``timezone.now`` gives every row of the call the same value; a unique column must be
    named). PostgreSQL: the keys are drawn from the table's sequence in one query, then
    ``COPY``; plain values go as they are, JSON as its text, anything else through the
    field's ``get_db_prep_save``. Other databases: every value through
    ``get_db_prep_save``, multi-row ``INSERT … RETURNING``. No signals are sent.

    :meth:`instances` builds, for listeners that need them (``audited_many``), instances
    of the rows written without running ``Model.__init__``."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        meta = model._meta
        pk = meta.pk
        assert pk is not None
        if not isinstance(pk, models.AutoField | models.BigAutoField):
            raise ValueError(f"{model.__name__}: RowInserter needs an automatic primary key")
        concrete = [f for f in meta.concrete_fields if f is not pk]
        by_attname = {f.attname: f for f in concrete}
        unknown = [name for name in fields if name not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__} has no column {unknown}")
        self.model = model
        self.pk = pk
        self.named = [by_attname[name] for name in fields]
        self.rest = [f for f in concrete if f.attname not in set(fields)]
        # the defaults as an instance holds them
        self.rest_python = tuple(_row_default(f) for f in self.rest)
        self.fields = [*self.named, *self.rest]
        self.attnames = [f.attname for f in self.fields]

    def write(self, rows: Sequence[Sequence[Any]], *, batch: int = 1000) -> list[int]:
        """Insert ``rows`` in the caller's transaction; returns their keys, in order."""
        if not rows:
            return []
        db = connections[connection.alias]
        rest = self.rest_python
        with transaction.atomic(using=db.alias, savepoint=False):
            if db.vendor == "postgresql":
                return self._copy(db, rows, rest)
            return self._insert(db, rows, rest, batch)

    def _copy(self, db: Any, rows: Sequence[Sequence[Any]], rest: tuple[Any, ...]) -> list[int]:
        quote = db.ops.quote_name
        table = self.model._meta.db_table
        preps = [_copy_prep(f, db) for f in self.fields]
        rest_db = tuple(
            p(v) if p else v for p, v in zip(preps[len(self.named) :], rest, strict=True)
        )
        named_preps = [(i, p) for i, p in enumerate(preps[: len(self.named)]) if p is not None]
        columns = ", ".join(quote(c) for c in [self.pk.column, *(f.column for f in self.fields)])
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, self.pk.column, len(rows)],
            )
            keys = sorted(row[0] for row in cursor.fetchall())
            with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                write = copy.write_row
                if named_preps:
                    for key, row in zip(keys, rows, strict=True):
                        values = list(row)
                        for i, prep in named_preps:
                            values[i] = prep(values[i])
                        write((key, *values, *rest_db))
                else:
                    for key, row in zip(keys, rows, strict=True):
                        write((key, *row, *rest_db))
        return keys

    def _insert(
        self, db: Any, rows: Sequence[Sequence[Any]], rest: tuple[Any, ...], batch: int
    ) -> list[int]:
        ops = db.ops
        fields = self.fields
        rest_db = tuple(f.get_db_prep_save(v, db) for f, v in zip(self.rest, rest, strict=True))
        named = self.named
        columns = ", ".join(ops.quote_name(f.column) for f in fields)
        table = ops.quote_name(self.model._meta.db_table)
        size = max(1, min(batch, INSERT_PARAMETERS // len(fields)))
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        keys: list[int] = []
        with db.cursor() as cursor:
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                params: list[Any] = []
                for row in chunk:
                    params.extend(
                        f.get_db_prep_save(v, db) for f, v in zip(named, row, strict=True)
                    )
                    params.extend(rest_db)
                keys.extend(
                    _insert_returning(
                        cursor, table, columns, one, self.pk.column, len(chunk), params
                    )
                )
        return keys

    def instances(self, rows: Sequence[Sequence[Any]], keys: Sequence[int]) -> list[models.Model]:
        """The rows written, as saved instances (every field set; no ``__init__``, no
        signal). Related objects are not cached: set ``obj._state.fields_cache`` if wanted."""
        model = self.model
        alias = connection.alias
        attnames = (self.pk.attname, *self.attnames)
        rest = self.rest_python
        new = model.__new__
        out: list[models.Model] = []
        for key, row in zip(keys, rows, strict=True):
            obj = new(model)
            state = ModelState()
            state.adding, state.db = False, alias
            obj._state = state
            obj.__dict__.update(zip(attnames, (key, *row, *rest), strict=True))
            out.append(obj)
        if post_init.has_listeners(model):  # as Model.__init__ ends (webhooks watch statuses)
            for obj in out:
                post_init.send(sender=model, instance=obj)
        return out


def unsaved(model: type[M], values: dict[str, Any], related: dict[str, Any]) -> M:
    """A new, unsaved instance of ``model``: what ``model(**kwargs)`` gives, for a service that
    builds thousands (``Model.__init__`` costs more per field than the insert). ``values`` by
    attribute name (``"unit_id"``), ``related`` the related objects given (cached, as the
    keyword would); every other field gets its default (a callable one called per instance).
    ``post_init`` is sent if anything listens; ``pre_init`` is not (nothing in Anxin does)."""
    obj = model.__new__(model)
    obj._state = ModelState()
    attrs = obj.__dict__
    for field in model._meta.concrete_fields:
        name = field.attname
        if name not in values:
            attrs[name] = field.get_default()
    attrs.update(values)
    if related:
        obj._state.fields_cache = dict(related)
    if post_init.has_listeners(model):
        post_init.send(sender=model, instance=obj)
    return obj


def _row_default(field: models.Field[Any, Any]) -> Any:
    """:func:`_default`, but a unique column that may be null and has no default is null
    (a unique column with a value must be named)."""
    if field.unique and field.null and not field.has_default():
        return None
    return _default(field)


def _copy_prep(field: models.Field[Any, Any], db: Any) -> Any:
    """How COPY takes a value of ``field``: None (as it is) or a function."""
    if isinstance(field, models.JSONField):
        # one encoder for the column (json.dumps with options builds one per value)
        encode = (field.encoder or json.JSONEncoder)(ensure_ascii=False).encode

        def as_json(value: Any) -> Any:
            return None if value is None else encode(value)

        return as_json
    if type(field) in _AS_IS or type(field) in _COPY_AS_IS:
        if isinstance(field, models.ForeignKey) and _as_is(field) is None:
            return lambda value: field.get_db_prep_save(value, db)
        return None
    return lambda value: field.get_db_prep_save(value, db)


#: further exact field classes whose Python value psycopg's COPY writes as Django would
_COPY_AS_IS: frozenset[type] = frozenset({models.DateField, models.UUIDField})
