"""NVD matching semantics: one criterion against one installed CPE, one configuration over a tree.

This module is the single place that says what matches; the two indexes of index.py choose
which (criterion, CPE) pairs to look at, and take the plainest of these decisions inline (equal
values, or values left at `*`) with exactly this module's answer, which the tests check against
the index-free reference. Semantics (see docs/notes/matching.md):

Criterion against an installed CPE (the criterion is the NISTIR 7696 *source*, the installed
CPE the *target*):

* vendor and product must be equal (a criterion product may carry edge wildcards);
* with a version range (`versionStart*` / `versionEnd*`, criterion version `*`): the installed
  version field is compared with `versions.version_key`; an installed version `-` (NA) falls
  in a range that has an upper bound only, at medium (NVD's own CPE-match data lists the `-`
  name under such criteria), and never in a range with a lower bound;
* without a range: criterion version `*` takes every installed version; `-` (NA) takes only an
  installed `-` (NA does not mean "every version"); a literal takes the equal string (high), or
  a version equal by `version_key` (`1.0` / `1.0.0`, `v2.1` / `2.1`: medium), or an installed
  version that spells version and update together (`8.5p1` for criterion `8.5:p1`: medium);
* the remaining attributes (part, update, edition, language, sw_edition, target_sw, target_hw,
  other) are compared per NISTIR 7696: EQUAL or SUPERSET pass, DISJOINT fails; one exception,
  two update literals equal as versions (`p1` / `patch1`, both spellings are NVD dictionary
  names for sudo 1.9.5) pass as medium;
* where the installed CPE says ANY (`*`) for something the criterion names (a version, an
  update, a target_sw), strict NISTIR 7696 gives SUBSET, i.e. no match. An inventory `*` means
  "not known", not "every", so this engine reports a *medium* match whose reason says what was
  unknown; the same for an installed value given only as a wildcard pattern that could be it.

Confidence: `high` when every compared attribute is EQUAL/SUPERSET by CPE semantics and the
version is inside the bounds; `medium` when a relaxation above was needed. A configuration's
confidence is the weakest of the criteria that made it true; an alert's confidence is the
weaker of its own criterion's and its configuration's.

Configurations: OR of configurations; a configuration combines its nodes with its operator
(AND/OR; absent is OR); a node combines its criteria with its operator; `negate` turns a true
node false and a false one true (a medium-true node stays medium). The facts a configuration is
evaluated on are the hits of *all* CPEs of the asset tree (a device with its firmware, OS and
software); only assets whose own CPE satisfies a `vulnerable: true` criterion of a true
configuration get a Match — platform-only criteria (`vulnerable: false`) never raise one, and
criteria inside a negated node or configuration never do.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import fields
from functools import lru_cache
from types import MemberDescriptorType

from vigie.engines.cpe.configurations import (
    CompiledVuln,
    Configuration,
    Criterion,
    Node,
    VersionKey,
)
from vigie.engines.cpe.names import (
    ANY,
    ATTRIBUTES,
    NA,
    Cpe,
    Relation,
    Value,
    Wildcard,
    compare_attribute,
)
from vigie.engines.reason_text import render_part
from vigie.engines.records import Match, Reason
from vigie.engines.versions import version_key

__all__ = [
    "CONFIDENCE",
    "HIGH",
    "MEDIUM",
    "NA_UPPER_BOUND",
    "Entry",
    "Hit",
    "config_rank",
    "evaluate_criterion",
    "installed_part",
    "installed_words",
    "make_match",
    "new_match",
    "not_given",
    "not_given_notes",
    "tree_matches",
]

HIGH = 2
MEDIUM = 1
CONFIDENCE = {HIGH: "high", MEDIUM: "medium"}
_UPDATE = 4
NA_UPPER_BOUND: Reason = ("cpe_na_upper_bound", {})
_PASS = (Relation.EQUAL, Relation.SUPERSET)


class Entry:
    """One installed CPE of one asset, as the indexes store it.

    `ref` identifies the asset for de-duplication (a position in a batch, or (scope, id));
    `root` identifies its tree; `vkey` is the version key of a literal version, else `()`.
    `solo` is cleared by InventoryIndex for the entries of an asset that has several (a
    VulnIndex batch sets those assets apart instead, and leaves it set).
    """

    __slots__ = (
        "asset_id",
        "cpe",
        "installed",
        "installed_part",
        "ref",
        "root",
        "scope",
        "solo",
        "text",
        "vkey",
    )

    def __init__(
        self,
        ref: Hashable,
        root: Hashable,
        asset_id: str,
        cpe: Cpe,
        text: str,
        scope: Hashable = None,
    ) -> None:
        self.ref = ref
        self.root = root
        self.asset_id = asset_id
        self.cpe = cpe
        self.text = text
        self.scope = scope
        # The asset's only CPE in its index: then the entry itself identifies the asset when
        # hits are deduplicated (an identity hash, where `ref` would hash a tuple of strings).
        self.solo = True
        version = cpe.version
        # Empty for a version that is not a literal (`*`, `-`, a pattern): keys never are.
        self.vkey: VersionKey = version_key(version) if version.__class__ is str else ()
        # The installed version as a reason part and in words: made on the first match.
        self.installed = ""
        self.installed_part: Reason = _NO_PART


class Hit:
    """A criterion satisfied by an installed CPE, with the confidence and what was relaxed."""

    __slots__ = ("crit", "entry", "notes", "rank")

    def __init__(
        self, crit: Criterion, entry: Entry, rank: int, notes: tuple[Reason, ...] = ()
    ) -> None:
        self.crit = crit
        self.entry = entry
        self.rank = rank
        self.notes = notes

    def __repr__(self) -> str:
        return f"Hit({self.crit.text!r}, {self.entry.asset_id!r}, {CONFIDENCE[self.rank]})"


def evaluate_criterion(crit: Criterion, entry: Entry) -> Hit | None:
    """Does the installed CPE of `entry` satisfy `crit`? None when it does not."""
    cpe = entry.cpe
    source = crit.cpe
    if cpe[1] != source[1]:  # vendor (tuple indexing: this runs millions of times)
        return None
    product = source[2]
    if product.__class__ is str:
        if cpe[2] != product:
            return None
    elif not (
        isinstance(product, Wildcard) and isinstance(cpe[2], str) and product.matches(cpe[2])
    ):
        return None
    tkey = entry.vkey
    notes: tuple[Reason, ...] = ()
    update_done = False
    if tkey and crit.plain_range:
        # The common case, inlined: a range and an installed literal version.
        start = crit.start_key
        if start is not None and (tkey < start if crit.start_incl else tkey <= start):
            return None
        end = crit.end_key
        if end is not None and (tkey > end if crit.end_incl else tkey >= end):
            return None
        rank = HIGH
    else:
        version = _version(crit, cpe, tkey)
        if version is None:
            return None
        rank, note, update_done = version
        if note is not None:
            notes = (note,)
    for i, src in crit.rest:
        tgt = cpe[i]
        if tgt.__class__ is str and tgt == src:
            continue  # EQUAL literals, the usual case (part `a` against `a`)
        if i == _UPDATE and update_done:
            continue
        relation = compare_attribute(src, tgt)
        if relation in _PASS:
            continue
        if tgt is ANY:
            rank = MEDIUM
            notes += (not_given(i, src),)
        elif isinstance(tgt, Wildcard) and isinstance(src, str) and tgt.matches(src):
            rank = MEDIUM
            notes += (("cpe_attribute_pattern", {"attribute": ATTRIBUTES[i], "pattern": tgt.text}),)
        elif (
            i == _UPDATE
            and isinstance(tgt, str)
            and isinstance(src, str)
            and version_key(tgt) == version_key(src)
        ):
            # The dictionary spells one patch level several ways (`sudo 1.9.5:p1` and
            # `1.9.5:patch1` are both NVD names): equal as versions, not as CPE strings.
            rank = MEDIUM
            notes += (("cpe_update_read_as", {"installed": tgt, "criterion": src}),)
        else:
            return None
    return Hit(crit, entry, rank, notes)


@lru_cache(maxsize=4096)
def not_given(attribute: int, criterion_value: Value) -> Reason:
    """The note of an attribute the criterion gives and the installed CPE leaves at `*`."""
    params = {"attribute": ATTRIBUTES[attribute], "value": _show(criterion_value)}
    return "cpe_attribute_not_given", params


@lru_cache(maxsize=4096)
def not_given_notes(attribute: int, criterion_value: Value) -> tuple[Reason]:
    """`not_given` as a one-note tuple, made once (the indexes add it to a hit's notes)."""
    return (not_given(attribute, criterion_value),)


_NO_PART: Reason = ("", {})
_VERSION_NOT_GIVEN: Reason = ("cpe_version_not_given", {})


def _pattern(tv: Wildcard) -> Reason:
    return "cpe_version_pattern", {"pattern": tv.text}


def _version(crit: Criterion, cpe: Cpe, tkey: VersionKey) -> tuple[int, Reason | None, bool] | None:
    """(rank, note, update already accounted for) for the version attribute, or None."""
    sv = crit.cpe.version
    tv = cpe.version
    if crit.has_range:
        if tv is ANY:
            return MEDIUM, _VERSION_NOT_GIVEN, False
        if isinstance(tv, Wildcard):
            return MEDIUM, _pattern(tv), False
        if tv is NA:
            # NVD's CPE-match data lists a product's `-` name among the names an upper bound
            # alone covers (DCMTK `< 3.6.7` lists `dcmtk:-`), never under a lower bound; medium
            # because the inventory says "no version", not "an old one".
            if crit.start_key is None and (sv is ANY or sv is NA):
                return MEDIUM, NA_UPPER_BOUND, False
            return None
        key = tkey or version_key(tv)
        start = crit.start_key
        if start is not None and (key < start if crit.start_incl else key <= start):
            return None
        end = crit.end_key
        if end is not None and (key > end if crit.end_incl else key >= end):
            return None
        if sv is ANY:
            return HIGH, None, False
        # A criterion with both a fixed version and a range (reported at compile time):
        # the fixed version must hold as well, checked below.
    if sv is ANY:
        return HIGH, None, False
    if sv is NA:
        if tv is NA:
            return HIGH, None, False
        if tv is ANY:
            return MEDIUM, ("cpe_version_not_given_na", {}), False
        return None
    if isinstance(sv, Wildcard):
        if isinstance(tv, str) and sv.matches(tv):
            return HIGH, None, False
        if tv is ANY:
            return MEDIUM, _VERSION_NOT_GIVEN, False
        return None
    if isinstance(tv, str):
        if tv == sv:
            return HIGH, None, False
        key = tkey or version_key(tv)
        if key == crit.version_key:
            return MEDIUM, ("cpe_version_read_as", {"installed": tv, "criterion": sv}), False
        if key == crit.combined_key and (cpe.update is ANY or cpe.update is NA):
            params = {"installed": tv, "version": sv, "update": _show(crit.cpe.update)}
            return MEDIUM, ("cpe_version_update_read_as", params), True
        return None
    if tv is ANY:
        return MEDIUM, _VERSION_NOT_GIVEN, False
    if isinstance(tv, Wildcard) and isinstance(sv, str) and tv.matches(sv):
        return MEDIUM, _pattern(tv), False
    return None


def _show(value: object) -> str:
    if value is ANY:
        return "*"
    if value is NA:
        return "-"
    if isinstance(value, Wildcard):
        return value.text
    return str(value)


# ------------------------------------------------------------------------------ configurations


def node_rank(node: Node, best: Mapping[int, int]) -> int:
    if node.operator == "AND":
        missing = node.broken or not node.criteria
        rank = 0 if missing else min(best.get(i, 0) for i in node.criteria)
    else:
        rank = max((best.get(i, 0) for i in node.criteria), default=0)
    if node.negate:
        return 0 if node.broken else HIGH - rank
    return rank


def config_rank(cfg: Configuration, best: Mapping[int, int]) -> int:
    """0 when the configuration is false on these facts, else its confidence rank."""
    ranks = [node_rank(n, best) for n in cfg.nodes]
    if not ranks:
        rank = 0
    elif cfg.operator == "AND":
        rank = min(ranks)
    else:
        rank = max(ranks)
    return HIGH - rank if cfg.negate else rank


def tree_matches(
    vuln: CompiledVuln, hits: Mapping[int, Sequence[Hit]]
) -> dict[Hashable, tuple[int, Hit, tuple[Reason, ...]]]:
    """Evaluate every configuration on the hits of one asset tree.

    Returns, per asset ref, the best (rank, vulnerable hit, platform notes) among the true
    configurations; `hits` maps criterion index to the tree's hits on it.
    """
    best = {ci: max(h.rank for h in hs) for ci, hs in hits.items() if hs}
    out: dict[Hashable, tuple[int, Hit, tuple[Reason, ...]]] = {}
    for cfg in vuln.configurations:
        rank = config_rank(cfg, best)
        if rank == 0 or cfg.negate:
            continue
        for node in cfg.nodes:
            if node.negate:
                continue
            for ci in node.criteria:
                crit = vuln.criteria[ci]
                if not crit.vulnerable:
                    continue
                for hit in hits.get(ci, ()):
                    r = min(hit.rank, rank)
                    previous = out.get(hit.entry.ref)
                    if previous is None or r > previous[0]:
                        out[hit.entry.ref] = (r, hit, _platform(vuln, cfg, hit, hits))
    return out


def _platform(
    vuln: CompiledVuln, cfg: Configuration, own: Hit, hits: Mapping[int, Sequence[Hit]]
) -> tuple[Reason, ...]:
    """Reasons for the other criteria that made an AND configuration (or AND node) true."""
    if cfg.simple:
        return ()
    words: list[Reason] = []
    for node in cfg.nodes:
        if node.negate:
            criteria = " / ".join(vuln.criteria[i].text for i in node.criteria)
            words.append(("cpe_and_none_of", {"criteria": criteria}))
            continue
        if own.crit.index in node.criteria:
            if node.operator != "AND":
                continue
            groups = [list(hits.get(i, ())) for i in node.criteria if i != own.crit.index]
        else:
            groups = [[h for i in node.criteria for h in hits.get(i, ())]]
        for found in groups:
            if found:
                h = max(found, key=lambda x: x.rank)
                params = {"criterion": h.crit.text, "asset": h.entry.asset_id, "cpe": h.entry.text}
                words.append(("cpe_condition_met", params))
    return tuple(words)


def _installed(cpe: Cpe) -> Reason:
    version = cpe.version
    update = cpe.update
    params: dict[str, str]
    if version is ANY:
        code, params = "cpe_installed_unknown", {}
    elif version is NA:
        code, params = "cpe_installed_na", {}
    else:
        code, params = "cpe_installed", {"version": _show(version)}
    if isinstance(update, str):
        return f"{code}_update", {**params, "update": update}
    return code, params


def installed_words(entry: Entry) -> str:
    """Words for the installed version of `entry`, made once per entry (on its first match).

    Sets `entry.installed_part` too: the same as a reason part.
    """
    text = entry.installed
    if not text:
        part = entry.installed_part = _installed(entry.cpe)
        text = entry.installed = render_part(*part)
    return text


def installed_part(entry: Entry) -> Reason:
    """The installed version of `entry` as a reason part (see `installed_words`)."""
    if not entry.installed:
        installed_words(entry)
    return entry.installed_part


def _match_builder() -> Callable[[str, str, str, str, str, str, str, tuple[Reason, ...]], Match]:
    """A positional constructor of `records.Match` that skips the frozen dataclass `__init__`.

    The frozen `__init__` sets each field through `object.__setattr__` (measured ≈1.6-2 µs a
    Match, a third of a batch's time per match); writing the slots through their descriptors
    gives the very same object (equality, hash, `dataclasses.replace`, pickling) in about half.
    Should Match stop being a plain slots dataclass, keyword construction is used instead.
    """
    names = [f.name for f in fields(Match)]
    slots = [
        d
        for d in (Match.__dict__.get(name) for name in names)
        if isinstance(d, MemberDescriptorType)
    ]
    plain = (
        names == list(_MATCH_FIELDS)
        and len(slots) == len(names)
        and not hasattr(Match, "__post_init__")
    )
    if not plain:

        def build(
            a: str, v: str, s: str, c: str, r: str, cr: str, vr: str, rs: tuple[Reason, ...]
        ) -> Match:
            return Match(
                asset=a,
                vulnerability=v,
                source=s,
                confidence=c,
                reason=r,
                criterion=cr,
                version_range=vr,
                reasons=rs,
            )

        return build
    new = object.__new__
    setters = [d.__set__ for d in slots]
    s_asset, s_vuln, s_source, s_conf, s_reason, s_crit, s_range, s_reasons = setters

    def build_fast(
        a: str, v: str, s: str, c: str, r: str, cr: str, vr: str, rs: tuple[Reason, ...]
    ) -> Match:
        m: Match = new(Match)
        s_asset(m, a)
        s_vuln(m, v)
        s_source(m, s)
        s_conf(m, c)
        s_reason(m, r)
        s_crit(m, cr)
        s_range(m, vr)
        s_reasons(m, rs)
        return m

    return build_fast


_MATCH_FIELDS = (
    "asset",
    "vulnerability",
    "source",
    "confidence",
    "reason",
    "criterion",
    "version_range",
    "reasons",
)
# new_match(asset, vulnerability, source, confidence, reason, criterion, version_range, reasons)
new_match = _match_builder()


def make_match(vuln: CompiledVuln, rank: int, hit: Hit, platform: tuple[Reason, ...] = ()) -> Match:
    """The Match record for a vulnerable hit, with its reason as parts and in words."""
    crit = hit.crit
    reason = crit.reason_prefix + installed_words(hit.entry)
    reasons: tuple[Reason, ...] = (crit.reason_part, hit.entry.installed_part)
    if hit.notes or platform:
        reasons = (*reasons, *hit.notes, *platform)
        reason = "; ".join((reason, *(render_part(*p) for p in (*hit.notes, *platform))))
    return new_match(
        hit.entry.asset_id,
        vuln.id,
        vuln.source,
        CONFIDENCE[rank],
        reason,
        crit.text,
        crit.version_range,
        reasons,
    )
