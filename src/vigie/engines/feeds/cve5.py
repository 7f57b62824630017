"""CVE JSON 5 records (cvelistV5, CISA vulnrichment) -> VulnRecord(source="cve5").

* The CNA container's `affected` entries become NamedProducts (vendor/product names with one
  `vers:` string per version run, see cve5_versions) or PackageRanges when the entry names a
  package (`packageURL`, or `collectionURL` + `packageName` of a known ecosystem).
* `cpeApplicability` (NVD configuration shape) is passed through as `configurations`; without it,
  the CPEs listed in `affected[].cpes` (CNA first, else the CISA ADP's) are turned into one OR
  configuration.
* The CISA ADP container gives SSVC (Exploitation / Automatable / Technical Impact), CVSS scores
  when the CNA gives none of that version, and CWEs when the CNA gives none.
"""

from __future__ import annotations

from typing import Any

from packageurl import PackageURL

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
from vigie.engines.feeds.cpe_names import or_configuration
from vigie.engines.feeds.cve5_versions import (
    STATUS,
    UNORDERED_TYPES,
    cpe_criteria,
    scheme_for,
    segments,
    to_vers,
)
from vigie.engines.records import CvssScore, NamedProduct, PackageRange, Remediation, VulnRecord

CVE_RECORD_URL = "https://www.cve.org/CVERecord?id="
CISA_ADP = "CISA-ADP"
_METRIC_KEYS = (("cvssV4_0", "4.0"), ("cvssV3_1", "3.1"), ("cvssV3_0", "3.0"), ("cvssV2_0", "2.0"))
_SSVC_KEYS = {
    "exploitation": ("ssvc_exploitation", frozenset({"none", "poc", "active"})),
    "automatable": ("ssvc_automatable", frozenset({"yes", "no"})),
    "technical impact": ("ssvc_technical_impact", frozenset({"partial", "total"})),
}
# collectionURL prefixes of package repositories -> (purl type, purl namespace or "").
_COLLECTIONS = {
    "https://repo.maven.apache.org/maven2": ("maven", ""),
    "https://repo1.maven.org/maven2": ("maven", ""),
    "https://pypi.org": ("pypi", ""),
    "https://pypi.python.org": ("pypi", ""),
    "https://www.npmjs.com": ("npm", ""),
    "https://registry.npmjs.org": ("npm", ""),
    "https://rubygems.org": ("gem", ""),
    "https://crates.io": ("cargo", ""),
    "https://pkg.go.dev": ("golang", ""),
    "https://proxy.golang.org": ("golang", ""),
    "https://packagist.org": ("composer", ""),
    "https://www.nuget.org": ("nuget", ""),
    "https://api.nuget.org": ("nuget", ""),
    "https://hex.pm": ("hex", ""),
    "https://access.redhat.com/downloads/content/package-browser": ("rpm", "redhat"),
    "https://packages.fedoraproject.org": ("rpm", "fedora"),
}
# purl types whose versions univers compares with their own scheme.
_PURL_SCHEMES = frozenset(
    {
        "maven",
        "npm",
        "pypi",
        "gem",
        "cargo",
        "golang",
        "composer",
        "nuget",
        "hex",
        "rpm",
        "deb",
        "apk",
        "conan",
    }
)


def parse_cve5_record(
    obj: dict[str, Any], where: str, problems: Problems, validate_cvss: bool = True
) -> VulnRecord | None:
    meta = get_dict(obj, "cveMetadata", where, problems, required=True)
    if meta is None:
        return None
    cve_id = get_str(meta, "cveId", f"{where}/cveMetadata", problems, required=True).strip()
    if not cve_id:
        return None
    containers = get_dict(obj, "containers", where, problems, cve_id, required=True) or {}
    cwhere = f"{where}/containers"
    cna = get_dict(containers, "cna", cwhere, problems, cve_id) or {}
    nwhere = f"{cwhere}/cna"
    adps = [
        (i, a)
        for i, a in enumerate(get_list(containers, "adp", cwhere, problems, cve_id))
        if isinstance(a, dict)
    ]
    cisa = [
        (i, a)
        for i, a in adps
        if isinstance(a.get("providerMetadata"), dict)
        and a["providerMetadata"].get("shortName") == CISA_ADP
    ]
    rejected = (
        get_str(meta, "state", f"{where}/cveMetadata", problems, cve_id).upper() == "REJECTED"
    )
    description = _english(get_list(cna, "descriptions", nwhere, problems, cve_id))
    if rejected and not description:
        description = _english(get_list(cna, "rejectedReasons", nwhere, problems, cve_id))

    named: list[NamedProduct] = []
    packages: list[PackageRange] = []
    fixes: list[Remediation] = []
    for index, entry in enumerate(get_list(cna, "affected", nwhere, problems, cve_id)):
        if not isinstance(entry, dict):
            problems.add("expected an object", field=f"{nwhere}/affected/{index}", record=cve_id)
            continue
        found_named, found_packages = _affected_products(
            entry, f"{nwhere}/affected/{index}", problems, cve_id
        )
        named.extend(found_named)
        packages.extend(found_packages)
        fix = _fixed_in(entry, f"{nwhere}/affected/{index}", cve_id)
        if fix is not None:
            fixes.append(fix)

    record = VulnRecord(
        id=cve_id,
        source="cve5",
        title=get_str(cna, "title", nwhere, problems, cve_id),
        description=description,
        published=parse_timestamp(
            meta.get("datePublished"), f"{where}/cveMetadata/datePublished", problems, cve_id
        ),
        modified=parse_timestamp(
            meta.get("dateUpdated"), f"{where}/cveMetadata/dateUpdated", problems, cve_id
        ),
        rejected=rejected,
        cwes=_cwes(cna) or unique([c for _, adp in cisa for c in _cwes(adp)]),
        cvss=_scores(cna, nwhere, cisa, cwhere, problems, cve_id, validate_cvss),
        configurations=_configurations(cna, nwhere, cisa, cwhere, problems, cve_id),
        named_products=tuple(dict.fromkeys(named)),
        packages=tuple(dict.fromkeys(packages)),
        references=unique([*_urls(cna), *(u for _, adp in adps for u in _urls(adp))]),
        exploit_references=unique(
            [*_urls(cna, "exploit"), *(u for _, adp in adps for u in _urls(adp, "exploit"))]
        ),
        remediation=_remediation(cna),
        remediations=tuple(dict.fromkeys((*fixes, *_advice(cna)))),
        url=CVE_RECORD_URL + cve_id,
    )
    for index, adp in cisa:
        _apply_ssvc(record, adp, f"{cwhere}/adp/{index}", problems)
    return record


# --------------------------------------------------------------------------------------------


def _affected_products(
    entry: dict[str, Any], where: str, problems: Problems, cve_id: str
) -> tuple[list[NamedProduct], list[PackageRange]]:
    vendor = get_str(entry, "vendor", where, problems, cve_id).strip()
    product = (
        get_str(entry, "product", where, problems, cve_id)
        or get_str(entry, "packageName", where, problems, cve_id)
    ).strip()
    if vendor.lower() in ("n/a", "unknown"):
        vendor = ""
    if product.lower() in ("n/a", "unknown"):
        product = ""
    purl = _package_purl(entry, where, problems, cve_id)
    if not product and purl is None:
        # MITRE-era records say `vendor: n/a, product: n/a`: nothing a matcher can use.
        return [], []
    default_type = get_str(entry, "versionType", where, problems, cve_id)
    scheme = scheme_for(default_type)
    if purl is not None and purl.type in _PURL_SCHEMES:
        scheme = purl.type
    runs: list[tuple[str, str]] = []  # (vers, CVE 5 status)
    for index, item in enumerate(get_list(entry, "versions", where, problems, cve_id)):
        at = f"{where}/versions/{index}"
        if not isinstance(item, dict):
            problems.add("expected an object", field=at, record=cve_id)
            continue
        version_type = str(item.get("versionType") or default_type)
        if version_type.lower() in UNORDERED_TYPES:
            continue  # commit ids: no version a device or package reports can be compared
        item_scheme = scheme if purl is not None else scheme_for(version_type)
        runs.extend(
            (to_vers(s, item_scheme), s.status) for s in segments(item, at, problems, cve_id)
        )
    default = get_str(entry, "defaultStatus", where, problems, cve_id)
    if default == "affected":
        # Listed runs are exceptions to "every other version is affected"; the matcher gives
        # the explicit runs precedence over this catch-all.
        runs.insert(0, ("vers:all/*", "affected"))
    if not runs:
        return [], []
    if purl is not None:
        base = PackageURL(type=purl.type, namespace=purl.namespace, name=purl.name).to_string()
        return [], [
            PackageRange(purl=base, vers=_package_vers(v, scheme), status=STATUS[s])
            for v, s in runs
        ]
    return [
        NamedProduct(vendor=vendor, product=product, versions=v, status=STATUS[s]) for v, s in runs
    ], []


def _package_vers(vers: str, scheme: str) -> str:
    return f"vers:{scheme}/*" if vers == "vers:all/*" else vers


def _package_purl(
    entry: dict[str, Any], where: str, problems: Problems, cve_id: str
) -> PackageURL | None:
    raw = entry.get("packageURL")
    if isinstance(raw, str) and raw:
        try:
            return PackageURL.from_string(raw)
        except ValueError as exc:
            problems.add(
                f"invalid packageURL {raw!r}: {exc}", field=f"{where}/packageURL", record=cve_id
            )
            return None
    collection = entry.get("collectionURL")
    name = entry.get("packageName")
    if not isinstance(collection, str) or not isinstance(name, str) or not name:
        return None
    mapped = _COLLECTIONS.get(collection.strip().rstrip("/").lower())
    if mapped is None or (":" in name and mapped[0] != "maven"):
        # Unknown repositories, and Red Hat module streams such as "postgresql:12", have no
        # purl spelling: the entry is matched by name instead.
        return None
    purl_type, namespace = mapped
    if purl_type == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif "/" in name:
        namespace, name = name.rsplit("/", 1)
    try:
        return PackageURL(type=purl_type, namespace=namespace or None, name=name)
    except ValueError as exc:
        problems.add(
            f"cannot build a purl for package {name!r}: {exc}",
            field=f"{where}/packageName",
            record=cve_id,
        )
        return None


def _configurations(
    cna: dict[str, Any],
    nwhere: str,
    cisa: list[tuple[int, dict[str, Any]]],
    cwhere: str,
    problems: Problems,
    cve_id: str,
) -> list[dict[str, Any]]:
    applicability = get_list(cna, "cpeApplicability", nwhere, problems, cve_id)
    kept = [c for c in applicability if isinstance(c, dict) and isinstance(c.get("nodes"), list)]
    if len(kept) != len(applicability):
        problems.add(
            "cpeApplicability entries need a `nodes` array; others skipped",
            field=f"{nwhere}/cpeApplicability",
            record=cve_id,
        )
    if kept:
        return kept
    criteria: list[dict[str, Any]] = []
    for index, entry in enumerate(get_list(cna, "affected", nwhere, Problems(""), cve_id)):
        if isinstance(entry, dict):
            criteria.extend(cpe_criteria(entry, f"{nwhere}/affected/{index}", problems, cve_id))
    if not criteria:
        for adp_index, adp in cisa:
            awhere = f"{cwhere}/adp/{adp_index}"
            for index, entry in enumerate(get_list(adp, "affected", awhere, problems, cve_id)):
                if isinstance(entry, dict):
                    criteria.extend(
                        cpe_criteria(entry, f"{awhere}/affected/{index}", problems, cve_id)
                    )
    return [or_configuration(criteria)] if criteria else []


def _scores(
    cna: dict[str, Any],
    nwhere: str,
    cisa: list[tuple[int, dict[str, Any]]],
    cwhere: str,
    problems: Problems,
    cve_id: str,
    validate: bool,
) -> tuple[CvssScore, ...]:
    provider = cna.get("providerMetadata")
    cna_name = str(provider.get("shortName", "")) if isinstance(provider, dict) else ""
    scores = _container_scores(cna, nwhere, cna_name, problems, cve_id, validate)
    versions = {s.version for s in scores}
    for index, adp in cisa:
        for score in _container_scores(
            adp, f"{cwhere}/adp/{index}", CISA_ADP, problems, cve_id, validate
        ):
            if score.version not in versions:
                scores.append(score)
    return tuple(scores)


def _container_scores(
    container: dict[str, Any],
    where: str,
    source: str,
    problems: Problems,
    cve_id: str,
    validate: bool,
) -> list[CvssScore]:
    found: list[CvssScore] = []
    for index, metric in enumerate(get_list(container, "metrics", where, problems, cve_id)):
        if not isinstance(metric, dict):
            continue
        for key, default_version in _METRIC_KEYS:
            data = metric.get(key)
            if not isinstance(data, dict):
                continue
            at = f"{where}/metrics/{index}/{key}"
            vector, base = data.get("vectorString"), data.get("baseScore")
            if (
                not isinstance(vector, str)
                or not isinstance(base, int | float)
                or isinstance(base, bool)
            ):
                problems.add(
                    "CVSS metric needs a `vectorString` and a numeric `baseScore`",
                    field=at,
                    record=cve_id,
                )
                continue
            version = str(data.get("version") or default_version)
            if validate:
                problem, _ = cvss_check(version, vector)
                if problem:
                    problems.add(problem, field=f"{at}/vectorString", record=cve_id)
            found.append(
                CvssScore(version=version, vector=vector, base_score=float(base), source=source)
            )
    return found


def _apply_ssvc(record: VulnRecord, adp: dict[str, Any], where: str, problems: Problems) -> None:
    for index, metric in enumerate(get_list(adp, "metrics", where, problems, record.id)):
        other = metric.get("other") if isinstance(metric, dict) else None
        if not isinstance(other, dict) or str(other.get("type", "")).lower() != "ssvc":
            continue
        content = other.get("content")
        options = content.get("options") if isinstance(content, dict) else None
        if not isinstance(options, list):
            problems.add(
                "SSVC metric without `content.options`",
                field=f"{where}/metrics/{index}/other",
                record=record.id,
            )
            continue
        for option in options:
            if not isinstance(option, dict):
                continue
            for key, value in option.items():
                target = _SSVC_KEYS.get(str(key).lower())
                if target is None:
                    continue
                attribute, allowed = target
                normalised = str(value).strip().lower()
                if normalised not in allowed:
                    problems.add(
                        f"unknown SSVC {key} value {value!r}",
                        field=f"{where}/metrics/{index}/other/content/options",
                        record=record.id,
                    )
                    continue
                setattr(record, attribute, normalised)


def _english(items: list[Any]) -> str:
    fallback = ""
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            continue
        lang = str(item.get("lang", "")).lower()
        if lang == "en" or lang.startswith(("en-", "en_")):
            return str(item["value"])
        fallback = fallback or str(item["value"])
    return fallback


def _cwes(container: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for problem_type in as_list(container.get("problemTypes")):
        if not isinstance(problem_type, dict):
            continue
        for desc in as_list(problem_type.get("descriptions")):
            if not isinstance(desc, dict):
                continue
            cwe = str(desc.get("cweId", "")).strip()
            if CWE_ID.match(cwe):
                found.append(cwe)
    return unique(found)


def _urls(container: dict[str, Any], tag: str | None = None) -> list[str]:
    refs = container.get("references")
    if not isinstance(refs, list):
        return []
    return [
        r["url"]
        for r in refs
        if isinstance(r, dict)
        and isinstance(r.get("url"), str)
        and (tag is None or (isinstance(r.get("tags"), list) and tag in r["tags"]))
    ]


def _remediation(cna: dict[str, Any]) -> str:
    parts: list[str] = []
    for key, label in (("solutions", "solution"), ("workarounds", "workaround")):
        items = cna.get(key)
        if isinstance(items, list):
            text = _english(items).strip()
            if text:
                parts.append(f"{label}: {text}")
    return "\n".join(parts)


def _advice(cna: dict[str, Any]) -> tuple[Remediation, ...]:
    """The CNA's `solutions` (a vendor fix) and `workarounds`, in English, as remediations."""
    found: list[Remediation] = []
    for key, category in (("solutions", "vendor_fix"), ("workarounds", "workaround")):
        items = cna.get(key)
        if isinstance(items, list):
            text = _english(items).strip()
            if text:
                found.append(Remediation(category=category, details=text))
    return tuple(found)


def _fixed_in(entry: dict[str, Any], where: str, cve_id: str) -> Remediation | None:
    """The versions an `affected` entry says are no longer affected: where the fix landed.

    An `unaffected` run that starts at a version (`{version: 5.12.9, lessThanOrEqual: 5.12.*}`),
    a `changes` step to `unaffected` (`at: 8.1.23-h1`), and the `lessThan` end of an affected
    range when other versions are not affected by default, begin with the fix. A run from "0"
    is the time before the flaw was introduced, and an entry with no affected version at all is
    a product the flaw never touched: neither is a fix.
    """
    purl = _package_purl(entry, where, Problems(""), cve_id)
    vendor = str(entry.get("vendor") or "").strip()
    product = str(entry.get("product") or entry.get("packageName") or "").strip()
    if vendor.lower() in ("n/a", "unknown"):
        vendor = ""
    if product.lower() in ("n/a", "unknown"):
        product = ""
    default_type = str(entry.get("versionType") or "")
    affected = entry.get("defaultStatus") == "affected"
    fixed: list[str] = []
    for index, item in enumerate(as_list(entry.get("versions"))):
        if not isinstance(item, dict):
            continue
        if str(item.get("versionType") or default_type).lower() in UNORDERED_TYPES:
            continue
        # Shapes were reported by _affected_products already: read quietly here.
        runs = segments(item, f"{where}/versions/{index}", Problems(""), cve_id)
        affected = affected or any(run.status == "affected" for run in runs)
        fixed.extend(
            start
            for run in runs
            if run.status == "unaffected"
            and (start := run.exact if run.exact is not None else run.lower)
        )
        changes = [c for c in as_list(item.get("changes")) if isinstance(c, dict)]
        # A step to unaffected at the range's very end leaves no run of its own.
        fixed.extend(str(c["at"]) for c in changes if c.get("status") == "unaffected" and "at" in c)
        less_than = item.get("lessThan")
        if (
            item.get("status") == "affected"
            and not changes
            and isinstance(less_than, str)
            and entry.get("defaultStatus") != "affected"
            and not less_than.strip().endswith("*")
        ):
            fixed.append(less_than.strip())
    if not affected or not (product or purl is not None):
        return None
    if purl is not None:
        name = PackageURL(type=purl.type, namespace=purl.namespace, name=purl.name).to_string()
    else:
        name = f"{vendor} {product}".strip()
    versions = unique([v.strip() for v in fixed if _is_plain_version(v)])
    if not versions:
        return None
    return Remediation(category="vendor_fix", products=(name,), fixed_in=versions)


def _is_plain_version(text: str) -> bool:
    """`8.1.23-h1`, `6.4-rc1`; not `All`, `2.1 All`, `< 8.0.0` or `*` (no version to install)."""
    lowered = text.strip().lower()
    return (
        bool(lowered)
        and lowered not in ("0", "*", "-", "all", "n/a", "unspecified", "unknown")
        and not any(c.isspace() for c in lowered)
        and lowered[0] not in "<>=!"
    )
