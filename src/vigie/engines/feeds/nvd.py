"""NVD CVE API 2.0 records -> VulnRecord(source="nvd").

Accepted shapes (the loader in `detect` decides which one a file holds):
* one record `{"cve": {...}}`, or a list of them;
* an API page `{"resultsPerPage", "startIndex", "totalResults", "vulnerabilities": [{"cve": ...}]}`;
* vunnel's wrapper `{"identifier", "item": {"cve": ...}}` (grype/vunnel fixtures);
* Anchore's NVD overrides `{"_annotation": {...}, "cve": {"configurations": [...]}}`, which carry
  configurations for CVEs NVD has not analysed or has analysed wrongly.

`configurations` is kept exactly as NVD writes it; the CPE matcher compiles that structure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from vigie.engines.feeds.common import (
    CWE_ID,
    Problems,
    as_list,
    cvss_check,
    get_dict,
    get_list,
    get_str,
    parse_timestamp,
    unique,
)
from vigie.engines.records import CvssScore, VulnRecord

NVD_DETAIL_URL = "https://nvd.nist.gov/vuln/detail/"

# Metric keys from newest to oldest CVSS version: the first score a reader sees is the best one.
_METRIC_KEYS = ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2")


@dataclass(frozen=True, slots=True)
class NvdOverride:
    """An Anchore override: its record replaces the configurations of the NVD record of that id."""

    record: VulnRecord
    reason: str = ""


def parse_nvd_cve(
    cve: dict[str, Any], where: str, problems: Problems, validate_cvss: bool = True
) -> VulnRecord | None:
    """One NVD `cve` object (the value under the `cve` key); None when it has no usable id."""
    cve_id = get_str(cve, "id", where, problems, required=True).strip()
    if not cve_id:
        return None
    status = get_str(cve, "vulnStatus", where, problems, record=cve_id)
    description = _english(get_list(cve, "descriptions", where, problems, record=cve_id))
    # NVD marks rejected records by status; records older than the status field by a prefix.
    rejected = status.strip().lower() == "rejected" or description.startswith("** REJECT **")
    return VulnRecord(
        id=cve_id,
        source="nvd",
        title=get_str(cve, "cisaVulnerabilityName", where, problems, record=cve_id),
        description=description,
        published=parse_timestamp(cve.get("published"), f"{where}/published", problems, cve_id),
        modified=parse_timestamp(
            cve.get("lastModified"), f"{where}/lastModified", problems, cve_id
        ),
        rejected=rejected,
        cwes=_cwes(cve, where, problems, cve_id),
        cvss=_scores(cve, where, problems, cve_id, validate_cvss),
        configurations=_configurations(cve, where, problems, cve_id),
        references=_references(cve, where, problems, cve_id),
        exploit_references=_exploit_references(cve),
        url=NVD_DETAIL_URL + cve_id,
    )


def parse_nvd_override(obj: dict[str, Any], where: str, problems: Problems) -> NvdOverride | None:
    """One Anchore override record (`_annotation` + `cve.configurations`)."""
    annotation = get_dict(obj, "_annotation", where, problems) or {}
    cve = get_dict(obj, "cve", where, problems, required=True)
    if cve is None:
        return None
    cve_id = (
        get_str(annotation, "cve_id", f"{where}/_annotation", problems)
        or get_str(cve, "id", f"{where}/cve", problems)
    ).strip()
    if not cve_id:
        problems.add("override without a CVE id", field=f"{where}/_annotation/cve_id")
        return None
    ann = f"{where}/_annotation"
    refs = [
        u for u in get_list(annotation, "references", ann, problems, cve_id) if isinstance(u, str)
    ]
    record = VulnRecord(
        id=cve_id,
        source="nvd",
        description=get_str(annotation, "description", ann, problems, cve_id),
        published=parse_timestamp(
            annotation.get("published"), f"{ann}/published", problems, cve_id
        ),
        modified=parse_timestamp(annotation.get("modified"), f"{ann}/modified", problems, cve_id),
        configurations=_configurations(cve, f"{where}/cve", problems, cve_id),
        references=unique([*_references(cve, f"{where}/cve", problems, cve_id), *refs]),
        url=get_str(annotation, "generated_from", ann, problems, cve_id) or NVD_DETAIL_URL + cve_id,
    )
    return NvdOverride(record, reason=get_str(annotation, "reason", ann, problems, cve_id))


def iter_nvd_page(
    page: dict[str, Any], problems: Problems, validate_cvss: bool = True, where: str = ""
) -> Iterator[VulnRecord]:
    """The records of an API 2.0 page (`vulnerabilities[].cve`)."""
    for index, item in enumerate(get_list(page, "vulnerabilities", where, problems)):
        item_where = f"{where}/vulnerabilities/{index}"
        if not isinstance(item, dict):
            problems.add("expected an object", field=item_where)
            continue
        cve = get_dict(item, "cve", item_where, problems, required=True)
        if cve is None:
            continue
        record = parse_nvd_cve(cve, f"{item_where}/cve", problems, validate_cvss)
        if record is not None:
            yield record


def apply_nvd_overrides(
    records: Iterable[VulnRecord], overrides: Iterable[VulnRecord]
) -> list[VulnRecord]:
    """NVD records with Anchore's configurations put in, plus the overrides NVD has no record for.

    Anchore's tooling (grype) replaces NVD's configurations wholesale by the override's; the
    override's references are added. Records from other sources are left alone.
    """
    by_id = {override.id: override for override in overrides}
    merged: list[VulnRecord] = []
    for record in records:
        found = by_id.pop(record.id, None) if record.source == "nvd" else None
        if found is None:
            merged.append(record)
            continue
        merged.append(
            replace(
                record,
                configurations=found.configurations,
                references=unique([*record.references, *found.references]),
            )
        )
    merged.extend(by_id.values())
    return merged


# --------------------------------------------------------------------------------------------


def _english(descriptions: list[Any]) -> str:
    """The English description, else the first one (some fixtures keep only Spanish)."""
    fallback = ""
    for item in descriptions:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            continue
        lang = str(item.get("lang", "")).lower()
        if lang == "en" or lang.startswith("en-"):
            return str(item["value"])
        fallback = fallback or str(item["value"])
    return fallback


def _cwes(cve: dict[str, Any], where: str, problems: Problems, cve_id: str) -> tuple[str, ...]:
    found: list[str] = []
    for weakness in get_list(cve, "weaknesses", where, problems, cve_id):
        if not isinstance(weakness, dict):
            continue
        for desc in as_list(weakness.get("description")):
            # "NVD-CWE-Other" / "NVD-CWE-noinfo" say "no CWE"; they are not weaknesses.
            if isinstance(desc, dict) and CWE_ID.match(str(desc.get("value", ""))):
                found.append(str(desc["value"]))
    return unique(found)


def _references(
    cve: dict[str, Any], where: str, problems: Problems, cve_id: str
) -> tuple[str, ...]:
    urls = [
        str(ref["url"])
        for ref in get_list(cve, "references", where, problems, cve_id)
        if isinstance(ref, dict) and isinstance(ref.get("url"), str)
    ]
    return unique(urls)


def _exploit_references(cve: dict[str, Any]) -> tuple[str, ...]:
    refs = cve.get("references")
    if not isinstance(refs, list):
        return ()
    return unique(
        [
            str(ref["url"])
            for ref in refs
            if isinstance(ref, dict)
            and isinstance(ref.get("url"), str)
            and isinstance(ref.get("tags"), list)
            and "Exploit" in ref["tags"]
        ]
    )


def _configurations(
    cve: dict[str, Any], where: str, problems: Problems, cve_id: str
) -> list[dict[str, Any]]:
    configurations = get_list(cve, "configurations", where, problems, cve_id)
    kept: list[dict[str, Any]] = []
    for index, config in enumerate(configurations):
        if isinstance(config, dict) and isinstance(config.get("nodes"), list):
            kept.append(config)
        else:
            problems.add(
                "configuration without a `nodes` array: skipped",
                field=f"{where}/configurations/{index}",
                record=cve_id,
            )
    return kept


def _scores(
    cve: dict[str, Any], where: str, problems: Problems, cve_id: str, validate: bool
) -> tuple[CvssScore, ...]:
    metrics = get_dict(cve, "metrics", where, problems, cve_id)
    if not metrics:
        return ()
    primary: list[CvssScore] = []
    secondary: list[CvssScore] = []
    for key in _METRIC_KEYS:
        for index, metric in enumerate(
            get_list(metrics, key, f"{where}/metrics", problems, cve_id)
        ):
            at = f"{where}/metrics/{key}/{index}"
            score = _score(metric, at, problems, cve_id, validate)
            if score is None:
                continue
            target = (
                primary
                if isinstance(metric, dict) and metric.get("type") == "Primary"
                else secondary
            )
            target.append(score)
    return (*primary, *secondary)


def _score(
    metric: object, at: str, problems: Problems, cve_id: str, validate: bool
) -> CvssScore | None:
    if not isinstance(metric, dict):
        problems.add("expected an object", field=at, record=cve_id)
        return None
    data = metric.get("cvssData")
    if not isinstance(data, dict):
        problems.add("metric without `cvssData`", field=at, record=cve_id)
        return None
    vector = data.get("vectorString")
    version = data.get("version")
    base = data.get("baseScore")
    if (
        not isinstance(vector, str)
        or not isinstance(version, str)
        or not isinstance(base, int | float)
        or isinstance(base, bool)
    ):
        problems.add(
            "cvssData needs string `version`, `vectorString` and a numeric `baseScore`",
            field=f"{at}/cvssData",
            record=cve_id,
        )
        return None
    if validate:
        problem, _ = cvss_check(version, vector)
        if problem:
            # Kept anyway: the published score is still the best figure available.
            problems.add(problem, field=f"{at}/cvssData/vectorString", record=cve_id)
    return CvssScore(
        version=version, vector=vector, base_score=float(base), source=str(metric.get("source", ""))
    )
