"""CSAF 2.0 advisories -> one VulnRecord per vulnerability, plus VEX statements.

Per vulnerability, every product named in `product_status` becomes, by what identifies it:
* a CPE helper -> a criterion of an NVD-shaped configuration (affected products only; a
  relationship whose platform also has a CPE becomes NVD's AND "running on" shape);
* a purl helper -> a PackageRange (version from the purl, else from the branch);
* neither (all CISA ICS and ICS-Medical advisories) -> a NamedProduct with the vendor and product
  names and the version expression verbatim.
`known_not_affected` and `fixed`/`first_fixed` products also give VexStatements (the CSAF VEX
profile), justified by the product's flag label, else by its `impact` threat text.

Status groups (CSAF 2.0 section 3.2.3.9): first_affected / known_affected / last_affected are
"affected", fixed / first_fixed "fixed", known_not_affected "not_affected",
under_investigation as is; `recommended` names versions to install, not a status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from packageurl import PackageURL

from vigie.engines.feeds.common import (
    Problems,
    cvss_check,
    cvss_version_of,
    get_dict,
    get_list,
    get_str,
    parse_timestamp,
    type_name,
    unique,
)
from vigie.engines.feeds.cpe_names import and_configuration, criterion, or_configuration
from vigie.engines.feeds.csaf_products import CsafProduct, ProductTree, flatten_product_tree
from vigie.engines.feeds.range_text import encode_version, free_text_to_vers
from vigie.engines.records import (
    REMEDIATION_CATEGORIES,
    CvssScore,
    NamedProduct,
    PackageRange,
    Remediation,
    VexStatement,
    VulnRecord,
)

STATUS_GROUPS = {
    "first_affected": "affected",
    "known_affected": "affected",
    "last_affected": "affected",
    "fixed": "fixed",
    "first_fixed": "fixed",
    "known_not_affected": "not_affected",
    "under_investigation": "under_investigation",
    "recommended": "",
}
_VEX_STATUSES = ("not_affected", "fixed")
# Required members of the CVSS objects in the CSAF schema (test 6.1.8 checks them).
_CVSS_REQUIRED = {
    "cvss_v2": ("version", "vectorString", "baseScore"),
    "cvss_v3": ("version", "vectorString", "baseScore", "baseSeverity"),
    "cvss_v4": ("version", "vectorString", "baseScore", "baseSeverity"),
}
_NONE_WORDS = ("no known", "not aware", "not known", "no public", "none")
_ACTIVE_WORDS = (
    "in the wild",
    "actively exploited",
    "active exploitation",
    "known to be exploited",
    "exploitation has been",
    "exploited",
)
_POC_WORDS = (
    "proof of concept",
    "proof-of-concept",
    "poc",
    "exploit code",
    "public exploit",
    "functional exploit",
    "metasploit",
)


@dataclass
class CsafResult:
    tracking_id: str
    vulns: list[VulnRecord] = field(default_factory=list)
    vex: list[VexStatement] = field(default_factory=list)


def parse_csaf(
    doc: dict[str, Any], problems: Problems, fallback_id: str = "", validate_cvss: bool = True
) -> CsafResult:
    """An advisory's vulnerabilities and VEX statements; problems name their JSON path."""
    document = get_dict(doc, "document", "", problems, required=True) or {}
    tracking = get_dict(document, "tracking", "/document", problems, required=True) or {}
    tracking_id = get_str(tracking, "id", "/document/tracking", problems, required=True).strip()
    tracking_id = tracking_id or fallback_id
    result = CsafResult(tracking_id=tracking_id)
    source = f"csaf:{tracking_id}"
    publisher = get_dict(document, "publisher", "/document", problems) or {}
    context = _Context(
        source=source,
        publisher=get_str(publisher, "name", "/document/publisher", problems),
        title=get_str(document, "title", "/document", problems),
        url=_self_url(document, problems),
        initial=tracking.get("initial_release_date"),
        current=tracking.get("current_release_date"),
        tree=flatten_product_tree(doc, problems),
        validate_cvss=validate_cvss,
    )
    vulnerabilities = get_list(doc, "vulnerabilities", "", problems)
    named_in_document = tuple(
        dict.fromkeys(
            (p.vendor, p.product)
            for p in context.tree.products.values()
            if not p.cpe and not p.purl and p.product
        )
    )
    for index, vuln in enumerate(vulnerabilities):
        where = f"/vulnerabilities/{index}"
        if not isinstance(vuln, dict):
            problems.add(f"expected an object, found {type_name(vuln)}", field=where)
            continue
        default_id = tracking_id if len(vulnerabilities) == 1 else f"{tracking_id}#{index + 1}"
        record, statements = _vulnerability(vuln, where, default_id, context, problems)
        record.document_products = named_in_document
        result.vulns.append(record)
        # Several relationship products (one firmware on twenty devices) give the same statement.
        result.vex.extend(dict.fromkeys(statements))
    return result


@dataclass
class _Context:
    source: str
    publisher: str
    title: str
    url: str
    initial: object
    current: object
    tree: ProductTree
    validate_cvss: bool


def _vulnerability(
    vuln: dict[str, Any], where: str, default_id: str, ctx: _Context, problems: Problems
) -> tuple[VulnRecord, list[VexStatement]]:
    cve = get_str(vuln, "cve", where, problems).strip()
    other_ids = [
        str(i["text"]).strip()
        for i in get_list(vuln, "ids", where, problems)
        if isinstance(i, dict) and isinstance(i.get("text"), str)
    ]
    vid = cve or (other_ids[0] if other_ids else default_id)
    statuses = _statuses(vuln, where, ctx.tree, problems, vid)
    justifications = _justifications(vuln, where, ctx.tree, problems, vid)

    named: list[NamedProduct] = []
    packages: list[PackageRange] = []
    criteria: list[dict[str, Any]] = []
    joined: list[dict[str, Any]] = []
    statements: list[VexStatement] = []
    for pid, status in statuses.items():
        product = ctx.tree.products[pid]
        if product.cpe and status == "affected":
            if product.platform is not None and product.platform.cpe:
                joined.append(
                    and_configuration(
                        [criterion(product.cpe)], [criterion(product.platform.cpe, False)]
                    )
                )
            else:
                criteria.append(criterion(product.cpe))
        if product.purl:
            package = _package(product, status, where, problems, vid)
            if package is not None:
                packages.append(package)
        if not product.cpe and not product.purl:
            named.append(
                NamedProduct(
                    vendor=product.vendor,
                    product=product.product,
                    versions=product.versions,
                    status=status,
                    product_id=pid,
                    model_numbers=product.model_numbers,
                )
            )
        if status in _VEX_STATUSES:
            statements.append(
                VexStatement(
                    vulnerability=vid,
                    status=status,
                    product=product.identity(),
                    justification=justifications.get(pid, ""),
                    source=ctx.source,
                )
            )

    configurations = ([or_configuration(criteria)] if criteria else []) + joined
    remediation_text, remediations = _remediation(vuln, where, ctx.tree, statuses, problems, vid)
    record = VulnRecord(
        id=vid,
        source=ctx.source,
        title=get_str(vuln, "title", where, problems, vid) or ctx.title,
        description=_description(vuln, where, problems, vid),
        published=parse_timestamp(
            vuln.get("release_date") or ctx.initial, f"{where}/release_date", problems, vid
        ),
        modified=parse_timestamp(
            ctx.current, "/document/tracking/current_release_date", problems, vid
        ),
        aliases=tuple(a for a in unique([cve, *other_ids]) if a != vid),
        cwes=_cwes(vuln, where, problems, vid),
        cvss=_scores(vuln, where, ctx, problems, vid),
        configurations=configurations,
        named_products=tuple(dict.fromkeys(named)),
        packages=tuple(dict.fromkeys(packages)),
        references=unique(
            [
                str(r["url"])
                for r in get_list(vuln, "references", where, problems)
                if isinstance(r, dict) and isinstance(r.get("url"), str)
            ]
        ),
        ssvc_exploitation=_exploitation(vuln),
        remediation=remediation_text,
        remediations=remediations,
        url=ctx.url,
    )
    return record, statements


def _statuses(
    vuln: dict[str, Any], where: str, tree: ProductTree, problems: Problems, vid: str
) -> dict[str, str]:
    """product id -> status group; contradicting groups reported (test 6.1.6), first kept."""
    product_status = get_dict(vuln, "product_status", where, problems, vid) or {}
    swhere = f"{where}/product_status"
    found: dict[str, str] = {}
    for key, ids in product_status.items():
        group = STATUS_GROUPS.get(key)
        if group is None:
            problems.add(f"unknown product status {key!r}", field=f"{swhere}/{key}", record=vid)
            continue
        if not isinstance(ids, list):
            problems.add(
                f"expected an array, found {type_name(ids)}", field=f"{swhere}/{key}", record=vid
            )
            continue
        for pid in tree.resolve(ids, [], f"{swhere}/{key}", problems, vid):
            if not group:
                continue
            previous = found.setdefault(pid, group)
            if previous != group:
                problems.add(
                    f"product {pid!r} is both {previous} and {group}",
                    field=f"{swhere}/{key}",
                    record=vid,
                )
    return found


def _justifications(
    vuln: dict[str, Any], where: str, tree: ProductTree, problems: Problems, vid: str
) -> dict[str, str]:
    """product id -> VEX justification: the flag label, else the `impact` threat's text."""
    found: dict[str, str] = {}
    for index, flag in enumerate(get_list(vuln, "flags", where, problems, vid)):
        fwhere = f"{where}/flags/{index}"
        if not isinstance(flag, dict):
            problems.add("expected an object", field=fwhere, record=vid)
            continue
        label = get_str(flag, "label", fwhere, problems, vid, required=True)
        for pid in tree.resolve(
            get_list(flag, "product_ids", fwhere, problems, vid),
            get_list(flag, "group_ids", fwhere, problems, vid),
            fwhere,
            problems,
            vid,
        ):
            found.setdefault(pid, label)
    for index, threat in enumerate(get_list(vuln, "threats", where, problems, vid)):
        twhere = f"{where}/threats/{index}"
        if not isinstance(threat, dict):
            problems.add("expected an object", field=twhere, record=vid)
            continue
        details = get_str(threat, "details", twhere, problems, vid)
        for pid in tree.resolve(
            get_list(threat, "product_ids", twhere, problems, vid),
            get_list(threat, "group_ids", twhere, problems, vid),
            twhere,
            problems,
            vid,
        ):
            if threat.get("category") == "impact":
                found.setdefault(pid, details)
    return found


def _package(
    product: CsafProduct, status: str, where: str, problems: Problems, vid: str
) -> PackageRange | None:
    purl = PackageURL.from_string(product.purl)  # validated when the tree was flattened
    base = PackageURL(type=purl.type, namespace=purl.namespace, name=purl.name).to_string()
    if purl.version:
        vers = f"vers:{purl.type}/{encode_version(purl.version)}"
    elif product.versions.startswith("vers:"):
        vers = product.versions
    elif product.versions and product.exact_version:
        vers = f"vers:{purl.type}/{encode_version(product.versions)}"
    elif product.versions:
        converted = free_text_to_vers(product.versions, purl.type)
        if converted is None:
            problems.add(
                f"version range {product.versions!r} of {product.product_id!r} cannot "
                "be written as a vers range: package not kept",
                field=where,
                record=vid,
            )
            return None
        vers = converted
    else:
        vers = f"vers:{purl.type}/*"
    return PackageRange(purl=base, vers=vers, status=status, product_id=product.product_id)


def _scores(
    vuln: dict[str, Any], where: str, ctx: _Context, problems: Problems, vid: str
) -> tuple[CvssScore, ...]:
    found: list[CvssScore] = []
    for index, score in enumerate(get_list(vuln, "scores", where, problems, vid)):
        swhere = f"{where}/scores/{index}"
        if not isinstance(score, dict):
            problems.add("expected an object", field=swhere, record=vid)
            continue
        ctx.tree.resolve(
            get_list(score, "products", swhere, problems, vid), [], swhere, problems, vid
        )
        for key, required in _CVSS_REQUIRED.items():
            data = score.get(key)
            if data is None:
                continue
            cvss = _cvss(data, f"{swhere}/{key}", required, ctx, problems, vid)
            if cvss is not None:
                found.append(cvss)
    return tuple(dict.fromkeys(found))


def _cvss(
    data: object, where: str, required: tuple[str, ...], ctx: _Context, problems: Problems, vid: str
) -> CvssScore | None:
    if not isinstance(data, dict):
        problems.add(f"expected an object, found {type_name(data)}", field=where, record=vid)
        return None
    missing = [k for k in required if k not in data]
    if missing:
        problems.add(f"CVSS object lacks {', '.join(missing)}", field=where, record=vid)
    vector, base = data.get("vectorString"), data.get("baseScore")
    if not isinstance(vector, str) or isinstance(base, bool) or not isinstance(base, int | float):
        return None
    version = str(data.get("version") or cvss_version_of(vector))
    if ctx.validate_cvss:
        problem, computed = cvss_check(version, vector)
        if problem:
            problems.add(problem, field=f"{where}/vectorString", record=vid)
        elif computed is not None and abs(computed - float(base)) > 0.05:
            problems.add(
                f"baseScore {base} differs from {computed} computed from the vector",
                field=f"{where}/baseScore",
                record=vid,
            )
    return CvssScore(version=version, vector=vector, base_score=float(base), source=ctx.publisher)


def _description(vuln: dict[str, Any], where: str, problems: Problems, vid: str) -> str:
    notes = [n for n in get_list(vuln, "notes", where, problems, vid) if isinstance(n, dict)]
    for category in ("summary", "description", "details", "general"):
        for note in notes:
            if note.get("category") == category and isinstance(note.get("text"), str):
                return str(note["text"])
    return ""


def _cwes(vuln: dict[str, Any], where: str, problems: Problems, vid: str) -> tuple[str, ...]:
    found: list[str] = []
    cwe = get_dict(vuln, "cwe", where, problems, vid)
    if cwe is not None:
        found.append(get_str(cwe, "id", f"{where}/cwe", problems, vid))
    # CSAF 2.1 replaces `cwe` by a `cwes` array.
    found.extend(
        str(c.get("id", ""))
        for c in get_list(vuln, "cwes", where, problems, vid)
        if isinstance(c, dict)
    )
    return unique(found)


def _remediation(
    vuln: dict[str, Any],
    where: str,
    tree: ProductTree,
    statuses: dict[str, str],
    problems: Problems,
    vid: str,
) -> tuple[str, tuple[Remediation, ...]]:
    """The remediations as one English text (kept for exports) and as codes with values."""
    lines: list[str] = []
    found: list[Remediation] = []
    for index, item in enumerate(get_list(vuln, "remediations", where, problems, vid)):
        rwhere = f"{where}/remediations/{index}"
        if not isinstance(item, dict):
            problems.add("expected an object", field=rwhere, record=vid)
            continue
        pids = tree.resolve(
            get_list(item, "product_ids", rwhere, problems, vid),
            get_list(item, "group_ids", rwhere, problems, vid),
            rwhere,
            problems,
            vid,
        )
        category = get_str(item, "category", rwhere, problems, vid, required=True)
        details = get_str(item, "details", rwhere, problems, vid, required=True).strip()
        url = get_str(item, "url", rwhere, problems, vid)
        if details or url:
            lines.append(f"{category}: {details}" + (f" ({url})" if url else ""))
        if category not in REMEDIATION_CATEGORIES:
            if category:
                problems.add(
                    f"unknown remediation category {category!r}",
                    field=f"{rwhere}/category",
                    record=vid,
                )
            continue
        products = [tree.products[pid] for pid in pids]
        found.append(
            Remediation(
                category=category,
                details=details,
                url=url.strip(),
                date=get_str(item, "date", rwhere, problems, vid).strip(),
                products=tuple(dict.fromkeys(_criterion_of(p) for p in products)),
                product_ids=tuple(pids),
                fixed_in=_fixed_versions(products, tree, statuses)
                if category == "vendor_fix"
                else (),
            )
        )
    return "\n".join(dict.fromkeys(lines)), tuple(dict.fromkeys(found))


def _criterion_of(product: CsafProduct) -> str:
    """The product as the matchers write `Match.criterion` for it (CPE, bare purl, names)."""
    if product.cpe:
        return product.cpe
    if product.purl:
        purl = PackageURL.from_string(product.purl)
        return PackageURL(type=purl.type, namespace=purl.namespace, name=purl.name).to_string()
    return f"{product.vendor} {product.product}".strip()


def _fixed_versions(
    products: list[CsafProduct], tree: ProductTree, statuses: dict[str, str]
) -> tuple[str, ...]:
    """Exact versions the advisory lists as fixed for the products a vendor fix names.

    A vendor fix usually names the affected products; the fixed ones are their siblings in the
    tree (same vendor and product name, `fixed` / `first_fixed` status, one exact version).
    """
    names = {(p.vendor, p.product) for p in products}
    versions: list[str] = []
    for pid, status in statuses.items():
        fixed = tree.products[pid]
        if status != "fixed" or (fixed.vendor, fixed.product) not in names:
            continue
        version = PackageURL.from_string(fixed.purl).version if fixed.purl else None
        if version:
            versions.append(version)
        elif fixed.exact_version and fixed.versions:
            versions.append(fixed.versions)
    return tuple(dict.fromkeys(versions))


def _exploitation(vuln: dict[str, Any]) -> str | None:
    """SSVC Exploitation read from `exploit_status` threats (free text, so by key phrases)."""
    level: str | None = None
    rank = {"none": 0, "poc": 1, "active": 2}
    threats = vuln.get("threats")  # its shape was checked by _justifications
    for threat in threats if isinstance(threats, list) else []:
        if not isinstance(threat, dict) or threat.get("category") != "exploit_status":
            continue
        text = str(threat.get("details", "")).lower()
        if any(w in text for w in _NONE_WORDS):
            found = "none"
        elif any(w in text for w in _ACTIVE_WORDS):
            found = "active"
        elif any(w in text for w in _POC_WORDS):
            found = "poc"
        else:
            continue
        if level is None or rank[found] > rank[level]:
            level = found
    return level


def _self_url(document: dict[str, Any], problems: Problems) -> str:
    refs = get_list(document, "references", "/document", problems)
    for ref in refs:
        if (
            isinstance(ref, dict)
            and ref.get("category") == "self"
            and isinstance(ref.get("url"), str)
        ):
            return str(ref["url"])
    return ""
