"""Known-exploited catalogues -> KevEntry: CISA KEV (JSON and CSV) and the EU KEV (ENISA/CNW).

CISA: `knownRansomwareCampaignUse` is "Known" or "Unknown"; dates are YYYY-MM-DD.
EU KEV: `dateReported` is written YYYY/MM/DD (made ISO here); ransomware use is an
`exploitationType` of "ransomware"; it has no required action or due date.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

from vigie.engines.feeds.common import CVE_ID, Problems, get_list, type_name
from vigie.engines.records import KevEntry

CISA_CSV_HEADER = ("cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EU_DATE = re.compile(r"^(\d{4})[/-](\d{2})[/-](\d{2})$")


def cisa_entry(item: dict[str, Any], where: str, problems: Problems) -> KevEntry | None:
    """One CISA KEV object (a `vulnerabilities[]` item, or a CSV row as a dict)."""
    cve = _cve(item.get("cveID"), _at(where, "cveID"), problems)
    if cve is None:
        return None
    date_added = str(item.get("dateAdded") or "").strip()
    if not _ISO_DATE.match(date_added):
        problems.add(
            f"dateAdded is not a YYYY-MM-DD date: {date_added!r}",
            field=_at(where, "dateAdded"),
            record=cve,
        )
        return None
    ransomware = str(item.get("knownRansomwareCampaignUse") or "").strip()
    if ransomware not in ("Known", "Unknown", ""):
        problems.add(
            f"unexpected knownRansomwareCampaignUse {ransomware!r}",
            field=_at(where, "knownRansomwareCampaignUse"),
            record=cve,
        )
    return KevEntry(
        cve=cve,
        catalogue="cisa",
        date_added=date_added,
        ransomware=ransomware.lower() == "known",
        vendor=_text(item.get("vendorProject")),
        product=_text(item.get("product")),
        name=_text(item.get("vulnerabilityName")),
        due_date=_text(item.get("dueDate")),
        required_action=_text(item.get("requiredAction")),
    )


def eu_entry(item: dict[str, Any], where: str, problems: Problems) -> KevEntry | None:
    """One EU KEV object."""
    cve = _cve(item.get("cveID"), _at(where, "cveID"), problems)
    if cve is None:
        return None
    reported = str(item.get("dateReported") or "").strip()
    match = _EU_DATE.match(reported)
    if not match:
        problems.add(
            f"dateReported is not a YYYY/MM/DD date: {reported!r}",
            field=_at(where, "dateReported"),
            record=cve,
        )
        return None
    kinds = item.get("exploitationType")
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list):
        problems.add(
            f"exploitationType should be an array, found {type_name(kinds)}",
            field=_at(where, "exploitationType"),
            record=cve,
        )
        kinds = []
    return KevEntry(
        cve=cve,
        catalogue="eu",
        date_added="-".join(match.groups()),
        ransomware=any("ransomware" in str(k).lower() for k in kinds),
        vendor=_text(item.get("vendorProject")),
        product=_text(item.get("product")),
    )


def iter_cisa_catalogue(doc: dict[str, Any], problems: Problems) -> Iterator[KevEntry]:
    """The entries of the CISA JSON catalogue `{"catalogVersion", "vulnerabilities": [...]}`."""
    for index, item in enumerate(get_list(doc, "vulnerabilities", "", problems, required=True)):
        where = f"/vulnerabilities/{index}"
        if not isinstance(item, dict):
            problems.add("expected an object", field=where)
            continue
        entry = cisa_entry(item, where, problems)
        if entry is not None:
            yield entry


def iter_cisa_csv(lines: Iterable[str], problems: Problems) -> Iterator[KevEntry]:
    """The CISA catalogue as CSV (header row first; quoted fields may span lines)."""
    reader = csv.reader(lines)
    header: list[str] | None = None
    previous_end = 0
    try:
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if header is None:
                header = [h.strip().lstrip("\ufeff") for h in row]
                missing = [h for h in CISA_CSV_HEADER if h not in header]
                if missing:
                    problems.add(f"not a CISA KEV header: missing {', '.join(missing)}", line=start)
                    return
                continue
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.add(f"expected {len(header)} columns, found {len(row)}", line=start)
                continue
            problems.line = start
            entry = cisa_entry(dict(zip(header, row, strict=True)), "", problems)
            problems.line = None
            if entry is not None:
                yield entry
    except csv.Error as exc:
        problems.add(f"CSV syntax error: {exc}", line=reader.line_num)


def _cve(value: object, where: str, problems: Problems) -> str | None:
    cve = str(value or "").strip()
    if not CVE_ID.match(cve):
        problems.add(f"not a CVE id: {value!r}", field=where)
        return None
    return cve


def _at(where: str, key: str) -> str:
    """A JSON pointer below `where`, or the bare column name for CSV rows (where == "")."""
    return f"{where}/{key}" if where else key


def _text(value: object) -> str:
    return str(value).strip() if value is not None else ""
