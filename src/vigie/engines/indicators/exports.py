"""Writing indicators in the formats that blocking and detection tools load.

Plain blocklists and CSV (read back by our own readers), a DNS response policy zone (RPZ) for
resolvers, Suricata dataset files, and a MISP feed (`manifest.json`, `hashes.csv`, one event
per file). Framework-free: the platform chooses the rows (TLP, expiry, revocation and warning
lists are its business, never this module's) and hands over plain records in a stable order;
every writer is a generator, so a million rows never sit in memory as one string.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from pymisp import MISPEvent, MISPOrganisation

from vigie.engines.indicators.model import TLP_ORDER, IndicatorType, Tlp

__all__ = [
    "CSV_COLUMNS",
    "MISP_TYPES",
    "RPZ_TRIGGER_LABELS",
    "SURICATA_DATASETS",
    "ExportHeader",
    "ExportRecord",
    "FeedGroup",
    "MispFeed",
    "SuricataDataset",
    "csv_export",
    "plain_blocklist",
    "rpz_name",
    "rpz_serial",
    "rpz_zone",
    "suricata_dataset",
    "suricata_rule",
]

CSV_COLUMNS = ("type", "value", "tlp", "tags", "valid_until", "source")
# What the CSV reader splits a tag cell on (engines.indicators.text.split_tags).
TAG_SEPARATOR = ";"
ROWS_PER_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class ExportRecord:
    type: IndicatorType
    value: str  # normalised (normalise.normalise)
    tlp: Tlp
    tags: tuple[str, ...]
    valid_until: datetime | None
    source: str  # the publishing organisation's name
    publisher_id: str  # a stable id of the publisher: MISP events group by it
    changed_at: datetime  # the row's last change, MISP's attribute timestamp


@dataclass(frozen=True, slots=True)
class ExportHeader:
    """What a file says about itself in its comment lines."""

    title: str
    organisation: str
    generated_at: datetime
    tlps: tuple[Tlp, ...]  # the levels the file holds, least restrictive first
    count: int  # the indicators it lists


def _one_line(text: str) -> str:
    # Names come from people: a line break would end the comment and start a record.
    return "".join(" " if ch < " " or ch == "\x7f" else ch for ch in text).strip()


def _header_lines(header: ExportHeader, comment: str) -> Iterator[str]:
    levels = [tlp for tlp in TLP_ORDER if tlp in header.tlps]
    yield f"{comment} Vigie Santé: {_one_line(header.title)}\n"
    yield f"{comment} Organisation: {_one_line(header.organisation)}\n"
    yield f"{comment} Generated: {_iso(header.generated_at)}\n"
    yield f"{comment} TLP: {', '.join(f'TLP:{tlp.upper()}' for tlp in levels) or '-'}\n"
    if levels:
        # The file travels as one piece: its strictest marking is the one to respect.
        yield f"{comment} Share as TLP:{levels[-1].upper()}, the strictest marking it holds\n"
    yield f"{comment} Count: {header.count}\n"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def plain_blocklist(header: ExportHeader, values: Iterable[str]) -> Iterator[str]:
    """`#` header lines, then one value per line (what read_plain and most firewalls read)."""
    yield from _header_lines(header, "#")
    lines: list[str] = []
    for value in values:
        lines.append(value)
        if len(lines) == ROWS_PER_CHUNK:
            yield "\n".join(lines) + "\n"
            lines.clear()
    if lines:
        yield "\n".join(lines) + "\n"


# A spreadsheet runs a cell starting with these as a formula (OWASP "CSV injection"); values
# are normalised indicators and cannot start so, but tags and names are free text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_export(records: Iterable[ExportRecord]) -> Iterator[str]:
    """The indicator CSV of docs INTERFACES, as engines.indicators.read_csv reads it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rows, record in enumerate(records, start=1):
        writer.writerow(
            (
                record.type.value,
                record.value,
                f"TLP:{record.tlp.upper()}",
                _cell(TAG_SEPARATOR.join(record.tags)),
                _iso(record.valid_until) if record.valid_until is not None else "",
                _cell(record.source),
            )
        )
        if rows % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- DNS response policy zone -------------------------------------------------------------------

# Owner names ending in these labels are RPZ triggers on addresses and name servers, not on
# the query name: a "domain" such as 32.1.0.0.10.rpz-ip would block answers by address.
RPZ_TRIGGER_LABELS = frozenset({"rpz-ip", "rpz-nsip", "rpz-nsdname", "rpz-client-ip"})
_MAX_LABEL = 63
_MAX_NAME = 255  # octets on the wire, root label included (RFC 1035, 2.3.4)
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*")


def _escape_label(label: bytes) -> str:
    # RFC 1035 5.1: `\X` quotes a printable character, `\DDD` any octet, in master files.
    out = []
    for octet in label:
        char = chr(octet)
        if char in _PLAIN:
            out.append(char)
        elif 0x21 <= octet <= 0x7E:
            out.append("\\" + char)
        else:
            out.append(f"\\{octet:03d}")
    return "".join(out)


def rpz_name(name: str, origin: str) -> str | None:
    """`name` as a relative owner name of the zone `origin`, escaped; None if it cannot be one.

    None for an empty label, a label over 63 octets, a name that would pass 255 octets under
    the origin, or an RPZ trigger label: one bad line makes a resolver refuse the whole zone.
    """
    labels = [label.encode() for label in name.split(".")]
    if not name or any(not label or len(label) > _MAX_LABEL for label in labels):
        return None
    if labels[-1].decode().lower() in RPZ_TRIGGER_LABELS:
        return None
    origin_octets = sum(len(label) + 1 for label in origin.strip(".").encode().split(b".")) + 1
    if sum(len(label) + 1 for label in labels) + origin_octets > _MAX_NAME:
        return None
    return ".".join(_escape_label(label) for label in labels)


def rpz_serial(moment: datetime) -> int:
    """An SOA serial from a time (seconds since 1970, RFC 1982 arithmetic on 32 bits)."""
    return int(moment.timestamp()) % 2**32


def rpz_zone(
    header: ExportHeader,
    origin: str,
    domains: Iterable[str],
    *,
    ttl: int = 300,
) -> Iterator[str]:
    """A response policy zone answering NXDOMAIN (`CNAME .`) for each name and its subdomains.

    `origin` is the zone's name as the resolver configures it (`rpz.example.`); domains are
    normalised names, written relative to it. Names that cannot be owner names are counted
    in the last comment line instead of breaking the zone.
    """
    zone = origin.strip(".") + "."
    serial = rpz_serial(header.generated_at)
    yield from _header_lines(header, ";")
    yield f"$ORIGIN {zone}\n"
    yield f"$TTL {ttl}\n"
    # RPZ zones are never resolved from the root: localhost is the conventional name server.
    # refresh 1h, retry 10min, expire 1 week, negative TTL = the record TTL.
    yield f"@ SOA localhost. hostmaster.localhost. {serial} 3600 600 604800 {ttl}\n"
    yield "@ NS localhost.\n"
    lines: list[str] = []
    skipped = 0
    for domain in domains:
        owner = rpz_name(domain, zone)
        wildcard = rpz_name("*." + domain, zone) if owner is not None else None
        if owner is None:
            skipped += 1
            continue
        lines.append(f"{owner} CNAME .\n")
        if wildcard is not None:
            lines.append(f"{wildcard} CNAME .\n")
        if len(lines) >= ROWS_PER_CHUNK:
            yield "".join(lines)
            lines.clear()
    yield "".join(lines)
    if skipped:
        yield f"; Skipped: {skipped} names that cannot be written in this zone\n"


# --- Suricata datasets ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SuricataDataset:
    suricata_type: str  # the dataset `type` option, and how the file writes items
    types: tuple[IndicatorType, ...]  # the indicator types it holds
    protocol: str  # of the example rule
    detection: str  # the example rule's match, with {name} and {file}


# Suricata's file format (userguide, rules/datasets.rst, "File formats"): one item per line;
# `string` items base64-encoded, md5/sha256 in hex, ipv4/ip addresses as text. A dataset
# matches a whole buffer: `dns.query` is the exact name (the RPZ also covers subdomains);
# `ip.dst` needs Suricata 7. Hash lists are also what `filemd5`/`filesha256` load, which
# hash whole files (a dataset would only see one buffer of a file).
SURICATA_DATASETS: dict[str, SuricataDataset] = {
    "domain": SuricataDataset(
        "string",
        (IndicatorType.DOMAIN,),
        "dns",
        "dns.query; dataset:isset,{name}, type string, load {file}",
    ),
    "md5": SuricataDataset("md5", (IndicatorType.MD5,), "http", "filemd5:{file}"),
    "sha256": SuricataDataset("sha256", (IndicatorType.SHA256,), "http", "filesha256:{file}"),
    "ipv4": SuricataDataset(
        "ipv4", (IndicatorType.IPV4,), "ip", "ip.dst; dataset:isset,{name}, type ipv4, load {file}"
    ),
    "ip": SuricataDataset(
        "ip",
        (IndicatorType.IPV4, IndicatorType.IPV6),
        "ip",
        "ip.dst; dataset:isset,{name}, type ip, load {file}",
    ),
}


def suricata_dataset(kind: str, values: Iterable[str]) -> Iterator[str]:
    """A dataset file: no header (Suricata reads every line as an item)."""
    encode = SURICATA_DATASETS[kind].suricata_type == "string"
    lines: list[str] = []
    for value in values:
        lines.append(base64.b64encode(value.encode()).decode() if encode else value)
        if len(lines) == ROWS_PER_CHUNK:
            yield "\n".join(lines) + "\n"
            lines.clear()
    if lines:
        yield "\n".join(lines) + "\n"


def suricata_rule(kind: str, *, file_name: str, sid: int) -> str:
    """An example rule loading the file (a path relative to the rule file) and alerting on it."""
    dataset = SURICATA_DATASETS[kind]
    detection = dataset.detection.format(name=f"vigie-{kind}", file=file_name)
    return (
        f"alert {dataset.protocol} any any -> any any "
        f'(msg:"Vigie Sante indicator ({kind})"; {detection}; sid:{sid}; rev:1;)'
    )


# --- MISP feed ------------------------------------------------------------------------------------

# Our types as MISP attribute types (MISP's describeTypes): addresses and networks are
# destinations a host talks to, a mail address the sender of a phishing message.
MISP_TYPES: dict[IndicatorType, str] = {
    IndicatorType.DOMAIN: "domain",
    IndicatorType.IPV4: "ip-dst",
    IndicatorType.IPV6: "ip-dst",
    IndicatorType.CIDR: "ip-dst",
    IndicatorType.URL: "url",
    IndicatorType.MD5: "md5",
    IndicatorType.SHA1: "sha1",
    IndicatorType.SHA256: "sha256",
    IndicatorType.EMAIL: "email-src",
}
# PyMISP sorts nothing and iterates over sets: sorted keys make a re-export byte-identical.
_JSON = orjson.OPT_SORT_KEYS


@dataclass(frozen=True, slots=True)
class FeedGroup:
    """One MISP event: the rows of one publisher under one marking."""

    publisher_id: str
    publisher: str
    tlp: Tlp
    first_seen: datetime  # the event's date
    changed_at: datetime  # the event's timestamp: MISP fetches the event again when it grows
    count: int


@dataclass(frozen=True, slots=True)
class MispFeed:
    """The MISP feed of one reader, with stable ids (uuid5) so that re-exports update events.

    `reader` (the reading organisation) is part of every event id: two organisations see
    different rows of the same publisher, and one MISP pulling both feeds must not overwrite
    one's event with the other's. RED rows also depend on the person (`person`).
    """

    namespace: uuid.UUID  # the installation's
    reader: str
    person: str

    def event_uuid(self, publisher_id: str, tlp: Tlp) -> str:
        audience = f"{self.reader}/{self.person}" if tlp is Tlp.RED else self.reader
        return str(uuid.uuid5(self.namespace, f"misp-event/{audience}/{publisher_id}/{tlp}"))

    def organisation_uuid(self, publisher_id: str) -> str:
        return str(uuid.uuid5(self.namespace, f"misp-organisation/{publisher_id}"))

    def _event(self, group: FeedGroup) -> MISPEvent:
        event = MISPEvent()
        event.uuid = self.event_uuid(group.publisher_id, group.tlp)
        event.info = f"{_one_line(group.publisher)}: indicators TLP:{group.tlp.upper()}"
        orgc = MISPOrganisation()
        orgc.name = _one_line(group.publisher)
        orgc.uuid = self.organisation_uuid(group.publisher_id)
        event.Orgc = orgc
        event.set_date(group.first_seen.astimezone(UTC).date())
        event.timestamp = int(group.changed_at.timestamp())
        event.publish_timestamp = int(group.changed_at.timestamp())
        event.published = True
        event.analysis = 2  # completed
        event.threat_level_id = 4  # undefined: the TLP and tags say more than a level would
        event.add_tag(f"tlp:{group.tlp}")
        return event

    def manifest(self, groups: Iterable[FeedGroup]) -> bytes:
        """`manifest.json`: what MISP reads first, to know which events changed."""
        entries: dict[str, object] = {}
        for group in groups:
            entries.update(self._event(group).manifest)
        return orjson.dumps(entries, option=_JSON)

    def event_json(self, group: FeedGroup, records: Iterable[ExportRecord]) -> Iterator[bytes]:
        """`<uuid>.json`, written attribute chunk by attribute chunk."""
        envelope = orjson.dumps(self._event(group).to_feed()["Event"], option=_JSON)
        # `{..."uuid":"…"}` + `,"Attribute":[…]}`: the event's keys, then its attributes.
        yield b'{"Event":' + envelope[:-1] + b',"Attribute":['
        first = True
        chunk: list[ExportRecord] = []
        for record in records:
            chunk.append(record)
            if len(chunk) == ROWS_PER_CHUNK:
                yield self._attributes(group, chunk, first)
                first = False
                chunk.clear()
        if chunk:
            yield self._attributes(group, chunk, first)
        yield b"]}}"

    def _attributes(self, group: FeedGroup, records: list[ExportRecord], first: bool) -> bytes:
        event = self._event(group)
        event_id = uuid.UUID(event.uuid)
        for record in records:
            comment = ""
            if record.valid_until is not None:
                comment = f"valid until {_iso(record.valid_until)}"
            event.add_attribute(
                MISP_TYPES[record.type],
                record.value,
                to_ids=True,
                uuid=str(uuid.uuid5(event_id, f"{record.type}/{record.value}")),
                timestamp=int(record.changed_at.timestamp()),
                comment=comment,
                Tag=[{"name": tag} for tag in record.tags],
            )
        items = event.to_feed()["Event"].get("Attribute", [])
        body = b",".join(orjson.dumps(item, option=_JSON) for item in items)
        return body if first else b"," + body

    def hashes_csv(self, records: Iterable[ExportRecord]) -> Iterator[bytes]:
        """`hashes.csv`: `md5(value),event uuid` per attribute, what MISP correlates on."""
        lines: list[str] = []
        for record in records:
            # MISP's own digest of the value (PyMISP attribute.hash_values("md5")), not a
            # security use of MD5.
            digest = hashlib.md5(record.value.encode(), usedforsecurity=False).hexdigest()
            lines.append(f"{digest},{self.event_uuid(record.publisher_id, record.tlp)}\n")
            if len(lines) == ROWS_PER_CHUNK:
                yield "".join(lines).encode()
                lines.clear()
        yield "".join(lines).encode()
