"""Plain lists (docs INTERFACES, "Indicators"): one value per line, the type inferred.

What real lists bring, and what we do:

* `#` comment lines and blank lines are skipped; an inline ` # comment` after a value (a space
  or tab, then `#`) is dropped, while a `#` inside a URL (its fragment) is kept.
* ipsum writes `address<TAB>count`: only the first whitespace-separated field is the value.
* maltrail writes `address:port` (`[v6 address]:port`) for C2 endpoints: the address is the
  indicator (the sensor matches addresses; the port would only hide a match when the C2 moves
  port).
* maltrail's scheme-less URL trails (`host/path`) are URLs with `http://`, the only scheme a
  log shows a path for.
"""

from __future__ import annotations

from vigie.engines.indicators.model import (
    IndicatorProblemError,
    IndicatorRecord,
    IndicatorType,
    Problem,
    ProblemLog,
    ReadResult,
)
from vigie.engines.indicators.normalise import (
    CANONICAL_DOMAIN,
    CANONICAL_IPV4,
    infer_and_normalise,
)
from vigie.engines.indicators.text import decode_text

__all__ = ["read_plain", "read_plain_text"]


def read_plain(data: bytes) -> ReadResult:
    text = decode_text(data)
    if text is None:
        return ReadResult("plain", problems=[Problem("not_text", {})])
    return read_plain_text(text)


def read_plain_text(text: str) -> ReadResult:
    """The same, from text already decoded (read_indicator_file decodes once)."""
    result = ReadResult("plain")
    if not text.strip():
        result.problems.append(Problem("empty_file", {}))
        return result
    log = ProblemLog()
    records = result.records
    append = records.append
    ipv4_match = CANONICAL_IPV4.fullmatch
    domain_match = CANONICAL_DOMAIN.fullmatch
    ipv4, domain = IndicatorType.IPV4, IndicatorType.DOMAIN
    read = 0
    # Hot loop: a million lines must read in seconds, so the canonical IPv4 and domain cases
    # are tested inline before any function call.
    for number, raw in enumerate(text.split("\n"), start=1):
        value = raw.strip()
        if not value or value[0] == "#":
            continue
        read += 1
        if " " in value or "\t" in value:
            value = value.split(None, 1)[0]
        if ipv4_match(value):
            append(
                IndicatorRecord(
                    ipv4, value, None, None, (), None, None, None, None, None, number, None
                )
            )
            continue
        if "." in value and domain_match(value):
            append(
                IndicatorRecord(
                    domain, value, None, None, (), None, None, None, None, None, number, None
                )
            )
            continue
        if value.count(":") == 1:
            host, _, port = value.partition(":")
            if port.isdigit() and ipv4_match(host):
                append(
                    IndicatorRecord(
                        ipv4, host, None, None, (), None, None, None, None, None, number, None
                    )
                )
                continue
        if value[0] == "[" and "]:" in value:
            host, _, port = value[1:].partition("]:")
            if port.isdigit():
                value = host  # "[2001:db8::1]:443": the address, as for IPv4 above
        try:
            type_, canonical = infer_and_normalise(value)
        except IndicatorProblemError as error:
            log.add(error.code, error.params, line=number)
            continue
        append(
            IndicatorRecord(
                type_, canonical, None, None, (), None, None, None, None, None, number, None
            )
        )
    result.objects_read = read
    result.problems = log.finish()
    return result
