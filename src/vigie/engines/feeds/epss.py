"""FIRST EPSS scores -> EpssScore.

The daily file (`epss_scores-YYYY-MM-DD.csv.gz`) starts with a comment line
`#model_version:v2025.03.14,score_date:2025-06-01T00:00:00+0000`, then the header
`cve,epss,percentile`, then ~300k rows. Rows are split by hand instead of through `csv`: the
format has no quoting, and splitting is twice as fast on the hot path (see docs/notes/feeds.md).
JSON lists of `{cve, epss, percentile}` objects (API answers, vunnel records) are read too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from vigie.engines.feeds.common import CVE_ID, Problems
from vigie.engines.records import EpssScore

HEADER = ("cve", "epss", "percentile")
_match_cve = CVE_ID.match


def parse_comment(line: str) -> dict[str, str]:
    """`#model_version:v2023.03.01,score_date:2023-03-05T00:00:00+0000` -> its key/values."""
    found: dict[str, str] = {}
    for part in line.lstrip("#").strip().split(","):
        key, sep, value = part.partition(":")
        if sep:
            found["epss_" + key.strip()] = value.strip()
    return found


def iter_epss_csv(
    lines: Iterable[str], problems: Problems, meta: dict[str, str] | None = None
) -> Iterator[EpssScore]:
    """Scores of an EPSS CSV; comment lines fill `meta` (model_version, score_date)."""
    columns: tuple[int, int, int] | None = None
    width = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if meta is not None:
                meta.update(parse_comment(line))
            continue
        cells = line.split(",")
        if columns is None:
            names = [c.strip().lower() for c in cells]
            if not all(h in names for h in HEADER):
                problems.add("EPSS header must name the columns cve, epss, percentile", line=number)
                return
            columns = (names.index("cve"), names.index("epss"), names.index("percentile"))
            width = len(names)
            continue
        if len(cells) != width:
            problems.add(f"expected {width} columns, found {len(cells)}", line=number)
            continue
        cve, epss, percentile = cells[columns[0]], cells[columns[1]], cells[columns[2]]
        try:
            # Fast path for the ~300k good rows; anything odd goes through _score for a
            # precise message.
            probability, rank = float(epss), float(percentile)
            good = 0.0 <= probability <= 1.0 and 0.0 <= rank <= 1.0 and _match_cve(cve)
        except ValueError:
            good = False
        if good:
            yield EpssScore(cve=cve, epss=probability, percentile=rank)
            continue
        score = _score(cve.strip(), epss, percentile, problems, number, HEADER)
        if score is not None:
            yield score
    if columns is None:
        problems.add("no EPSS header line (cve,epss,percentile)")


def epss_from_object(item: dict[str, Any], where: str, problems: Problems) -> EpssScore | None:
    """One `{cve, epss, percentile}` object (numbers or numeric strings)."""
    return _score(
        str(item.get("cve", "")).strip(),
        item.get("epss"),
        item.get("percentile"),
        problems,
        None,
        (f"{where}/cve", f"{where}/epss", f"{where}/percentile"),
    )


def _score(
    cve: str,
    epss: object,
    percentile: object,
    problems: Problems,
    line: int | None,
    fields: tuple[str, str, str],
) -> EpssScore | None:
    if not CVE_ID.match(cve):
        problems.add(f"not a CVE id: {cve!r}", line=line, field=fields[0])
        return None
    probability = _unit(epss, problems, line, fields[1], cve)
    rank = _unit(percentile, problems, line, fields[2], cve)
    if probability is None or rank is None:
        return None
    return EpssScore(cve=cve, epss=probability, percentile=rank)


def _unit(
    value: object, problems: Problems, line: int | None, field: str, cve: str
) -> float | None:
    """A number in [0, 1]; NaN and out-of-range values are errors."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(f"expected a number, found {value!r}", line=line, field=field, record=cve)
        return None
    try:
        number = float(value)
    except ValueError:
        problems.add(f"not a number: {value!r}", line=line, field=field, record=cve)
        return None
    if not 0.0 <= number <= 1.0:  # also rejects NaN
        problems.add(
            f"must lie between 0 and 1, found {value!r}", line=line, field=field, record=cve
        )
        return None
    return number
