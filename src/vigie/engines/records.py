"""Plain records exchanged between the framework-free engines and the Django apps.

The engines read outside data (inventories, feeds) into these records and match them;
the Django apps store them and turn matches into alerts. Nothing here imports Django.
Every field is plain Python data so records pickle, compare and serialise cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeAlias

AssetKind = Literal[
    "server",
    "workstation",
    "network",
    "medical-device",
    "application",
    "os",
    "firmware",
    "hardware",
    "library",
    "iot",
    "other",
]
ASSET_KINDS: tuple[str, ...] = (
    "server",
    "workstation",
    "network",
    "medical-device",
    "application",
    "os",
    "firmware",
    "hardware",
    "library",
    "iot",
    "other",
)
CRITICALITIES: tuple[str, ...] = ("life-sustaining", "clinical", "business", "support")
EXPOSURES: tuple[str, ...] = ("internet", "vendor-remote", "internal", "isolated")

Confidence = Literal["high", "medium", "low"]
Priority = Literal["act", "attend", "track*", "track"]


@dataclass(frozen=True, slots=True)
class InputError:
    """One problem found in outside input, precise enough for a person to fix the file."""

    file: str
    message: str
    line: int | None = None  # 1-based physical line where the format has lines
    field: str | None = None  # column, JSON pointer or attribute name
    record: str | None = None  # the record's own id where known (bom-ref, SPDXID, CVE id)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.record:
            where += f", record {self.record}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class AssetRecord:
    """One inventory item as read from a CSV, CycloneDX or SPDX file (or from the database).

    `id` is the inventory's own identifier (CSV `id`, CycloneDX `bom-ref`, SPDX `SPDXID`);
    `parent` is another record's `id` (firmware on a device, software on a host).
    Enumerations use the lower-case spellings of docs/INTERFACES; None means unknown.
    """

    id: str
    name: str
    kind: str = "other"
    vendor: str = ""
    product: str = ""
    version: str = ""
    cpes: tuple[str, ...] = ()
    purls: tuple[str, ...] = ()
    parent: str | None = None
    criticality: str | None = None
    exposure: str | None = None
    location: str = ""
    line: int | None = None  # where it came from, for error messages


@dataclass(frozen=True, slots=True)
class CvssScore:
    version: str  # "2.0", "3.0", "3.1", "4.0"
    vector: str
    base_score: float
    source: str = ""  # who scored it (nvd@nist.gov, the CNA, the CSAF publisher)


@dataclass(frozen=True, slots=True)
class NamedProduct:
    """A product an advisory names without CPE or purl (CISA ICS-Medical CSAF, CVE 5 `affected`).

    `versions` is the advisory's own version expression, kept verbatim
    (`<= 9.33.1`, `>= 1.0.0 | <= 1.1.1`, `vers:generic/>=2.0|<2.4`, `vers:all/*`, `4.1`).
    `status` is `affected`, `not_affected`, `fixed` or `under_investigation`.
    """

    vendor: str
    product: str
    versions: str
    status: str = "affected"
    product_id: str = ""  # the advisory's own product id, for VEX and explanations
    model_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PackageRange:
    """A purl-identified package with a `vers:` range (CSAF purl helpers, CVE 5 packageURL)."""

    purl: str  # without version: pkg:type/namespace/name
    vers: str  # a univers `vers:` range string; `vers:<type>/*` for all versions
    status: str = "affected"
    product_id: str = ""


@dataclass(frozen=True, slots=True)
class VexStatement:
    """An exploitability statement: the vulnerability does not (or no longer) affect a product.

    `product` is a CPE, a purl, or a `vendor|product|version` triple written by the parser.
    """

    vulnerability: str
    status: str  # not_affected | fixed | affected | under_investigation
    product: str
    justification: str = ""
    source: str = ""


REMEDIATION_CATEGORIES: tuple[str, ...] = (
    "vendor_fix",
    "mitigation",
    "workaround",
    "no_fix_planned",
    "none_available",
    # CSAF 2.1 adds these two; read already so that a 2.1 advisory loses nothing.
    "fix_planned",
    "optional_patch",
)


@dataclass(frozen=True, slots=True)
class Remediation:
    """What a feed says to do about a vulnerability: a category code and the feed's own values.

    `category` is one of REMEDIATION_CATEGORIES (CSAF's vocabulary; CVE 5 `solutions` are
    `vendor_fix`, its `workarounds` `workaround`, its `unaffected` runs `vendor_fix` with
    `fixed_in`). `products` names what it applies to as `Match.criterion` spells it ("vendor
    product" for named products, the CPE or the purl otherwise); empty means every product.
    `details` is the advisory's text verbatim (usually English): shown, never translated.
    """

    category: str
    details: str = ""
    url: str = ""
    date: str = ""  # ISO date (or date-time) as the feed writes it
    products: tuple[str, ...] = ()
    product_ids: tuple[str, ...] = ()  # the advisory's own ids (CSAF)
    fixed_in: tuple[str, ...] = ()  # versions that no longer have the flaw


@dataclass(slots=True)
class VulnRecord:
    """One vulnerability as a feed describes it, normalised across NVD, CVE 5 and CSAF.

    `configurations` keeps NVD's own shape (a list of `{"operator"?, "nodes": [...]}` dicts with
    `cpeMatch` criteria) because the CPE matcher compiles exactly that structure; CVE 5
    `cpeApplicability` has the same shape and is passed through unchanged.
    """

    id: str  # CVE id; an advisory's own id only where it names no CVE
    source: str  # "nvd", "cve5" or "csaf:<tracking id>"
    title: str = ""
    description: str = ""
    published: datetime | None = None
    modified: datetime | None = None
    rejected: bool = False
    aliases: tuple[str, ...] = ()
    cwes: tuple[str, ...] = ()
    cvss: tuple[CvssScore, ...] = ()
    configurations: list[dict[str, Any]] = field(default_factory=list)
    named_products: tuple[NamedProduct, ...] = ()
    packages: tuple[PackageRange, ...] = ()
    references: tuple[str, ...] = ()
    # References the feed tags as a public exploit (NVD tag "Exploit", CVE 5 tag "exploit"):
    # SSVC counts them as a public proof of concept.
    exploit_references: tuple[str, ...] = ()
    # Exploitation hints carried by the record itself (CISA ADP SSVC in CVE 5, CSAF threats).
    ssvc_exploitation: str | None = None  # none | poc | active
    ssvc_automatable: str | None = None  # yes | no
    ssvc_technical_impact: str | None = None  # partial | total
    remediation: str = ""
    # The same advice as codes and values (categories, fixed versions, products), for pages and
    # e-mails that say "what to do" in the reader's language.
    remediations: tuple[Remediation, ...] = ()
    url: str = ""
    # Every product the advisory document names without CPE or purl, whatever its status,
    # as (vendor, product): the device matcher tells an asset that *is* one of them from a
    # weaker likeness to another (`CARESCAPE B450` is the B450, not the Telemetry Server).
    document_products: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve: str
    catalogue: str  # "cisa" or "eu"
    date_added: str  # ISO date
    ransomware: bool  # known use in ransomware campaigns
    vendor: str = ""
    product: str = ""
    name: str = ""
    due_date: str = ""
    required_action: str = ""


@dataclass(frozen=True, slots=True)
class EpssScore:
    cve: str
    epss: float  # probability of exploitation in the next 30 days, 0..1
    percentile: float


# One clause of a match's reason: a code of engines/reason_text.MESSAGES and its parameters
# (plain JSON values: strings, numbers, booleans, lists).
Reason: TypeAlias = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Match:
    """One (asset, vulnerability) pair with why it matched."""

    asset: str  # AssetRecord.id
    vulnerability: str  # VulnRecord.id
    source: str  # VulnRecord.source
    confidence: str  # high | medium | low
    reason: str  # in English: `reasons` rendered by engines/reason_text.py
    criterion: str = ""  # the CPE criterion, purl or advisory product that matched
    version_range: str = ""  # the bound(s) that matched, e.g. ">= 1.8.2, < 1.8.32"
    # The same reason as (code, params) parts (engines/reason_text.MESSAGES), for the platform
    # to render in the reader's language. Left out of equality and hashing: params are dicts,
    # and `reason` already says the same thing.
    reasons: tuple[Reason, ...] = field(default=(), compare=False)
