"""Everything that decides whether an asset is affected, in one call, for the CLI and the platform.

Three matchers, one per way a feed can name what it affects:
* NVD-style CPE configurations (`nvd_match.VulnIndex`), exact semantics, confidence high;
* purl packages with `vers:` ranges (`package_match`), confidence high (medium when unsure);
* products named by vendor and product only (`device_match`: CISA ICS-Medical CSAF, CVE 5
  `affected` without identifiers), confidence high, medium or low with the reason.
VEX statements then close what a supplier says is not affected or fixed, and SSVC gives each
remaining (asset, vulnerability) pair its priority.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from vigie.engines.advisories.device_match import DeviceIndex
from vigie.engines.advisories.package_match import PackageIndex
from vigie.engines.cpe.index import VulnIndex
from vigie.engines.match_keys import MATCHING_STATUSES
from vigie.engines.prioritise.ssvc import DEFAULT_EPSS_THRESHOLD, Decision, decide
from vigie.engines.prioritise.vex import Suppression, apply_vex
from vigie.engines.records import (
    AssetRecord,
    EpssScore,
    InputError,
    KevEntry,
    Match,
    VexStatement,
    VulnRecord,
)

CONFIDENCE_RANK = {"high": 3, "medium": 2, "low": 1}
# When two feeds match the same pair equally well, the most precise description wins.
SOURCE_RANK = {"nvd": 3, "cve5": 2}


def source_rank(source: str) -> int:
    return SOURCE_RANK.get(source, 1)


def match_records(
    records: Iterable[VulnRecord],
    assets: Sequence[AssetRecord],
    *,
    errors: list[InputError] | None = None,
    source_name: str = "inventory",
) -> list[Match]:
    """Every (asset, vulnerability, source) match of these records on this inventory."""
    cpe_index = VulnIndex()
    named: list[VulnRecord] = []
    packaged: list[VulnRecord] = []
    configured: dict[str, list[tuple[str, object]]] = defaultdict(list)
    for record in records:
        if record.rejected:
            continue
        if record.configurations:
            # One index entry per (id, source): NVD and a CVE 5 record of the same CVE may both
            # carry configurations, and each must keep its own explanation.
            configured[record.source].append(
                (f"{record.id}\x00{record.source}", record.configurations)
            )
        if record.named_products:
            named.append(record)
        if record.packages:
            packaged.append(record)
    for source, items in configured.items():
        cpe_index.put_many(items, source=source)
    found: dict[tuple[str, str, str], Match] = {}

    def keep(match: Match) -> None:
        key = (match.asset, match.vulnerability, match.source)
        current = found.get(key)
        if (
            current is None
            or CONFIDENCE_RANK[match.confidence] > CONFIDENCE_RANK[current.confidence]
        ):
            found[key] = match

    if len(cpe_index):
        for match in cpe_index.match(assets, errors=errors, source_name=source_name):
            vuln_id = match.vulnerability.split("\x00", 1)[0]
            keep(replace(match, vulnerability=vuln_id))
    if named:
        devices = DeviceIndex(assets)
        for record in named:
            # The products the whole advisory names tell its devices apart; a record read
            # before it carried them falls back on its own products.
            siblings = record.document_products or tuple(
                dict.fromkeys((p.vendor, p.product) for p in record.named_products)
            )
            for product in record.named_products:
                if product.status not in MATCHING_STATUSES:
                    continue
                for asset, device_match in devices.match(product, siblings):
                    keep(device_match.to_match(asset.id, record.id, record.source, product))
    if packaged:
        packages = PackageIndex(assets)
        for record in packaged:
            for package in record.packages:
                if package.status not in MATCHING_STATUSES:
                    continue
                for asset, package_match in packages.match(package):
                    keep(package_match.to_match(asset.id, record.id, record.source, package))
    return list(found.values())


def match_order(match: Match) -> tuple[int, int, str, str, str, str]:
    """Sort key of the matches of one (asset, vulnerability), best first.

    The most confident match wins, then the most precise feed; the rest only breaks ties, so
    that the winner never depends on the order in which feeds were read (the platform reads
    them from the database, `vigie vulns match` from files, and both must agree).
    """
    return (
        -CONFIDENCE_RANK[match.confidence],
        -source_rank(match.source),
        match.source,
        match.criterion,
        match.version_range,
        match.reason,
    )


@dataclass(frozen=True, slots=True)
class PairMatches:
    """Every feed's match of one (asset, vulnerability): the winner and its corroboration."""

    best: Match
    others: tuple[Match, ...] = ()  # one per other source, best first


def group_per_pair(matches: Iterable[Match]) -> list[PairMatches]:
    """The matches grouped per (asset, vulnerability), in the order pairs first appear.

    Each group keeps one match per source (the best of that source), ordered by `match_order`.
    """
    grouped: dict[tuple[str, str], list[Match]] = {}
    for match in matches:
        grouped.setdefault((match.asset, match.vulnerability.upper()), []).append(match)
    pairs: list[PairMatches] = []
    for group in grouped.values():
        group.sort(key=match_order)
        per_source: dict[str, Match] = {}
        for match in group:
            per_source.setdefault(match.source, match)
        ordered = list(per_source.values())
        pairs.append(PairMatches(best=ordered[0], others=tuple(ordered[1:])))
    return pairs


def best_per_pair(matches: Iterable[Match]) -> list[Match]:
    """One match per (asset, vulnerability): the most confident, then the most precise feed."""
    return [pair.best for pair in group_per_pair(matches)]


def merged_record(records: Sequence[VulnRecord]) -> VulnRecord:
    """One view of a vulnerability for prioritisation, from all the feeds that describe it.

    Scores come from the most precise feed that has them; SSVC hints (CISA's ADP in CVE 5)
    and exploit references are taken wherever they are.
    """
    ordered = sorted(records, key=lambda r: source_rank(r.source), reverse=True)
    base = ordered[0]
    cvss = next((r.cvss for r in ordered if r.cvss), ())
    # SSVC explanations name the record their hints came from (CISA's ADP sits in CVE 5).
    hinted = next(
        (
            r
            for r in ordered
            if r.ssvc_exploitation or r.ssvc_automatable or r.ssvc_technical_impact
        ),
        base,
    )
    return replace(
        base,
        source=hinted.source,
        cvss=cvss,
        exploit_references=tuple(u for r in ordered for u in r.exploit_references),
        ssvc_exploitation=next((r.ssvc_exploitation for r in ordered if r.ssvc_exploitation), None),
        ssvc_automatable=next((r.ssvc_automatable for r in ordered if r.ssvc_automatable), None),
        ssvc_technical_impact=next(
            (r.ssvc_technical_impact for r in ordered if r.ssvc_technical_impact), None
        ),
        aliases=tuple({a for r in ordered for a in r.aliases}),
    )


@dataclass(frozen=True, slots=True)
class Prioritised:
    match: Match
    decision: Decision


@dataclass
class Outcome:
    kept: list[Prioritised]
    suppressed: list[Suppression]


def prioritise(
    matches: Iterable[Match],
    *,
    records: Mapping[str, Sequence[VulnRecord]],
    assets: Mapping[str, AssetRecord],
    kev: Mapping[str, Sequence[KevEntry]],
    epss: Mapping[str, EpssScore],
    vex: Sequence[VexStatement] = (),
    epss_threshold: float | None = None,
) -> Outcome:
    """Apply VEX, then give every remaining match its SSVC decision.

    `records`, `kev` and `epss` are keyed by vulnerability id (upper case).
    """
    match_list = list(matches)
    result = apply_vex(match_list, vex, assets.values()) if vex else None
    kept = result.kept if result is not None else match_list
    merged: dict[str, VulnRecord] = {}
    prioritised: list[Prioritised] = []
    for match in kept:
        vuln_id = match.vulnerability.upper()
        record = merged.get(vuln_id)
        if record is None:
            record = merged[vuln_id] = merged_record(records[vuln_id])
        asset = assets[match.asset]
        decision = decide(
            vuln=record,
            kev=kev.get(vuln_id, ()),
            epss=epss.get(vuln_id),
            asset_criticality=asset.criticality,
            asset_exposure=asset.exposure,
            exploit_reference=bool(record.exploit_references),
            epss_threshold=DEFAULT_EPSS_THRESHOLD if epss_threshold is None else epss_threshold,
        )
        prioritised.append(Prioritised(match, decision))
    return Outcome(kept=prioritised, suppressed=result.suppressed if result is not None else [])


@dataclass(frozen=True, slots=True)
class PrioritisedPair:
    """One (asset, vulnerability) that stays affected: the winning match, the other feeds that
    agree, and the SSVC decision (the same for every feed: it depends on the vulnerability and
    the asset, not on who described the match)."""

    best: Match
    others: tuple[Match, ...]
    decision: Decision


def per_pair(outcome: Outcome) -> list[PrioritisedPair]:
    """The kept matches of `prioritise`, one per (asset, vulnerability), for the CLI and the
    platform alike.

    VEX and SSVC run on every feed's match first; grouping afterwards means a feed whose match
    is closed never hides another feed's match of the same pair.
    """
    decisions = {item.match: item.decision for item in outcome.kept}
    return [
        PrioritisedPair(best=pair.best, others=pair.others, decision=decisions[pair.best])
        for pair in group_per_pair(item.match for item in outcome.kept)
    ]


def suppressed_pairs(outcome: Outcome) -> dict[tuple[str, str], Suppression]:
    """The (asset, vulnerability id in upper case) pairs VEX closed, none of whose matches was
    kept, with the statement that closed the best of them."""
    kept = {(item.match.asset, item.match.vulnerability.upper()) for item in outcome.kept}
    closed: dict[tuple[str, str], Suppression] = {}
    for suppression in sorted(outcome.suppressed, key=lambda s: match_order(s.match)):
        key = (suppression.match.asset, suppression.match.vulnerability.upper())
        if key not in kept:
            closed.setdefault(key, suppression)
    return closed


def by_id(records: Iterable[VulnRecord]) -> dict[str, list[VulnRecord]]:
    grouped: dict[str, list[VulnRecord]] = defaultdict(list)
    for record in records:
        grouped[record.id.upper()].append(record)
    return grouped
