"""OpenVEX documents (v0.0.x and v0.2.0) -> VexStatement.

A statement names one vulnerability (`vulnerability.name`, or a plain string before v0.2), a
status (not_affected / affected / fixed / under_investigation, the same words as ours) and
products: an `@id` (often a purl) or `identifiers.purl` / `identifiers.cpe23`, or plain strings.
"""

from __future__ import annotations

from typing import Any

from vigie.engines.feeds.common import Problems, get_list, get_str
from vigie.engines.feeds.cpe_names import to_fs
from vigie.engines.records import VexStatement

_STATUSES = frozenset({"not_affected", "affected", "fixed", "under_investigation"})


def parse_openvex(doc: dict[str, Any], problems: Problems) -> list[VexStatement]:
    source = "openvex:" + get_str(doc, "@id", "", problems) if doc.get("@id") else "openvex"
    statements: list[VexStatement] = []
    for index, statement in enumerate(get_list(doc, "statements", "", problems, required=True)):
        where = f"/statements/{index}"
        if not isinstance(statement, dict):
            problems.add("expected an object", field=where)
            continue
        vuln = statement.get("vulnerability")
        name = vuln.get("name") if isinstance(vuln, dict) else vuln
        if not isinstance(name, str) or not name.strip():
            problems.add("statement without a vulnerability name", field=f"{where}/vulnerability")
            continue
        status = get_str(statement, "status", where, problems, name, required=True)
        if status not in _STATUSES:
            if status:
                problems.add(f"unknown status {status!r}", field=f"{where}/status", record=name)
            continue
        justification = get_str(statement, "justification", where, problems, name) or get_str(
            statement, "impact_statement", where, problems, name
        )
        products = get_list(statement, "products", where, problems, name)
        if not products:
            problems.add("statement without products", field=f"{where}/products", record=name)
        for pindex, product in enumerate(products):
            identity = _identity(product)
            if not identity:
                problems.add(
                    "product without @id, purl or cpe23",
                    field=f"{where}/products/{pindex}",
                    record=name,
                )
                continue
            statements.append(
                VexStatement(
                    vulnerability=name.strip(),
                    status=status,
                    product=identity,
                    justification=justification if status == "not_affected" else "",
                    source=source,
                )
            )
    return statements


def _identity(product: object) -> str:
    if isinstance(product, str):
        return product.strip()
    if not isinstance(product, dict):
        return ""
    identifiers = product.get("identifiers")
    if isinstance(identifiers, dict):
        for key in ("purl", "cpe23", "cpe22"):
            value = identifiers.get(key)
            if isinstance(value, str) and value.strip():
                # CPE 2.2 URIs are rewritten in the 2.3 form the rest of the engines read.
                return (to_fs(value) or value.strip()) if key == "cpe22" else value.strip()
    value = product.get("@id")
    return value.strip() if isinstance(value, str) else ""
