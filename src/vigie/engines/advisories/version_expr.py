"""Version expressions as advisories write them, turned into ranges that answer `contains`.

Two families:

* univers `vers:` strings (`vers:generic/>=2.0|<2.4`, `vers:all/*`, `vers:pypi/...`) are parsed
  with univers and tested with the scheme's own version class. When the tested version is not
  valid in that class (univers' generic scheme is semver-based and refuses `A10`), generic-like
  schemes fall back to the free-text comparison below; other schemes answer None.
  `vers:semver/` is read as `vers:generic/` (univers has no `semver` scheme). Siemens-style
  `vers:all/<V2.4.0` (not valid vers: `all` admits only `*`) is read as free text.
* Free text as CISA writes it in CSAF `product_version_range` / `product_version` names:
  `<= 9.33.1`, `>= 1.0.0 | <= 1.1.1`, `<2.4`, `4.1`, `A10 < A11`, `1.0 - 2.3`, `Rev B-M`,
  `all versions`, `prior to 5.0`, `2.3.6 and below`, `V2.0.x`, `4.X | 5.X`, `*`. Versions are
  compared with `vigie.engines.versions` (one lenient order for every string).

Semantics of a list of constraints (free text and vers alike): read left to right, a lower bound
(`>`, `>=`) followed by an upper bound (`<`, `<=`) is one interval; a lone upper bound is
everything below; a lone lower bound everything above; `=` is a point, `!=` excludes. The range
is the union. So `>= 1.0.0 | <= 1.1.1` is one interval (CISA's meaning, and vers' meaning of
`>=1.0.0|<=1.1.1`), `<= U61 | <= L81` is two upper bounds, and `1.1 | 1.2` two points.

Wildcards (`2.x`, `12.2.x.x`, `C.0x`) mean "every version starting so": `= 2.x` is a prefix test,
`<= 12.2.x` is "below 12.2 or starting 12.2".

What cannot be decided stays undecided: dates (`< april 1, 2018`), model lists
(`882160 Gemini Dual`), prose (`Windows 10 Professional ...`) give kind `unparsable` and
`contains()` returns None. Trailing qualifiers (`(integrated into GE MobileLink)`,
`on Windows 8.1 with IIS 7.5`, `model 35700BAX`) are cut off into `note`: the bounds are used,
the condition is reported, not checked. The clauses that restrict where the versions apply
(`on ...`, `with ...`, `running ...`, `model ...`) are also in `condition`, so that a matcher can
trust such a match less; a value that *is* such a clause (`with wireless option`) is all versions
under that condition.

Tagged versions (`FWX 3.1`, `SR7.2`, `R7`, `Build 4567`, `HD 16`, `BT03`, `SV20.1`): letters in
front of the number are a tag, compared as a tag; the number is compared as a version, and only
with bounds carrying the same tag. `v`, `ver`, `version`, `rel`, `release`, `rev` mean no tag;
`sw`/`software` and `fw`/`firmware` are tags that an untagged bound accepts (but not each other).
A single letter followed by a dot is a version component, not a tag (Philips `B.06.18`, `C.03`).
A version whose tag no bound carries (`SR7.2` against `<= 9.33`) is undecided (`contains` gives
None and `tag_mismatch` says why), where an untagged order would have put it below every number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import unquote

from univers.version_range import VersionRange

from vigie.engines.versions import compare_versions

ExprKind = Literal["all", "range", "unparsable"]
_LOWER = (">", ">=")
_UPPER = ("<", "<=")
# vers schemes whose versions are "anything": a tested version univers refuses is compared with
# our own order instead of giving up.
_GENERIC_SCHEMES = frozenset({"generic", "all", "intdot", "semver", "lexicographic", "none"})


_GENERIC_TAGS: dict[str, str] = {
    "v": "",
    "ver": "",
    "vers": "",
    "version": "",
    "rel": "",
    "release": "",
    "rev": "",
    "revision": "",
    "sw": "sw",
    "software": "sw",
    "fw": "fw",
    "firmware": "fw",
}
_UNTAGGED_COMPATIBLE = frozenset({"", "sw", "fw"})
# Up to two words of letters before the number: `FWX 3.1`, `FWX version 3.1`, `SW 2.4`,
# `Rel. 9.1`, `Build 4567`, `SR7.2`, `GEH-1.1`, `LPI 3.5.12.P30`.
_TAGGED = re.compile(
    r"^(?P<tag>[a-z]+(?:\s+[a-z]+)?)(?P<sep>\.\s*|\s+|-|(?=\d))(?P<rest>\d.*)$", re.IGNORECASE
)


# B. Braun numbers software `012U000040`: a product code, a region letter (U: United States,
# L: elsewhere) and the release; its advisories write the same release `U40`.
_EMBEDDED_TAG = re.compile(r"^\d{2,4}(?P<tag>[a-z])0*(?P<number>\d+)$", re.IGNORECASE)


@lru_cache(maxsize=1 << 14)
def split_tag(version: str) -> tuple[str, str]:
    """(tag, number) of a version: `SR7.2` -> (`sr`, `7.2`), `v2.1` -> (``, `2.1`), `B.06` as is,
    `012U000040` -> (`u`, `40`)."""
    text = version.strip()
    embedded = _EMBEDDED_TAG.match(text)
    if embedded and len(text) >= 8:
        return embedded.group("tag").lower(), embedded.group("number")
    match = _TAGGED.match(text)
    if match is None:
        return "", text
    words = match.group("tag").lower().split()
    if len(words[0]) == 1 and match.group("sep").startswith(".") and words[0] not in _GENERIC_TAGS:
        return "", text  # `B.06.18`: a letter component of the version itself
    families = [_GENERIC_TAGS.get(w) for w in words]
    specific = [w for w, family in zip(words, families, strict=True) if family is None]
    if specific:
        return " ".join(specific), match.group("rest").strip()
    named = [f for f in families if f]
    return (named[0] if named else ""), match.group("rest").strip()


def tags_compatible(a: str, b: str) -> bool:
    return a == b or ("" in (a, b) and a in _UNTAGGED_COMPATIBLE and b in _UNTAGGED_COMPATIBLE)


@dataclass(frozen=True, slots=True)
class Bound:
    """One comparison: `op` in <, <=, >, >=, =, !=; `version` as written (prefix for wildcards)."""

    op: str
    version: str
    wildcard: bool = False  # `2.x`: version holds the prefix `2`
    partial: bool = False  # `C.0x`: the last component of the prefix is itself a prefix

    @property
    def tag(self) -> str:
        return split_tag(self.version)[0]

    @property
    def number(self) -> str:
        return split_tag(self.version)[1]

    def __str__(self) -> str:
        shown = self.version + (("x" if self.partial else ".x") if self.wildcard else "")
        return shown if self.op == "=" else f"{self.op} {shown}"


@dataclass(frozen=True, slots=True)
class Interval:
    lower: Bound | None
    upper: Bound | None

    def __str__(self) -> str:
        if self.lower is self.upper and self.lower is not None:
            return str(self.lower)  # a point
        if self.lower is not None and self.upper is not None:
            return f"{self.lower}, {self.upper}"
        bound = self.lower or self.upper
        return str(bound) if bound is not None else "all versions"


@dataclass(frozen=True, slots=True)
class VersionExpr:
    """An advisory's version expression, parsed. Build with `parse_version_expr()`."""

    text: str
    kind: ExprKind
    bounds: tuple[Bound, ...] = ()
    scheme: str = ""  # the vers scheme; empty for free text
    note: str = ""  # qualifier cut off the expression, reported but not checked
    problem: str = ""  # why it is unparsable
    condition: str = ""  # the part of `note` that restricts where the versions apply
    _univers: VersionRange | None = field(default=None, compare=False, repr=False)

    @property
    def exact_values(self) -> tuple[str, ...]:
        """The versions of an expression made only of `=` points (CISA lists models this way)."""
        if self.kind != "range" or any(b.op != "=" or b.wildcard for b in self.bounds):
            return ()
        return tuple(b.version for b in self.bounds)

    def describe(self) -> str:
        """The range in words: `all versions`, `>= 1.0.0, <= 1.1.1`, `1.1 or 1.2`."""
        if self.kind == "all":
            return "all versions"
        if self.kind == "unparsable":
            return self.text
        pieces = [str(i) for i in _intervals(self.bounds)]
        pieces += [f"not {b.version}" for b in self.bounds if b.op == "!="]
        return " or ".join(pieces)

    def contains(self, version: str) -> bool | None:
        """True/False when decided; None when this expression or the version cannot be compared."""
        if self.kind == "all":
            return True
        if self.kind == "unparsable":
            return None
        version = version.strip()
        if not _is_known_version(version):
            return None
        tag, number = split_tag(version)
        tagged_bounds = any(b.tag for b in self.bounds)
        if self._univers is not None and not tagged_bounds and tag in _UNTAGGED_COMPATIBLE:
            # Declared `None` on the base class, set on each scheme's subclass.
            make_version: Any = self._univers.version_class
            try:
                return bool(self._univers.contains(make_version(number)))
            except (ValueError, TypeError):
                # univers refused the tested version (InvalidVersion is a ValueError).
                if self.scheme not in _GENERIC_SCHEMES:
                    return None
        return _free_contains(self.bounds, tag, number)

    def tag_mismatch(self, version: str) -> tuple[str, tuple[str, ...]] | None:
        """(the version's tag, the bounds' tags) when no bound carries a tag the version has."""
        if self.kind != "range" or not _is_known_version(version):
            return None
        tag, _ = split_tag(version)
        tags = tuple(dict.fromkeys(b.tag for b in self.bounds if b.op != "!="))
        if any(tags_compatible(tag, other) for other in tags):
            return None
        return tag, tags

    def matching_interval(self, version: str) -> str:
        """The part of the range that `version` falls in, for explanations (the whole if unsure)."""
        if self.kind != "range" or not _is_known_version(version):
            return self.describe()
        tag, number = split_tag(version.strip())
        for interval in _intervals(self.bounds):
            if _applies(interval, tag) and _interval_contains(interval, number):
                return str(interval)
        return self.describe()


# --- evaluation ----------------------------------------------------------------------------

_UNKNOWN_VERSIONS = frozenset({"", "*", "-", "n/a", "na", "unknown", "?", "none", "noassertion"})


def _is_known_version(version: str) -> bool:
    return version.strip().lower() not in _UNKNOWN_VERSIONS


_SPLIT_COMPONENTS = re.compile(r"[.\-_\s]+")


def _components(version: str) -> list[str]:
    v = version.strip().lower()
    if v[:1] == "v" and v[1:2].isdigit():
        v = v[1:]
    return [c for c in _SPLIT_COMPONENTS.split(v) if c]


def _same_component(a: str, b: str) -> bool:
    if a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


def _has_prefix(version: str, bound: Bound) -> bool:
    parts = _components(version)
    prefix = _components(bound.number)
    if len(parts) < len(prefix):
        return False
    if bound.partial and prefix:
        head, last = prefix[:-1], prefix[-1]
        return all(_same_component(a, b) for a, b in zip(parts, head, strict=False)) and parts[
            len(head)
        ].startswith(last)
    return all(_same_component(a, b) for a, b in zip(parts, prefix, strict=False))


def _satisfies(version: str, bound: Bound) -> bool:
    """`version` is the number of a version whose tag the bound accepts."""
    if bound.wildcard:
        inside = _has_prefix(version, bound)
        cmp = compare_versions(version, bound.number)
        if bound.op in ("=", "!="):
            return inside if bound.op == "=" else not inside
        if bound.op == "<":
            return cmp < 0 and not inside
        if bound.op == "<=":
            return cmp < 0 or inside
        if bound.op == ">":
            return cmp > 0 and not inside
        return cmp >= 0 or inside  # >=
    cmp = compare_versions(version, bound.number)
    return {
        "<": cmp < 0,
        "<=": cmp <= 0,
        ">": cmp > 0,
        ">=": cmp >= 0,
        "=": cmp == 0,
        "!=": cmp != 0,
    }[bound.op]


def _intervals(bounds: tuple[Bound, ...]) -> list[Interval]:
    out: list[Interval] = []
    ordered = [b for b in bounds if b.op != "!="]
    i = 0
    while i < len(ordered):
        bound = ordered[i]
        if bound.op in _LOWER and i + 1 < len(ordered) and ordered[i + 1].op in _UPPER:
            out.append(Interval(bound, ordered[i + 1]))
            i += 2
            continue
        if bound.op in _LOWER:
            out.append(Interval(bound, None))
        elif bound.op in _UPPER:
            out.append(Interval(None, bound))
        else:  # "=": a point, written as an interval with the same bound twice
            out.append(Interval(bound, bound))
        i += 1
    return out


def _interval_contains(interval: Interval, version: str) -> bool:
    if interval.lower is interval.upper and interval.lower is not None:
        return _satisfies(version, interval.lower)
    if interval.lower is not None and not _satisfies(version, interval.lower):
        return False
    return interval.upper is None or _satisfies(version, interval.upper)


def _applies(interval: Interval, tag: str) -> bool:
    return all(
        tags_compatible(tag, b.tag) for b in (interval.lower, interval.upper) if b is not None
    )


_REVISION = re.compile(r"^(?P<letter>[a-z])(?:[.\-]?\d[\w.\-]*)?$", re.IGNORECASE)


def _free_contains(bounds: tuple[Bound, ...], tag: str, number: str) -> bool | None:
    """Whether (tag, number) is in the range; None when no bound carries a compatible tag.

    Bounds that are revision letters (`Rev J-M`, `<= N`) compare the revision letter of a
    version written with its sub-version (`M.04` is revision M).
    """
    revision = _REVISION.match(number)
    if revision and all(len(b.number) == 1 and b.number.isalpha() for b in bounds):
        number = revision.group("letter")
    if any(
        b.op == "!=" and tags_compatible(tag, b.tag) and not _satisfies(number, b) for b in bounds
    ):
        return False
    intervals = _intervals(bounds)
    if not intervals:  # only exclusions: everything else is in
        return True
    applicable = [i for i in intervals if _applies(i, tag)]
    if not applicable:
        return None
    return any(_interval_contains(i, number) for i in applicable)


# --- parsing -------------------------------------------------------------------------------

_MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?"
    r"|oct(ober)?|nov(ember)?|dec(ember)?"
)
_DATE = re.compile(rf"\b({_MONTHS})\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b", re.IGNORECASE)
_PAREN = re.compile(r"\s*\(([^()]*)\)")
_QUALIFIER = re.compile(
    r"\s+(?:on|running|with|without|installed|integrated|only|when|if|for|which|manufactured|"
    r"shipped|not|used|model|models|in|under|except|using|\(us\)|united)\b.*$",
    re.IGNORECASE,
)
# Clauses that restrict where the versions apply (a platform, an option, a model).
_CONDITION = re.compile(
    r"^(?:on|running|with|without|installed|integrated|when|if|using|under|only\s+(?:on|with|for)|"
    r"model|models|for\s+use)\b",
    re.IGNORECASE,
)
_ALL = re.compile(
    r"^(?:\*|all|any|every|all\s+versions?|any\s+versions?|all\s+releases|all\s+revisions|"
    r"every\s+version)$",
    re.IGNORECASE,
)
_ALL_PREFIX = re.compile(r"^(?:all|any)\s+(?:versions?|releases|revisions)\s*(?=[<>=!])", re.I)
_VERSION_WORD = r"(?:versions?|ver\.?|rev\.?|revisions?|releases?|software|sw|firmware|fw)"
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), replacement)
    for pattern, replacement in (
        (
            rf"^(?:all\s+)?(?:{_VERSION_WORD}\s+)?(?:prior\s+to|before|earlier\s+than|older\s+than"
            r"|lower\s+than|below|up\s+to\s+but\s+not\s+including)\s+(?P<a>.+)$",
            "< {a}",
        ),
        (
            rf"^(?:all\s+)?(?:{_VERSION_WORD}\s+)?(?:up\s+to(?:\s+and\s+including)?|through|"
            r"until|to)\s+(?P<a>.+)$",
            "<= {a}",
        ),
        (
            r"^(?P<a>.+?)\s+(?:and|or|&)\s+(?:prior|earlier|below|lower|older|before)"
            r"(?:\s+versions?)?$",
            "<= {a}",
        ),
        (
            r"^(?P<a>.+?)\s+(?:and|or|&)\s+(?:later|above|higher|newer|after|greater)"
            r"(?:\s+versions?)?$",
            ">= {a}",
        ),
        (r"^(?P<a>[^<>=\s|]+)\s*\+$", ">= {a}"),
        (
            rf"^(?:{_VERSION_WORD}\s+)?(?:from\s+)?(?P<a>[^<>=|]+?)\s+"
            r"(?:to|through|thru|until|-|–|—)\s+(?P<b>[^<>=|]+)$",
            ">= {a} | <= {b}",
        ),
        (
            rf"^(?:{_VERSION_WORD}\s+)?between\s+(?P<a>[^<>=|]+?)\s+and\s+(?P<b>[^<>=|]+)$",
            ">= {a} | <= {b}",
        ),
    )
)
_LETTER_RANGE = re.compile(r"^(?:rev\.?\s*|revisions?\s+)?(?P<a>[a-z])\s*-\s*(?P<b>[a-z])$", re.I)
_X_OP_Y = re.compile(r"^(?P<a>[^<>=!|]+?)\s*(?P<op><=|<)\s*(?P<b>[^<>=!|]+)$")
_COMPARATOR = re.compile(r"^(<=|>=|!=|==|<|>|=)?\s*(.*)$", re.DOTALL)
_INNER_COMPARATOR = re.compile(r"(?<=[^\s<>=!])\s*(?=(?:<=|>=|<|>))")
_VERSION_PREFIX = re.compile(rf"^(?:{_VERSION_WORD})(?![a-z])\s*(?=[a-z0-9])", re.IGNORECASE)
_WILDCARD = re.compile(r"^(?P<prefix>.*?[a-z0-9])(?P<sep>[.\-]?)[x*](?:[.\-][x*])*$", re.I)
# A version: optional short letter prefix then a digit (`9.33.1`, `V2.4`, `A10`, `BT03`,
# `R4.1L1`, `B.06.18`, `GEH-1.1`, `2018-1`); or a single revision letter (`N`, `K`).
_VERSION_TOKEN = re.compile(r"^(?:[a-z]{0,4}[.\-]?v?\d[\w.\-+]*|[a-z])$", re.IGNORECASE)
_QUALIFIER_WORDS = frozenset(
    {
        "build",
        "sp",
        "service",
        "pack",
        "sr",
        "mr",
        "update",
        "upd",
        "hf",
        "hotfix",
        "patch",
        "p",
        "rc",
        "beta",
        "alpha",
        "release",
        "r",
        "fix",
        "cu",
        "maintenance",
    }
)
_QUALIFIER_TOKEN = re.compile(r"^(?:\d+|[a-z]{1,3}\d+)$", re.IGNORECASE)
_LEADING_TAG = re.compile(r"^(?:[a-z]{1,4}|build)$", re.IGNORECASE)
# `FWX version 3.1`: a tag, then a version word, then the number.
_TAG_THEN_VERSION_WORD = re.compile(
    r"^(?P<tag>[a-z]{1,4})\s+(?:versions?|ver\.?|v|release|rel\.?)\s*(?=\d)", re.IGNORECASE
)


def _looks_like_version(text: str, bare_letter_ok: bool = True) -> bool:
    tokens = text.split()
    if not tokens:
        return False
    first, rest = tokens[0], tokens[1:]
    if not _VERSION_TOKEN.match(first):
        # `HD 16`, `LPI 3.5.12.P30`: a short tag in front of a version.
        if not (rest and _LEADING_TAG.match(first) and _VERSION_TOKEN.match(rest[0])):
            return False
        rest = rest[1:]
    if len(first) == 1 and first.isalpha() and (rest or not bare_letter_ok):
        return False
    return all(t.lower() in _QUALIFIER_WORDS or _QUALIFIER_TOKEN.match(t) for t in rest)


def _make_bound(op: str, raw: str) -> Bound | None:
    version = _VERSION_PREFIX.sub("", raw.strip().strip(",;")).strip()
    version = _TAG_THEN_VERSION_WORD.sub(lambda m: m.group("tag") + " ", version)
    # A lone letter is a revision only beside a comparator (`<= K`): `Version A` is a hardware
    # revision, not something an inventory's version field would hold.
    if not _looks_like_version(version, bare_letter_ok=op != "="):
        return None
    if op == "==":
        op = "="
    match = _WILDCARD.match(version)
    if match and " " not in version and any(c.isdigit() for c in match.group("prefix")):
        return Bound(op, match.group("prefix"), wildcard=True, partial=not match.group("sep"))
    return Bound(op, version)


def _split_pieces(text: str) -> list[str]:
    pieces: list[str] = []
    for chunk in re.split(r"\s*\|\s*", text):
        for part in re.split(r"\s*[,;]\s*|\s+(?:and|or)\s+", chunk, flags=re.IGNORECASE):
            part = part.strip()
            if part[:1] in "<>=!":  # `>=V9.3.0<V9.24.22`: two bounds written together
                pieces.extend(p for p in _INNER_COMPARATOR.split(part) if p.strip())
            elif part:
                pieces.append(part)
    return pieces


def _split_comparator(text: str) -> tuple[str, str]:
    """(`<=`, `1.2`) from `<= 1.2`; the operator is empty when there is none."""
    match = _COMPARATOR.match(text)
    return (match.group(1) or "", match.group(2)) if match else ("", text)


def _parse_pieces(text: str) -> tuple[tuple[Bound, ...], str]:
    """Bounds of a free-text list, or an explanation of the first piece not understood."""
    bounds: list[Bound] = []
    for piece in _split_pieces(text):
        piece = piece.strip()
        letter = _LETTER_RANGE.match(piece)
        if letter:
            bounds += [Bound(">=", letter.group("a")), Bound("<=", letter.group("b"))]
            continue
        x_op_y = _X_OP_Y.match(piece)
        if x_op_y:
            low = _make_bound(">=", x_op_y.group("a"))
            high = _make_bound(x_op_y.group("op"), x_op_y.group("b"))
            if low is None or high is None:
                return (), f"cannot read {piece!r} as a version range"
            bounds += [low, high]
            continue
        op, version = _split_comparator(piece)
        bound = _make_bound(op or "=", version)
        if bound is None:
            return (), f"{version.strip()!r} is not a version"
        bounds.append(bound)
    if not bounds:
        return (), "no version in the expression"
    return tuple(bounds), ""


def _rewrite_phrases(text: str) -> str:
    for pattern, replacement in _PHRASES:
        match = pattern.match(text)
        if match:
            return replacement.format(**match.groupdict())
    return text


def _parse_free(text: str, scheme: str = "") -> VersionExpr:
    original = text
    s = text.replace("_", " ").replace("≤", "<=").replace("≥", ">=")
    s = s.replace("=<", "<=").replace("=>", ">=")
    s = re.sub(r"\s+", " ", s).strip()
    notes: list[str] = []
    conditions: list[str] = []
    # Parenthesised asides are notes; they may hold `|` of their own (Baxter battery modules).
    while True:
        match = _PAREN.search(s)
        if match is None or not s[: match.start()].strip():
            break
        notes.append(match.group(1).strip())
        if _CONDITION.match(match.group(1).strip()):
            conditions.append(match.group(1).strip())
        s = (s[: match.start()] + s[match.end() :]).strip()
    if _CONDITION.match(s):
        # The whole value is a condition (`with wireless option`): all versions, under it.
        clause = _PAREN.sub("", s).strip()
        return VersionExpr(
            original, "all", scheme=scheme, note="; ".join([clause, *notes]), condition=clause
        )
    qualifier = _QUALIFIER.search(s)
    if qualifier and qualifier.start() > 0:
        cut = qualifier.group(0).strip()
        if re.search(r"[<>]", cut):
            return VersionExpr(
                original,
                "unparsable",
                scheme=scheme,
                problem=f"qualifier with its own bounds: {cut}",
            )
        notes.append(cut)
        if _CONDITION.match(cut):
            conditions.append(cut)
        s = s[: qualifier.start()].strip()
    s = s.strip(" |,;")
    note = "; ".join(n for n in notes if n)
    condition = "; ".join(conditions)
    if _DATE.search(s):
        return VersionExpr(original, "unparsable", scheme=scheme, problem="a date, not a version")
    if _ALL.match(s):
        return VersionExpr(original, "all", scheme=scheme, note=note, condition=condition)
    s = _ALL_PREFIX.sub("", s)
    if "|" not in s:
        s = _rewrite_phrases(s)
    bounds, problem = _parse_pieces(s)
    if problem:
        return VersionExpr(
            original,
            "unparsable",
            scheme=scheme,
            note=note,
            problem=problem,
            condition=condition,
        )
    return VersionExpr(
        original, "range", bounds=bounds, scheme=scheme, note=note, condition=condition
    )


def _parse_vers(text: str) -> VersionExpr:
    body = text.strip()[5:]
    scheme, _, constraints = body.partition("/")
    scheme = scheme.strip().lower()
    constraints = constraints.strip()
    if not scheme or not constraints:
        return VersionExpr(text, "unparsable", problem="a vers string needs a scheme and a range")
    if constraints == "*":
        return VersionExpr(text, "all", scheme=scheme)
    if scheme == "all":
        # Not valid vers (`all` admits only `*`), but CISA/Siemens write it: read the constraints.
        expr = _parse_free(unquote(constraints), scheme="generic")
        note = "vers:all with bounds read as generic versions"
        return VersionExpr(
            text,
            expr.kind,
            expr.bounds,
            "generic",
            "; ".join(filter(None, (expr.note, note))),
            expr.problem,
            condition=expr.condition,
        )
    bounds: list[Bound] = []
    for raw in constraints.split("|"):
        op, version = _split_comparator(unquote(raw.strip()))
        version = version.strip()
        if not version:
            return VersionExpr(text, "unparsable", scheme=scheme, problem=f"empty bound {raw!r}")
        op = op or "="
        bounds.append(Bound("=" if op == "==" else op, version))
    univers_text = text.strip()
    if scheme == "semver":
        univers_text = "vers:generic/" + constraints
    univers_range: VersionRange | None
    try:
        univers_range = VersionRange.from_string(univers_text)
    except (ValueError, TypeError):
        # Unknown scheme or a bound the scheme refuses: keep our own reading of the bounds.
        univers_range = None
    # When univers refuses a bound, `contains` compares with our own order (no note: the bounds
    # are the advisory's, only the comparison is looser).
    return VersionExpr(text, "range", tuple(bounds), scheme=scheme, _univers=univers_range)


@lru_cache(maxsize=1 << 14)
def parse_version_expr(text: str) -> VersionExpr:
    """Parse an advisory's version expression (vers or free text). Never raises."""
    stripped = text.strip()
    if not stripped:
        # A CSAF product named without any version branch: the advisory means the product as a
        # whole. Read as all versions, with a note so that matchers trust it less.
        return VersionExpr(text, "all", note="the advisory names no version")
    if stripped.lower().startswith("vers:"):
        return _parse_vers(stripped)
    return _parse_free(stripped)
