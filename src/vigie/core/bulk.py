"""Updating many rows fast, on SQLite and PostgreSQL alike.

Django's `bulk_update` builds one `CASE WHEN pk = … THEN …` expression per row and field; on a
32,000-record feed that was 75 % of the import time (200 s of 280 s under the profiler), and on
a 5,000-component SBOM most of the commit. Here the ORM compiles one ordinary
`UPDATE … SET … WHERE pk = %s` per shape of row (which fields are NULL: the ORM writes NULL
inline), and the database driver runs it for every row with `executemany` (psycopg pipelines
it, sqlite3 loops in C). Values go through each field's `get_db_prep_save`, as the ORM's own
UPDATE does, and `pre_save` applies `auto_now`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model, Q
from django.db.models.sql import UpdateQuery


def update_rows(model: type[Model], objects: Iterable[Model], fields: Sequence[str]) -> int:
    """UPDATE `fields` of each saved object, by primary key; returns the number of objects."""
    rows = list(objects)
    if not rows:
        return 0
    using = router.db_for_write(model)
    connection = connections[using]
    columns = [_concrete_field(model, name) for name in fields]
    by_shape: dict[tuple[bool, ...], list[tuple[list[Any], Any]]] = defaultdict(list)
    for row in rows:
        values = [field.pre_save(row, add=False) for field in columns]
        by_shape[tuple(v is None for v in values)].append((values, row.pk))
    with connection.cursor() as cursor:
        for shape, members in by_shape.items():
            first_values, first_pk = members[0]
            query = UpdateQuery(model)
            query.add_update_fields(
                [(field, None, value) for field, value in zip(columns, first_values, strict=True)]
            )
            query.add_q(Q(pk=first_pk))
            sql, sample = query.get_compiler(using).as_sql()
            params = [_params(columns, shape, values, pk, connection) for values, pk in members]
            # The compiled statement must take exactly the parameters computed here, in this
            # order; otherwise (a field type that inlines its value) update row by row.
            if len(sample) == len(params[0]) and all(map(_same, sample, params[0])):
                cursor.executemany(sql, params)
            else:
                for values, pk in members:
                    model._default_manager.using(using).filter(pk=pk).update(
                        **{field.name: value for field, value in zip(columns, values, strict=True)}
                    )
    return len(rows)


def _concrete_field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _same(compiled: Any, computed: Any) -> bool:
    # psycopg's Jsonb wrappers compare by identity; what they wrap is what matters.
    if type(compiled) is not type(computed):
        return False
    if compiled == computed:
        return True
    return bool(getattr(compiled, "obj", compiled) == getattr(computed, "obj", computed))


def _params(
    columns: Sequence[Field[Any, Any]],
    shape: tuple[bool, ...],
    values: Sequence[Any],
    pk: Any,
    connection: Any,
) -> list[Any]:
    params = [
        field.get_db_prep_save(value, connection)
        for field, value, is_null in zip(columns, values, shape, strict=True)
        if not is_null
    ]
    params.append(pk)
    return params
