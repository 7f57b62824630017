"""Small-count suppression: nothing below the threshold, nothing recoverable by subtraction."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import pytest

from vigie.engines.incidents.suppression import Key, published_total, suppress, suppress_series


def leaks(table: Mapping[Key, int], result: Mapping[Key, int | None], dim: int) -> bool:
    """Whether a total along `dim` plus the published cells gives a hidden cell back."""
    groups: dict[tuple[str, ...], list[Key]] = {}
    for key in table:
        groups.setdefault(key[:dim] + key[dim + 1 :], []).append(key)
    for members in groups.values():
        hidden = [key for key in members if result[key] is None]
        if len(hidden) == 1 and sum(table[key] for key in members) >= 5:
            return True
    return False


# Primary suppression


def test_a_count_of_4_is_hidden_and_5_is_shown() -> None:
    result = suppress({("a",): 4, ("b",): 5})
    assert result == {("a",): None, ("b",): 5}


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_every_count_below_the_threshold_is_hidden(count: int) -> None:
    assert suppress({("a",): count}) == {("a",): None}


def test_zeros_are_kept_because_an_absence_reveals_nobody() -> None:
    assert suppress({("a",): 0, ("b",): 12}) == {("a",): 0, ("b",): 12}


def test_the_threshold_can_be_raised() -> None:
    assert suppress({("a",): 9, ("b",): 10}, threshold=10) == {("a",): None, ("b",): 10}


def test_a_threshold_of_one_hides_nothing() -> None:
    assert suppress({("a",): 1, ("b",): 0}, threshold=1) == {("a",): 1, ("b",): 0}


def test_an_empty_table_stays_empty() -> None:
    assert suppress({}, margins=()) == {}


# Complementary suppression


def test_a_series_with_a_published_total_hides_a_second_cell() -> None:
    counts = {"north": 3, "south": 20, "east": 8, "west": 0}
    result = suppress_series(counts)
    # Total 31 - 20 - 0 would give north's 3 back: east, the smallest non-zero, goes too.
    assert result == {"north": None, "south": 20, "east": None, "west": 0}


def test_a_series_without_a_published_total_hides_only_small_counts() -> None:
    counts = {"north": 3, "south": 20, "east": 8}
    assert suppress_series(counts, with_total=False) == {"north": None, "south": 20, "east": 8}


def test_two_small_counts_protect_each_other() -> None:
    counts = {"north": 3, "south": 20, "east": 2}
    assert suppress_series(counts) == {"north": None, "south": 20, "east": None}


def test_a_lone_small_count_among_zeros_is_left_to_the_total_suppression() -> None:
    counts = {"north": 3, "south": 0, "east": 0}
    assert suppress_series(counts) == {"north": None, "south": 0, "east": 0}
    assert published_total(counts) is None


def test_the_smallest_remaining_cell_goes_and_ties_break_by_key() -> None:
    counts = {"d": 2, "c": 7, "b": 7, "a": 9}
    assert suppress_series(counts) == {"d": None, "c": 7, "b": None, "a": 9}


def test_a_two_way_table_with_row_totals_would_not_leak_by_subtraction() -> None:
    table = {
        ("paris", "ransomware"): 2,
        ("paris", "phishing"): 14,
        ("paris", "ddos"): 6,
        ("lyon", "ransomware"): 11,
        ("lyon", "phishing"): 9,
        ("lyon", "ddos"): 30,
    }
    result = suppress(table, margins=(1,))
    assert result[("paris", "ransomware")] is None
    assert result[("paris", "ddos")] is None  # the smallest other cell of Paris' row
    assert result[("lyon", "ransomware")] == 11
    assert not leaks(table, result, 1)


TABLE = {
    ("paris", "ransomware"): 2,
    ("paris", "phishing"): 14,
    ("paris", "ddos"): 6,
    ("lyon", "ransomware"): 11,
    ("lyon", "phishing"): 9,
    ("lyon", "ddos"): 30,
}


def test_a_two_way_table_with_both_totals_is_suppressed_until_stable() -> None:
    result = suppress(TABLE, margins=(1, 0))
    # Paris' row hides ddos (its smallest other cell); the ransomware and ddos columns then
    # hold one hidden cell each, so Lyon's go too; Lyon's row then holds two: stable.
    assert result == {
        ("paris", "ransomware"): None,
        ("paris", "phishing"): 14,
        ("paris", "ddos"): None,
        ("lyon", "ransomware"): None,
        ("lyon", "phishing"): 9,
        ("lyon", "ddos"): None,
    }
    assert not leaks(TABLE, result, 0)
    assert not leaks(TABLE, result, 1)


def test_the_order_of_margins_can_cost_more_cells_but_never_leaks() -> None:
    result = suppress(TABLE, margins=(0, 1))
    # Columns first: Lyon's ransomware goes, then each row has one hidden cell and loses its
    # smallest other, and the columns cascade: the whole table is hidden.
    assert set(result.values()) == {None}
    assert not leaks(TABLE, result, 0)
    assert not leaks(TABLE, result, 1)


def test_a_large_complement_alone_among_zeros_takes_a_zero_with_it() -> None:
    table = {("a", "x"): 2, ("a", "y"): 40, ("b", "x"): 0, ("b", "y"): 0, ("c", "x"): 8}
    table |= {("c", "y"): 0}
    result = suppress(table, margins=(1, 0))
    # Row a hides y=40 to protect x=2; column y then holds 40 alone among zeros, and its
    # total (40) would give it back: a zero of column y is hidden too.
    assert result[("a", "x")] is None
    assert result[("a", "y")] is None
    assert result[("b", "y")] is None  # the first zero of column y in key order
    assert result[("b", "x")] == 0  # row b's total is 0: nothing to protect there
    assert not leaks(table, result, 0)
    assert not leaks(table, result, 1)


def test_margins_only_apply_along_the_dimensions_named() -> None:
    table = {("a", "x"): 2, ("a", "y"): 10, ("b", "x"): 10, ("b", "y"): 10}
    by_rows = suppress(table, margins=(1,))
    assert by_rows[("a", "y")] is None
    assert by_rows[("b", "x")] == 10
    by_columns = suppress(table, margins=(0,))
    assert by_columns[("b", "x")] is None
    assert by_columns[("a", "y")] == 10


def test_a_random_looking_three_way_table_never_leaks_along_any_published_margin() -> None:
    regions, categories, sizes = ("n", "s", "e"), ("r", "p", "d", "o"), ("small", "large")
    counts = itertools.cycle([0, 3, 12, 7, 1, 25, 5, 4, 0, 9, 2, 40, 6])
    table = {key: next(counts) for key in itertools.product(regions, categories, sizes)}
    result = suppress(table, margins=(0, 1, 2))
    for key, count in table.items():
        if 0 < count < 5:
            assert result[key] is None
        if count == 0:
            assert result[key] in (0, None)  # a zero is hidden only as a complement
        if count >= 5 and result[key] is not None:
            assert result[key] == count
    for dim in (0, 1, 2):
        assert not leaks(table, result, dim)


def test_suppressing_again_changes_nothing() -> None:
    table = {("a", "x"): 2, ("a", "y"): 10, ("b", "x"): 10, ("b", "y"): 10, ("b", "z"): 0}
    once = suppress(table, margins=(0, 1))
    # Hidden cells read back as below the threshold; the published ones stay as they are.
    again = suppress(
        {key: 1 if value is None else value for key, value in once.items()}, margins=(0, 1)
    )
    assert again == once
    assert suppress(table, margins=(0, 1)) == once


def test_suppress_series_is_idempotent() -> None:
    counts = {"a": 3, "b": 8, "c": 20, "d": 0}
    once = suppress_series(counts)
    again = suppress_series({k: 1 if v is None else v for k, v in once.items()})
    assert again == once


# Refusals


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        suppress({("a",): -1})


def test_a_threshold_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        suppress({("a",): 1}, threshold=0)


def test_keys_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same number"):
        suppress({("a",): 1, ("a", "b"): 2})


def test_a_margin_outside_the_table_is_refused() -> None:
    with pytest.raises(ValueError, match="margin"):
        suppress({("a", "x"): 1}, margins=(2,))


# Totals


def test_a_total_below_the_threshold_is_hidden() -> None:
    assert published_total({"a": 1, "b": 3}) is None


def test_a_total_at_the_threshold_is_shown() -> None:
    assert published_total({"a": 2, "b": 3}) == 5


def test_a_zero_total_is_shown_as_zero() -> None:
    assert published_total({"a": 0, "b": 0}) == 0
    assert published_total({}) == 0


def test_a_total_accepts_plain_counts_and_its_own_threshold() -> None:
    assert published_total([4, 4], threshold=10) is None
    assert published_total(iter([4, 6]), threshold=10) == 10


def test_a_total_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        published_total([3, -1])
