"""CPE names: parsing (CPE 2.3 formatted strings, CPE 2.2 URIs) and NISTIR 7696 name matching.

A parsed name is a `Cpe`, a named tuple of the eleven WFN attributes (NISTIR 7695 §5). Each
attribute value is one of:

* `ANY` — the logical value ANY, bound as `*`;
* `NA` — the logical value NA ("not applicable"), bound as `-`;
* a `str` — a literal value, *unquoted* and lower-cased (`joomla\\!` is stored as `joomla!`,
  `privilege_management_for_unix\\/linux` as `privilege_management_for_unix/linux`), so two
  literals are equal exactly when their strings are equal;
* a `Wildcard` — a value with unquoted `*` / `?` at its start or end (`events_calendar*`).

Parsing is by hand, not with the `cpe` package: a million inventory names are parsed per batch
and a name without a backslash takes one `str.split` (the fast path); names with quoting go
through a character scanner. Both paths give the same result (tests cross-check them on real
dictionary names).

Strictness. Rejected with `CpeError` (a `ValueError`) naming the problem: a prefix other than
`cpe:2.3:` / `cpe:/`, a wrong number of components (an unquoted `:` inside a value, as in
`soap::lite`), an empty value, a part other than `a`/`o`/`h`/`*`, whitespace or control
characters, a backslash ending a value, an unquoted `*` inside a value or `*`/`?` mixed at one
end. Tolerated (NVD's own dictionary contains them): unquoted punctuation other than `:`, `\\`,
`*` and `?` inside a value (`@remix-run/deno@1.10.0`) is read as that literal character, and a
quoted letter or digit (`\\t`) as that character. Upper case is folded (matching is
case-insensitive per NISTIR 7696 §6.1).

Matching follows NISTIR 7696 §6: `compare_attribute(source, target)` gives one of the relations
SUPERSET, SUBSET, EQUAL, DISJOINT, UNDEFINED (Table 6-2) and `name_superset(source, target)`
is the CPE_SUPERSET name test (every attribute SUPERSET or EQUAL). The NVD matcher builds its
relaxed "version unknown" rules on top of these (see nvd_match.py).
"""

from __future__ import annotations

import re
import sys
from enum import Enum
from typing import NamedTuple

__all__ = [
    "ANY",
    "ATTRIBUTES",
    "NA",
    "Cpe",
    "CpeError",
    "Logical",
    "Relation",
    "Value",
    "Wildcard",
    "compare_attribute",
    "compare_names",
    "format_cpe",
    "name_superset",
    "parse_cpe",
]


class CpeError(ValueError):
    """A string that is not a valid CPE name; the message says what is wrong and where."""


class Logical:
    """A CPE logical value (ANY or NA). Two singletons exist; compare them with `is`."""

    __slots__ = ("bound", "name")

    def __init__(self, name: str, bound: str) -> None:
        self.name = name
        self.bound = bound

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        # Pickling keeps the singletons singletons (matches are computed in worker processes).
        return self.name


ANY = Logical("ANY", "*")
NA = Logical("NA", "-")


class Wildcard:
    """A value with unquoted wildcards at its start and/or end (NISTIR 7695 §5.3.2).

    `text` is the value as a formatted string binds it (canonical quoting); `regex`
    matches the unquoted lower-case literal values it covers. Following the NISTIR 7696
    reference `compareStrings`, a run of n `?` at an end matches zero to n characters and a `*`
    any number.
    """

    __slots__ = ("regex", "text")

    def __init__(self, text: str, regex: re.Pattern[str]) -> None:
        self.text = text
        self.regex = regex

    def matches(self, literal: str) -> bool:
        return self.regex.fullmatch(literal) is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Wildcard) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Wildcard({self.text!r})"


Value = str | Logical | Wildcard

ATTRIBUTES: tuple[str, ...] = (
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)


class Cpe(NamedTuple):
    """A CPE name as its eleven WFN attribute values (see the module docstring for values)."""

    part: Value
    vendor: Value
    product: Value
    version: Value
    update: Value
    edition: Value
    language: Value
    sw_edition: Value
    target_sw: Value
    target_hw: Value
    other: Value

    def __str__(self) -> str:
        return format_cpe(self)


class Relation(Enum):
    """NISTIR 7696 attribute comparison results (§6.1.2, Table 6-2)."""

    SUPERSET = "superset"
    SUBSET = "subset"
    EQUAL = "equal"
    DISJOINT = "disjoint"
    UNDEFINED = "undefined"


_PREFIX_23 = "cpe:2.3:"
_PREFIX_22 = "cpe:/"
_PARTS = frozenset({"a", "o", "h"})
_LOGICAL: dict[str, Value] = {"*": ANY, "-": NA}
_LOGICAL_GET = _LOGICAL.get
# Characters that need no quoting in a formatted string (NISTIR 7695 §6.2.2.1 `unreserved`).
_FS_UNRESERVED = re.compile(r"[a-z0-9_.\-]")


def parse_cpe(s: str) -> Cpe:
    """Parse a CPE 2.3 formatted string or a CPE 2.2 URI; raise `CpeError` if it is invalid."""
    if s.startswith(_PREFIX_23):
        if "\\" not in s:
            return _parse_fs_plain(s)
        return _parse_fs_quoted(s)
    if s.startswith(_PREFIX_22):
        return _parse_uri(s)
    lowered = s[:8].lower()
    if lowered.startswith(_PREFIX_23):
        return parse_cpe(_PREFIX_23 + s[8:])
    if lowered.startswith(_PREFIX_22):
        return parse_cpe(_PREFIX_22 + s[5:])
    raise CpeError(f"not a CPE name (expected 'cpe:2.3:' or 'cpe:/'): {s[:80]!r}")


# --------------------------------------------------------------------------- formatted strings


def _parse_fs_plain(s: str) -> Cpe:
    """Fast path: a formatted string without any backslash, so every `:` separates."""
    low = s.lower()
    fields = low.split(":")
    if len(fields) != 13:
        raise CpeError(
            f"CPE 2.3 name must have 11 components after 'cpe:2.3:', found {len(fields) - 2}"
            f" (an unquoted ':' inside a value?): {s!r}"
        )
    if " " in s or not s.isprintable():
        raise CpeError(f"CPE name contains whitespace or control characters: {s!r}")
    del fields[:2]
    if "" in fields:
        attribute = ATTRIBUTES[fields.index("")]
        raise CpeError(f"empty {attribute} in CPE name {s!r} (use '*' for ANY)")
    values: list[Value] = list(map(_LOGICAL_GET, fields, fields))  # `*`, `-` -> ANY, NA
    # Wildcards other than the lone `*` of ANY: rare, so tested once on the whole string.
    if "?" in low or low.count("*") > fields.count("*"):
        for i, v in enumerate(fields):
            if v != "*" and ("*" in v or "?" in v):
                values[i] = _wildcard([(False, c) for c in v], v, ATTRIBUTES[i], s)
        return _finish(values, s)
    part = values[0]
    if part not in _PARTS and part is not ANY:
        raise CpeError(f"CPE part must be 'a', 'o', 'h' or '*', not {_show(part)!r}: {s!r}")
    # Inlined _finish: this is the hot path. No wildcard here, so vendor/product are str or
    # logical values, and sys.intern accepts only str.
    vendor = values[1]
    if vendor.__class__ is str:
        values[1] = sys.intern(fields[1])
    if values[2].__class__ is str:
        values[2] = sys.intern(fields[2])
    return tuple.__new__(Cpe, values)


def _parse_fs_quoted(s: str) -> Cpe:
    """Slow path: scan characters, honouring `\\` quoting (a quoted `:` does not separate)."""
    raw: list[str] = []
    current: list[str] = []
    i = len(_PREFIX_23)
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            if i + 1 >= n:
                raise CpeError(f"CPE name ends with a lone backslash: {s!r}")
            current.append(s[i : i + 2])
            i += 2
            continue
        if c == ":":
            raw.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    raw.append("".join(current))
    if len(raw) != 11:
        raise CpeError(
            f"CPE 2.3 name must have 11 components after 'cpe:2.3:', found {len(raw)}: {s!r}"
        )
    if " " in s or not s.isprintable():
        raise CpeError(f"CPE name contains whitespace or control characters: {s!r}")
    values = [_fs_value(v, ATTRIBUTES[k], s) for k, v in enumerate(raw)]
    return _finish(values, s)


def _fs_value(v: str, attribute: str, s: str) -> Value:
    """Unbind one formatted-string value that may contain `\\x` quoting."""
    if v == "*":
        return ANY
    if v == "-":
        return NA
    if not v:
        raise CpeError(f"empty {attribute} in CPE name {s!r} (use '*' for ANY)")
    # Tokens: ("q", c) a quoted (literal) character, ("c", c) an unquoted one.
    tokens: list[tuple[bool, str]] = []
    i = 0
    while i < len(v):
        if v[i] == "\\":
            tokens.append((True, v[i + 1].lower()))
            i += 2
        else:
            tokens.append((False, v[i].lower()))
            i += 1
    if not any(not quoted and c in "*?" for quoted, c in tokens):
        return "".join(c for _, c in tokens)
    return _wildcard(tokens, v, attribute, s)


def _wildcard(tokens: list[tuple[bool, str]], text: str, attribute: str, s: str) -> Wildcard:
    """Build a Wildcard from unbound tokens; wildcards are legal only at either end."""
    lead = _edge_wildcards(tokens)
    rest = tokens[len(lead) :]
    trail = _edge_wildcards(rest[::-1])[::-1]
    body = rest[: len(rest) - len(trail)]
    if any(not quoted and c in "*?" for quoted, c in body):
        raise CpeError(
            f"unquoted wildcard inside the {attribute} value {text!r} of CPE name {s!r}"
            " (only allowed at the start or end; quote it as '\\*' or '\\?')"
        )
    for edge in (lead, trail):
        if "*" in edge and len(edge) > 1:
            raise CpeError(f"'*' mixed with other wildcards in {attribute} {text!r} of {s!r}")
    literal = "".join(c for _, c in body)
    pattern = _edge_regex(lead) + re.escape(literal) + _edge_regex(trail)
    # The canonical binding, so that `18\.*` and `18.*` are the same value.
    canonical = lead + _quote_chars(literal) + trail
    return Wildcard(canonical, re.compile(pattern, re.DOTALL))


def _edge_wildcards(tokens: list[tuple[bool, str]]) -> str:
    out = []
    for quoted, c in tokens:
        if quoted or c not in "*?":
            break
        out.append(c)
    return "".join(out)


def _edge_regex(edge: str) -> str:
    if not edge:
        return ""
    if edge == "*":
        return ".*"
    return f".{{0,{len(edge)}}}"


def _finish(values: list[Value], s: str) -> Cpe:
    part = values[0]
    if part not in _PARTS and part is not ANY:
        raise CpeError(f"CPE part must be 'a', 'o', 'h' or '*', not {_show(part)!r}: {s!r}")
    vendor = values[1]
    if isinstance(vendor, str):
        values[1] = sys.intern(vendor)  # one shared string per vendor across a million names
    product = values[2]
    if isinstance(product, str):
        values[2] = sys.intern(product)
    # tuple.__new__ skips the NamedTuple's Python-level __new__ (the hot path, measured).
    return tuple.__new__(Cpe, values)


# --------------------------------------------------------------------------------- CPE 2.2 URI

_PCT = re.compile(r"%([0-9a-fA-F]{2})")


def _parse_uri(s: str) -> Cpe:
    """Parse a CPE 2.2 URI (NISTIR 7695 §6.1.3), including the packed `~` edition."""
    if " " in s or not s.isprintable():
        raise CpeError(f"CPE name contains whitespace or control characters: {s!r}")
    comps = s[len(_PREFIX_22) :].split(":")
    if len(comps) > 7:
        raise CpeError(f"CPE 2.2 URI has more than 7 components: {s!r}")
    comps += [""] * (7 - len(comps))
    edition = comps[5]  # part, vendor, product, version, update, edition, language
    if edition.startswith("~"):
        packed = edition.split("~")
        if len(packed) != 6:
            raise CpeError(f"packed edition of CPE URI must have 5 '~'-separated parts: {s!r}")
        comps = [*comps[:5], packed[1], comps[6], packed[2], packed[3], packed[4], packed[5]]
    else:
        comps = [*comps[:7], "", "", "", ""]
    values = [_uri_value(v, ATTRIBUTES[k], s) for k, v in enumerate(comps)]
    return _finish(values, s)


def _uri_value(v: str, attribute: str, s: str) -> Value:
    if v == "":
        return ANY
    if v == "-":
        return NA
    tokens: list[tuple[bool, str]] = []
    pos = 0
    for m in _PCT.finditer(v):
        tokens.extend((True, c) for c in v[pos : m.start()].lower())
        code = int(m.group(1), 16)
        if code == 1:
            tokens.append((False, "?"))
        elif code == 2:
            tokens.append((False, "*"))
        else:
            tokens.append((True, chr(code).lower()))
        pos = m.end()
    tokens.extend((True, c) for c in v[pos:].lower())
    if not any(not quoted for quoted, _ in tokens):
        return "".join(c for _, c in tokens)
    return _wildcard(tokens, v, attribute, s)


# ------------------------------------------------------------------------------------ binding


def _show(value: Value) -> str:
    if isinstance(value, Logical):
        return value.bound
    if isinstance(value, Wildcard):
        return value.text
    return _quote(value)


def _quote(literal: str) -> str:
    """Bind a literal for a formatted string: quote all but alphanumerics, `_`, `.`, `-`."""
    if literal == "-":
        return "\\-"  # a lone `-` would read as NA
    return _quote_chars(literal)


def _quote_chars(literal: str) -> str:
    if _FS_UNRESERVED.sub("", literal) == "":
        return literal
    return "".join(c if _FS_UNRESERVED.fullmatch(c) else "\\" + c for c in literal)


def format_cpe(cpe: Cpe) -> str:
    """Bind a Cpe as a CPE 2.3 formatted string (quoting punctuation with `\\`)."""
    return _PREFIX_23 + ":".join(_show(v) for v in cpe)


# ----------------------------------------------------------------------------------- matching


def compare_attribute(source: Value, target: Value) -> Relation:
    """NISTIR 7696 Table 6-2: how the `source` value relates to the `target` value."""
    if source is ANY:
        if isinstance(target, Wildcard):
            return Relation.UNDEFINED
        return Relation.EQUAL if target is ANY else Relation.SUPERSET
    if isinstance(target, Wildcard):
        return Relation.UNDEFINED
    if source is NA:
        if target is NA:
            return Relation.EQUAL
        return Relation.SUBSET if target is ANY else Relation.DISJOINT
    if isinstance(source, Wildcard):
        if target is ANY:
            return Relation.SUBSET
        if isinstance(target, str) and source.matches(target):
            return Relation.SUPERSET
        return Relation.DISJOINT
    # source is a literal
    if target is ANY:
        return Relation.SUBSET
    if target is NA:
        return Relation.DISJOINT
    return Relation.EQUAL if source == target else Relation.DISJOINT


def compare_names(source: Cpe, target: Cpe) -> tuple[Relation, ...]:
    """Attribute-by-attribute relations of two names (NISTIR 7696 §6.2)."""
    return tuple(compare_attribute(s, t) for s, t in zip(source, target, strict=True))


def name_superset(source: Cpe, target: Cpe) -> bool:
    """CPE_SUPERSET (NISTIR 7696 §6.2): `source` names a set that contains `target`."""
    return all(
        compare_attribute(s, t) in (Relation.SUPERSET, Relation.EQUAL)
        for s, t in zip(source, target, strict=True)
    )
