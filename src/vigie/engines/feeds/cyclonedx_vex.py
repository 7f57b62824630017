"""CycloneDX VEX (JSON, spec 1.4 to 1.6) -> VexStatement.

`vulnerabilities[].analysis.state` gives the status (CycloneDX -> VEX):
not_affected and false_positive -> not_affected, resolved and resolved_with_pedigree -> fixed,
exploitable -> affected, in_triage -> under_investigation. A per-version status in
`affects[].versions[]` (affected / unaffected / unknown) overrides it for that version.

`affects[].ref` is a bom-ref of this document, or a BOM-Link `urn:cdx:<serial>/<version>#<ref>`.
When it resolves to a component of the same document, the statement names the component's purl,
else its CPE, else `vendor|name|version`; otherwise it keeps the reference as written.

Only these few fields are read, by hand, so that each problem names its JSON path and one bad
value does not lose the document (cyclonedx-python-lib's deserializer fails whole documents
without a path); the enumerations come from that library.
"""

from __future__ import annotations

from typing import Any

from cyclonedx.model.impact_analysis import ImpactAnalysisJustification, ImpactAnalysisState
from cyclonedx.model.vulnerability import ImpactAnalysisAffectedStatus
from packageurl import PackageURL

from vigie.engines.feeds.common import Problems, as_list, get_dict, get_list, get_str
from vigie.engines.feeds.cpe_names import to_fs, with_version
from vigie.engines.records import VexStatement

_STATE = {
    ImpactAnalysisState.NOT_AFFECTED.value: "not_affected",
    ImpactAnalysisState.FALSE_POSITIVE.value: "not_affected",
    ImpactAnalysisState.RESOLVED.value: "fixed",
    ImpactAnalysisState.RESOLVED_WITH_PEDIGREE.value: "fixed",
    ImpactAnalysisState.EXPLOITABLE.value: "affected",
    ImpactAnalysisState.IN_TRIAGE.value: "under_investigation",
}
_VERSION_STATUS = {
    ImpactAnalysisAffectedStatus.AFFECTED.value: "affected",
    ImpactAnalysisAffectedStatus.UNAFFECTED.value: "not_affected",
    ImpactAnalysisAffectedStatus.UNKNOWN.value: "under_investigation",
}
_JUSTIFICATIONS = frozenset(j.value for j in ImpactAnalysisJustification)


def parse_cyclonedx_vex(doc: dict[str, Any], problems: Problems) -> list[VexStatement]:
    serial = get_str(doc, "serialNumber", "", problems).strip()
    source = f"cyclonedx:{serial}" if serial else "cyclonedx"
    components = _components(doc)
    supplier = _party_name(doc.get("metadata"))
    statements: list[VexStatement] = []
    for index, vuln in enumerate(get_list(doc, "vulnerabilities", "", problems)):
        where = f"/vulnerabilities/{index}"
        if not isinstance(vuln, dict):
            problems.add("expected an object", field=where)
            continue
        vid = get_str(vuln, "id", where, problems, required=True).strip()
        analysis = get_dict(vuln, "analysis", where, problems, vid)
        if not vid or analysis is None:
            continue  # a vulnerability without analysis is a finding, not a VEX statement
        state = get_str(analysis, "state", f"{where}/analysis", problems, vid, required=True)
        status = _STATE.get(state)
        if status is None:
            if state:
                problems.add(
                    f"unknown analysis state {state!r}", field=f"{where}/analysis/state", record=vid
                )
            continue
        justification = get_str(analysis, "justification", f"{where}/analysis", problems, vid)
        if justification and justification not in _JUSTIFICATIONS:
            problems.add(
                f"unknown justification {justification!r}",
                field=f"{where}/analysis/justification",
                record=vid,
            )
        reason = justification or get_str(analysis, "detail", f"{where}/analysis", problems, vid)
        affects = get_list(vuln, "affects", where, problems, vid)
        if not affects and supplier:
            # No `affects`: the statement covers every product of the document's supplier
            # (CycloneDX VEX use case 7), written as `supplier||`.
            statements.append(
                VexStatement(
                    vid, status, f"{supplier}||", reason if status == "not_affected" else "", source
                )
            )
        elif not affects:
            problems.add(
                "statement without `affects` or a supplier: no product to apply it to",
                field=f"{where}/affects",
                record=vid,
            )
        for aindex, affect in enumerate(affects):
            awhere = f"{where}/affects/{aindex}"
            if not isinstance(affect, dict):
                problems.add("expected an object", field=awhere, record=vid)
                continue
            ref = get_str(affect, "ref", awhere, problems, vid, required=True)
            if not ref:
                continue
            component = components.get(_local_ref(ref, serial))
            versions = get_list(affect, "versions", awhere, problems, vid)
            if not versions:
                statements.append(
                    VexStatement(
                        vid,
                        status,
                        _product(ref, component, None),
                        reason if status == "not_affected" else "",
                        source,
                    )
                )
            for vindex, item in enumerate(versions):
                vwhere = f"{awhere}/versions/{vindex}"
                if not isinstance(item, dict):
                    problems.add("expected an object", field=vwhere, record=vid)
                    continue
                version = str(item.get("version") or item.get("range") or "").strip()
                if not version:
                    problems.add(
                        "version entry needs `version` or `range`", field=vwhere, record=vid
                    )
                    continue
                item_status = _VERSION_STATUS.get(str(item.get("status", "")), status)
                statements.append(
                    VexStatement(
                        vid,
                        item_status,
                        _product(ref, component, version),
                        reason if item_status == "not_affected" else "",
                        source,
                    )
                )
    return statements


def _party_name(holder: object) -> str:
    """The supplier's (else manufacturer's) name of a component or of the BOM metadata."""
    if not isinstance(holder, dict):
        return ""
    # "manufacture" is the BOM metadata's spelling before CycloneDX 1.6.
    for key in ("supplier", "manufacturer", "manufacture"):
        party = holder.get(key)
        if isinstance(party, dict) and isinstance(party.get("name"), str):
            return str(party["name"]).strip()
    return ""


def _components(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """bom-ref -> component, for the metadata component and all nested components."""
    found: dict[str, dict[str, Any]] = {}
    metadata = doc.get("metadata")
    stack: list[Any] = [metadata.get("component")] if isinstance(metadata, dict) else []
    stack.extend(as_list(doc.get("components")))
    while stack:
        component = stack.pop()
        if not isinstance(component, dict):
            continue
        ref = component.get("bom-ref")
        if isinstance(ref, str) and ref:
            found.setdefault(ref, component)
        stack.extend(as_list(component.get("components")))
    return found


def _local_ref(ref: str, serial: str) -> str:
    """The bom-ref a reference points to in this document (a BOM-Link to this very BOM counts)."""
    if not ref.startswith("urn:cdx:"):
        return ref
    target, _, fragment = ref.partition("#")
    uuid = target[len("urn:cdx:") :].split("/", 1)[0]
    if serial and serial.removeprefix("urn:uuid:") == uuid:
        return fragment
    return ""


def _product(ref: str, component: dict[str, Any] | None, version: str | None) -> str:
    if component is None:
        return f"|{ref}|{version}" if version else ref
    purl = component.get("purl")
    cpe = component.get("cpe")
    if isinstance(purl, str) and purl:
        try:
            parsed = PackageURL.from_string(purl)
        except ValueError:
            parsed = None
        if parsed is not None and (version is None or not version.startswith("vers:")):
            if version is None:
                return purl
            return PackageURL(
                parsed.type,
                parsed.namespace,
                parsed.name,
                version,
                parsed.qualifiers,
                parsed.subpath,
            ).to_string()
    if isinstance(cpe, str) and cpe and (version is None or not version.startswith("vers:")):
        fs = to_fs(cpe)
        if fs is not None:
            return fs if version is None else with_version(fs, version)
    vendor = _party_name(component) or str(
        component.get("publisher") or component.get("group") or ""
    )
    name = str(component.get("name") or ref)
    return f"{vendor}|{name}|{version if version is not None else component.get('version', '')}"
