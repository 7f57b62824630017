"""VulnRecord <-> JSON for FeedRecord.record (what the matcher needs to re-evaluate later)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigie.engines.records import CvssScore, NamedProduct, PackageRange, Remediation, VulnRecord


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _datetime(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _remediation_json(item: Remediation) -> dict[str, Any]:
    return {
        "category": item.category,
        "details": item.details,
        "url": item.url,
        "date": item.date,
        "products": list(item.products),
        "product_ids": list(item.product_ids),
        "fixed_in": list(item.fixed_in),
    }


def _remediations(data: object) -> tuple[Remediation, ...]:
    """Records stored before remediations were kept have no key: they load with none."""
    return tuple(
        Remediation(
            category=str(r.get("category", "")),
            details=str(r.get("details", "")),
            url=str(r.get("url", "")),
            date=str(r.get("date", "")),
            products=tuple(r.get("products") or ()),
            product_ids=tuple(r.get("product_ids") or ()),
            fixed_in=tuple(r.get("fixed_in") or ()),
        )
        for r in (data if isinstance(data, list) else [])
        if isinstance(r, dict)
    )


def record_to_json(record: VulnRecord) -> dict[str, Any]:
    data = _record_json(record)
    if record.remediations:
        # Only when there are some: a record without any serialises exactly as before, so
        # re-importing an unchanged feed does not rewrite (and re-match) every stored record.
        data["remediations"] = [_remediation_json(r) for r in record.remediations]
    return data


def _record_json(record: VulnRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "source": record.source,
        "title": record.title,
        "description": record.description,
        "published": _iso(record.published),
        "modified": _iso(record.modified),
        "rejected": record.rejected,
        "aliases": list(record.aliases),
        "cwes": list(record.cwes),
        "references": list(record.references),
        "exploit_references": list(record.exploit_references),
        "configurations": record.configurations,
        "named_products": [
            {
                "vendor": p.vendor,
                "product": p.product,
                "versions": p.versions,
                "status": p.status,
                "product_id": p.product_id,
                "model_numbers": list(p.model_numbers),
            }
            for p in record.named_products
        ],
        "packages": [
            {"purl": p.purl, "vers": p.vers, "status": p.status, "product_id": p.product_id}
            for p in record.packages
        ],
        "cvss": [
            {
                "version": c.version,
                "vector": c.vector,
                "base_score": c.base_score,
                "source": c.source,
            }
            for c in record.cvss
        ],
        "ssvc": {
            "exploitation": record.ssvc_exploitation,
            "automatable": record.ssvc_automatable,
            "technical_impact": record.ssvc_technical_impact,
        },
        "remediation": record.remediation,
        "url": record.url,
        "document_products": [list(pair) for pair in record.document_products],
    }


def record_from_json(data: dict[str, Any]) -> VulnRecord:
    ssvc = data.get("ssvc") or {}
    return VulnRecord(
        id=data["id"],
        source=data["source"],
        title=data.get("title", ""),
        description=data.get("description", ""),
        published=_datetime(data.get("published")),
        modified=_datetime(data.get("modified")),
        rejected=bool(data.get("rejected")),
        aliases=tuple(data.get("aliases") or ()),
        cwes=tuple(data.get("cwes") or ()),
        references=tuple(data.get("references") or ()),
        exploit_references=tuple(data.get("exploit_references") or ()),
        configurations=list(data.get("configurations") or []),
        named_products=tuple(
            NamedProduct(
                vendor=p["vendor"],
                product=p["product"],
                versions=p["versions"],
                status=p.get("status", "affected"),
                product_id=p.get("product_id", ""),
                model_numbers=tuple(p.get("model_numbers") or ()),
            )
            for p in data.get("named_products") or []
        ),
        packages=tuple(
            PackageRange(
                purl=p["purl"],
                vers=p["vers"],
                status=p.get("status", "affected"),
                product_id=p.get("product_id", ""),
            )
            for p in data.get("packages") or []
        ),
        cvss=tuple(
            CvssScore(
                version=c["version"],
                vector=c["vector"],
                base_score=float(c["base_score"]),
                source=c.get("source", ""),
            )
            for c in data.get("cvss") or []
        ),
        ssvc_exploitation=ssvc.get("exploitation"),
        ssvc_automatable=ssvc.get("automatable"),
        ssvc_technical_impact=ssvc.get("technical_impact"),
        remediation=data.get("remediation", ""),
        remediations=_remediations(data.get("remediations")),
        url=data.get("url", ""),
        document_products=tuple(
            (str(pair[0]), str(pair[1]))
            for pair in data.get("document_products") or ()
            if isinstance(pair, list | tuple) and len(pair) == 2
        ),
    )
