"""Paging long lists in the database without counting them whole, keyset where the order allows.

A page reads `page_size + 1` rows: the extra row says whether a next page exists, so paging
itself never needs a COUNT. The total shown ("51–100 of 1,234") comes from a count that stops at
`COUNT_CAP` rows ("of more than 10,000"), or from a total the view already has: a bounded cost
however large the establishment.

Keyset: the next and previous links carry the sort key of the page's last or first row
(`after` / `before`), and the query continues from there with a range condition an index serves,
instead of an OFFSET that reads and drops every row before it. The links keep the list's filters
and a `page` number for the position shown; a bare `?page=N` (an old bookmark, a typed number)
still works by offset.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Field, Model, Q, QuerySet
from django.http import QueryDict

COUNT_CAP = 10_000
# From this offset on, a page's ids are read before its rows (see sliced_rows).
DEEP_OFFSET = 1_000
MAX_PAGE = 10**6

M = TypeVar("M", bound=Model)


@dataclass(frozen=True, slots=True)
class Key:
    """One column of the list's order; the last one must make the order total (the pk)."""

    field: str
    descending: bool = False


@dataclass(slots=True)
class KeysetPage(Generic[M]):
    object_list: list[M]
    number: int
    page_size: int
    has_next: bool
    has_previous: bool
    next_query: str
    previous_query: str
    total: int
    total_capped: bool
    # Read by includes/pagination.html to tell this page from a Django Paginator's.
    keyset: bool = True

    def __iter__(self) -> Iterator[M]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.object_list)


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """The number of rows, counting at most `cap + 1` of them: (count, True when more)."""
    counted = queryset.order_by()[: cap + 1].count()
    return (cap, True) if counted > cap else (counted, False)


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    # default=str: UUID keys (an import's id) travel as their text, which to_python reads back.
    raw = json.dumps(plain, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sliced_rows(queryset: QuerySet[M], start: int, stop: int) -> list[M]:
    """`list(queryset[start:stop])`, reading a deep page's ids before its rows.

    An OFFSET makes the database build every skipped row, joins included; asking for the ids
    alone lets it walk the ordering index and drop only index entries, then the page's rows are
    read by primary key (API assets page 200 of 200 at 50,000 assets on PostgreSQL: 157 -> 37 ms,
    docs/performance.md). First pages, and querysets whose rows are not one per object
    (DISTINCT, GROUP BY), are read directly.
    """
    query = queryset.query
    if start < DEEP_OFFSET or query.distinct or query.group_by is not None:
        return list(queryset[start:stop])
    ids = list(queryset.values_list("pk", flat=True)[start:stop])
    by_id = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    return [by_id[pk] for pk in ids if pk in by_id]


def _decode(model: type[Model], keys: Sequence[Key], cursor: str) -> list[Any] | None:
    """The cursor's values as the fields' Python values, or None for anything malformed."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    out = []
    for key, value in zip(keys, values, strict=True):
        try:
            field = model._meta.get_field(model._meta.pk.name if key.field == "pk" else key.field)
            if not isinstance(field, Field):
                return None
            out.append(field.to_python(value))
        except (FieldDoesNotExist, ValidationError, TypeError):
            return None
    return out


def _beyond(keys: Sequence[Key], values: list[Any], forward: bool) -> Q:
    """Rows strictly after (forward) or before the cursor in the list's order.

    Written `k1 >= v1 AND (k1 > v1 OR (k1 = v1 AND k2 > v2) ...)`: the leading range on the first
    column is what lets the database start the index scan at the cursor.
    """

    def op(key: Key) -> str:
        return "gt" if forward != key.descending else "lt"

    first = keys[0]
    condition = Q()
    for n in range(len(keys) - 1, -1, -1):
        step = Q(**{f"{keys[n].field}__{op(keys[n])}": values[n]})
        equal = Q(**{keys[m].field: values[m] for m in range(n)})
        condition = (equal & step) | condition if n < len(keys) - 1 else equal & step
    leading = "gte" if op(first) == "gt" else "lte"
    return Q(**{f"{first.field}__{leading}": values[0]}) & condition


def _order(keys: Sequence[Key], forward: bool) -> list[str]:
    return [("-" if key.descending == forward else "") + key.field for key in keys]


def _page_number(params: QueryDict) -> int:
    try:
        number = int(params.get("page", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def _query(params: QueryDict, **changes: str) -> str:
    query = params.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


def keyset_page(
    queryset: QuerySet[M],
    params: QueryDict,
    keys: Sequence[Key],
    *,
    page_size: int = 50,
    total: int | None = None,
) -> KeysetPage[M]:
    """The page that `params` asks for (`after`, `before` or `page`), with its links.

    `total`, when the view already knows it (the establishment's asset count of its header),
    spares the capped count.
    """
    model = queryset.model
    number = _page_number(params)
    after_cursor, before_cursor = str(params.get("after", "")), str(params.get("before", ""))
    after = _decode(model, keys, after_cursor) if after_cursor else None
    before = _decode(model, keys, before_cursor) if before_cursor and not after else None
    if before is not None:
        rows = list(
            queryset.filter(_beyond(keys, before, forward=False)).order_by(*_order(keys, False))[
                : page_size + 1
            ]
        )
        has_previous = len(rows) > page_size
        rows = rows[:page_size][::-1]
        has_next = True
        if not has_previous:
            number = 1
    else:
        ordered = queryset.order_by(*_order(keys, True))
        if after is not None:
            rows = list(ordered.filter(_beyond(keys, after, forward=True))[: page_size + 1])
            has_previous = True
        else:
            offset = (number - 1) * page_size
            rows = sliced_rows(ordered, offset, offset + page_size + 1)
            if not rows and number > 1:
                # Past the end (a stale bookmark): the first page rather than an empty one.
                number = 1
                rows = list(ordered[: page_size + 1])
            has_previous = number > 1
        has_next = len(rows) > page_size
        rows = rows[:page_size]
        number = max(number, 2) if after is not None else number
    counted, capped = (total, False) if total is not None else capped_count(queryset)

    def cursor(row: M) -> str:
        return _encode([getattr(row, "pk" if k.field == "pk" else k.field) for k in keys])

    return KeysetPage(
        object_list=rows,
        number=number,
        page_size=page_size,
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
        next_query=_query(params, after=cursor(rows[-1]), page=str(number + 1)) if rows else "",
        previous_query=(
            _query(params, before=cursor(rows[0]), page=str(number - 1))
            if rows and number > 2
            else _query(params)
        ),
        total=counted,
        total_capped=capped,
    )


class ConvertedRows:
    """A queryset for django-ninja's page pagination that converts only the page's rows.

    The paginator counts the plain queryset (no join, no aggregate) and slices it; `convert`
    then turns the page's objects into output rows, with whatever per-page queries it needs
    (counts of a relation for the page's ids instead of an aggregate over the whole list).
    """

    def __init__(
        self, queryset: QuerySet[Any], convert: Callable[[list[Any]], list[dict[str, Any]]]
    ) -> None:
        self.queryset = queryset
        self.convert = convert

    def all(self) -> ConvertedRows:
        return self

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start, stop = window.start or 0, window.stop
        if stop is None or window.step is not None:
            return self.convert(list(self.queryset[window]))
        return self.convert(sliced_rows(self.queryset, start, stop))
