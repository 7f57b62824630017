"""Small-count suppression for the anonymised observatory.

The observatory publishes counts of incidents by region, category, size of establishment...
A small count can single out one establishment, and through it the people concerned: GDPR
recital 26 and art. 89(1) ask that statistics no longer allow identification, and the CNIL
and INSEE practice of statistical secrecy hides cells below a threshold (primary suppression)
and enough others that a published total cannot give a hidden cell back by subtraction
(complementary suppression).

Choice: a zero stays 0. The absence of incidents reveals nobody, and hiding zeros would blank
most of a sparse table for no protection. A hidden cell is None.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

DEFAULT_THRESHOLD = 5

# Generic so that a table typed with fixed-width keys (tuple[str, str]) keeps its key type:
# Mapping is invariant in its keys, and a plain tuple[str, ...] would refuse such a table.
Key = TypeVar("Key", bound=tuple[str, ...])


def _check(counts: Iterable[int], threshold: int) -> None:
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if any(count < 0 for count in counts):
        raise ValueError("counts must not be negative")


def _hidden(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def suppress(
    table: Mapping[Key, int],
    threshold: int = DEFAULT_THRESHOLD,
    margins: Sequence[int] = (),
) -> dict[Key, int | None]:
    """Hide the cells that could identify someone.

    Primary: every cell with 0 < count < threshold becomes None. Complementary: for each
    dimension index in `margins` (a total is published along that dimension), within each
    group of cells that share the other key parts, when exactly one cell is hidden the
    smallest remaining non-zero cell of the group is hidden too (ties: the first key in sort
    order, so the result is reproducible); repeated until nothing changes, since hiding a cell
    for one margin can leave a lone hidden cell in a group of another. Margins are worked in
    the order given, which can change how many cells go (greedy, not minimal).

    A group whose only non-zero cell is hidden: when that cell is a small count the group's
    total is small too and `published_total` hides it, so the zeros stay; when it is a large
    complement, the total would give it back, so a zero of the group is hidden with it (the
    one case where a zero is not published). A group of a single cell cannot protect itself:
    publish no total over it."""
    _check(table.values(), threshold)
    width = {len(key) for key in table}
    if len(width) > 1:
        raise ValueError("every key must have the same number of parts")
    parts = width.pop() if width else 0
    for dimension in margins:
        if not 0 <= dimension < parts:
            raise ValueError(f"margin {dimension} is not a dimension of the table")
    hidden = {key for key, count in table.items() if _hidden(count, threshold)}
    changed = True
    while changed:
        changed = False
        for dimension in margins:
            groups: dict[tuple[str, ...], list[Key]] = defaultdict(list)
            for key in table:
                groups[key[:dimension] + key[dimension + 1 :]].append(key)
            for rest in sorted(groups):
                members = groups[rest]
                if sum(key in hidden for key in members) != 1:
                    continue
                shown = [key for key in members if key not in hidden]
                candidates = sorted((table[key], key) for key in shown if table[key] > 0)
                if not candidates and sum(table[key] for key in members) >= threshold:
                    # The lone hidden cell is a large complement among zeros: the published
                    # total would give it back, so a zero has to go instead.
                    candidates = sorted((table[key], key) for key in shown)
                if candidates:
                    hidden.add(candidates[0][1])
                    changed = True
    return {key: None if key in hidden else count for key, count in table.items()}


def suppress_series(
    counts: Mapping[str, int], threshold: int = DEFAULT_THRESHOLD, with_total: bool = True
) -> dict[str, int | None]:
    """`suppress` for a one-dimension breakdown; `with_total` when the series' total is
    published, so the complementary rule applies across the whole series."""
    table = {(name,): count for name, count in counts.items()}
    result = suppress(table, threshold, margins=(0,) if with_total else ())
    return {key[0]: value for key, value in result.items()}


def published_total(
    counts: Mapping[Any, int] | Iterable[int], threshold: int = DEFAULT_THRESHOLD
) -> int | None:
    """The total of raw counts (a mapping's values, or the counts themselves), None when it
    is itself a small count (0 < total < threshold); 0 stays 0, as for cells."""
    values = list(counts.values() if isinstance(counts, Mapping) else counts)
    _check(values, threshold)
    total = sum(values)
    return None if _hidden(total, threshold) else total
