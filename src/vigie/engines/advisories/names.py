"""Vendor and product names as advisories and hospital inventories write them, made comparable.

CISA's medical CSAF advisories, CVE 5 `affected` entries and inventories name the same company
in many ways: `Becton, Dickinson and Company (BD)`, `Becton Dickinson & Co`, `BD`, `CareFusion`.
`vendor_keys()` turns a vendor string into canonical keys (one per company it names) so that a
matcher can index by vendor; `vendor_relation()` explains how two names relate; `product_name()`
cuts a product name into comparable words and model numbers.

Folding (`fold`): repair UTF-8 read as Windows-1252 (`YhtymÃ¤` -> `Yhtymä`, seen in a CISA
advisory), drop accents (`Dräger` -> `drager`), lower-case, `&` -> `and`, punctuation -> space.
Corporate suffixes (`Inc.`, `Corp.`, `GmbH`, `S.A.`, `Ltd`, `AG`, `LLC`, `Co.` ...) are dropped
from vendor names everywhere. Words such as `Medical`, `Healthcare`, `Laboratories` are *not*
dropped in general (`Change Healthcare` is not `Change`, `GE Healthcare` is not `GE Digital`);
the alias table below lists the spellings with and without them company by company.

The alias table was built by reading the vendor branches of the 104 CISA ICSMA CSAF files and the
`cna_affected_vendor_product` column of CISA vulnrichment (2024-10 snapshot), plus the medical
device makers hospitals commonly own. Acquisitions that advisories still publish under the old
name are aliases (CareFusion is BD, St. Jude Medical is Abbott, Welch Allyn is Hillrom);
companies that only share a parent are a weaker *family* relation (Siemens Healthineers and
Siemens, Hillrom and Baxter), which a matcher should trust less.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

VendorRelationKind = Literal["same", "alias", "fuzzy", "family", "unknown"]

# --- folding -------------------------------------------------------------------------------

# A lead byte of a UTF-8 sequence read as Windows-1252, followed by a continuation byte so read.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00c5\u00e2][\u0080-\u00bf\u0152-\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u203a\u20ac\u2122]"
)
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ı": "i",
        "þ": "th",
        # Trade marks would otherwise fold to letters glued to the word (`Alaris™` -> `alaristm`).
        "™": " ",
        "®": " ",
        "©": " ",
        "℠": " ",
    }
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 bytes decoded as Windows-1252 (`Ã¤` -> `ä`); other text is returned unchanged."""
    if not _MOJIBAKE_HINT.search(text):
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: accents, case and punctuation folded."""
    text = repair_mojibake(text).translate(_SPECIAL_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.lower().replace("&", " and ")
    return _NON_ALNUM.sub(" ", ascii_text).strip()


def fold_keeping(text: str, keep: str, *, lower: bool = True) -> str:
    """Like `fold`, but the characters of `keep` (e.g. `-./`) survive as themselves.

    With `lower=False` the case is kept too (accents still go), for showing tokens as written.
    """
    text = repair_mojibake(text).translate(_SPECIAL_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.replace("&", " and ")
    if lower:
        ascii_text = ascii_text.lower()
    return re.sub(f"[^A-Za-z0-9{re.escape(keep)}]+", " ", ascii_text).strip()


# --- vendors -------------------------------------------------------------------------------

# Legal-form words dropped at the end of a vendor name. Runs of single letters are joined first,
# so `S.A.` -> `sa`, `N.V.` -> `nv`, `e.V.` -> `ev`.
_CORPORATE_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "cos",
        "ltd",
        "limited",
        "llc",
        "plc",
        "gmbh",
        "mbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "oy",
        "oyj",
        "ab",
        "asa",
        "spa",
        "srl",
        "kg",
        "kgaa",
        "se",
        "pty",
        "pte",
        "kk",
        "lp",
        "llp",
        "ev",
        "ltda",
        "sl",
        "sro",
        "as",
        "aps",
        "cv",
        "pvt",
    }
)
_DANGLING = frozenset({"and", "the", "of"})
_UNKNOWN_VENDORS = frozenset(
    {"", "n a", "na", "unknown", "none", "noassertion", "various", "multiple", "vendor", "tbd"}
)

# (canonical display name, other spellings). Spellings are folded and suffix-stripped at import,
# so `Becton, Dickinson and Company` also covers `BECTON DICKINSON & CO.`.
_VENDOR_ALIASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Becton Dickinson",
        (
            "BD",
            "Becton, Dickinson and Company",
            "Becton Dickinson & Co",
            "BD Medical",
            "CareFusion",
            "BD CareFusion",
            "Cardinal Health CareFusion",
            "BD Biosciences",
            "BD Rowa",
            "Rowa",
            "BD Kiestra",
            "Kiestra",
            "BD Pyxis",
        ),
    ),
    (
        "GE HealthCare",
        (
            "GE",
            "General Electric",
            "GE Healthcare",
            "GE Medical Systems",
            "GE Medical",
            "General Electric Healthcare",
            "GEHC",
            "GE Healthcare Systems",
            "Datex-Ohmeda",
            "Datex Ohmeda",
        ),
    ),
    (
        "Philips",
        (
            "Koninklijke Philips",
            "Royal Philips",
            "Philips Healthcare",
            "Philips Medical Systems",
            "Philips Medical",
            "Philips Electronics",
            "Philips Electronics North America",
            "Philips Healthcare Informatics",
            "Philips Respironics",
            "Respironics",
            "ATL Philips",
            "Philips ATL",
            "ATL Ultrasound",
        ),
    ),
    (
        "Siemens Healthineers",
        (
            "Siemens Healthcare",
            "Siemens Medical Solutions",
            "Siemens Medical",
            "Siemens Medical Solutions USA",
        ),
    ),
    ("Siemens", ("Siemens Industry", "Siemens Industry Software")),
    (
        "B. Braun",
        (
            "B Braun",
            "B. Braun Melsungen",
            "B. Braun Medical",
            "B Braun Melsungen",
            "BBraun",
            "Braun",
            "B. Braun Medical Inc.",
        ),
    ),
    (
        "Baxter",
        ("Baxter International", "Baxter Healthcare", "Baxter Healthcare Corporation", "Gambro"),
    ),
    (
        "Hillrom",
        (
            "Hill-Rom",
            "Hill Rom",
            "Hill-Rom Holdings",
            "Welch Allyn",
            "Welch-Allyn",
            "Mortara Instrument",
            "Mortara",
            "Hillrom and ELI",
        ),
    ),
    (
        "Medtronic",
        ("Medtronic plc", "Medtronic MiniMed", "Medtronic Diabetes", "Covidien", "Valleylab"),
    ),
    ("Fresenius Kabi", ("Fresenius Kabi AG", "Fresenius Kabi USA")),
    ("Fresenius Medical Care", ("Fresenius Medical Care North America",)),
    ("Smiths Medical", ("ICU Medical", "Smiths Medical ASD", "Smiths Group Medical")),
    (
        "Dräger",
        (
            "Draeger",
            "Drager",
            "Drägerwerk",
            "Draegerwerk",
            "Dräger Medical",
            "Draeger Medical",
            "Drägerwerk AG & Co. KGaA",
        ),
    ),
    (
        "Abbott",
        (
            "Abbott Laboratories",
            "Abbott Diabetes Care",
            "St. Jude Medical",
            "St Jude Medical",
            "Saint Jude Medical",
            "St Jude",
            "St. Jude",
        ),
    ),
    (
        "Roche",
        (
            "F. Hoffmann-La Roche",
            "Hoffmann-La Roche",
            "Roche Diagnostics",
            "Roche Diabetes Care",
            "Roche Molecular Systems",
        ),
    ),
    ("Boston Scientific", ("Boston Scientific Corporation", "Boston Sci", "BSci")),
    ("Santesoft", ("Sante", "Santesoft Ltd", "Sante Soft")),
    ("MicroDicom", ("Micro Dicom",)),
    ("OFFIS", ("OFFIS e.V.", "OFFIS DCMTK", "DCMTK")),
    ("Orthanc", ("Orthanc Server", "orthanc-server", "Osimis", "Orthanc Team")),
    ("Stryker", ("Stryker Corporation", "Stryker Medical")),
    ("Spacelabs", ("Spacelabs Healthcare", "Spacelabs Medical", "OSI Systems Spacelabs")),
    ("Change Healthcare", ("Change Healthcare Technologies",)),
    ("McKesson", ("McKesson Corporation", "McKesson Technology Solutions")),
    ("Natus", ("Natus Medical", "Natus Medical Incorporated")),
    ("Capsule Technologies", ("Capsule Tech", "Philips Capsule", "Capsule")),
    ("Carestream", ("Carestream Health",)),
    ("Contec Health", ("Contec Medical Systems", "Contec", "Contec Medical")),
    ("Hamilton Medical", ("Hamilton Medical AG",)),
    ("Illumina", ()),
    ("Innokas", ("Innokas Yhtymä Oy", "Innokas Medical", "Innokas Yhtyma")),
    (
        "Johnson & Johnson",
        ("J&J", "Johnson and Johnson", "Ethicon", "Ethicon Endo-Surgery", "Animas"),
    ),
    ("LifePoint Informatics", ("LifePoint",)),
    ("Swisslog Healthcare", ("Swisslog",)),
    ("Vyaire Medical", ("Vyaire",)),
    ("Ypsomed", ("Ypsomed AG",)),
    ("i-SENS", ("iSENS", "i SENS")),
    ("SOOIL Developments", ("SOOIL", "SOOIL Development")),
    ("BPL Medical Technologies", ("BPL Medical", "BPL")),
    ("BeaconMedaes", ("Beacon Medaes",)),
    ("Softneta", ()),
    ("OpenClinic GA", ("OpenClinic",)),
    ("Silex Technology", ("Silex",)),
    (
        "Mindray",
        ("Shenzhen Mindray", "Mindray Medical", "Shenzhen Mindray Bio-Medical Electronics"),
    ),
    ("Nihon Kohden", ("Nihon Kohden Corporation",)),
    ("Canon Medical Systems", ("Canon Medical", "Toshiba Medical Systems", "Toshiba Medical")),
    ("Fujifilm Healthcare", ("Fujifilm Medical Systems", "Fujifilm Medical", "Hitachi Healthcare")),
    ("Agfa HealthCare", ("Agfa Healthcare", "Agfa-Gevaert HealthCare")),
    ("Getinge", ("Maquet", "Maquet Critical Care", "Getinge Group")),
    ("Masimo", ()),
    ("Zoll Medical", ("Zoll",)),
    ("Nonin Medical", ("Nonin",)),
    ("Edwards Lifesciences", ()),
    ("Insulet", ()),
    ("Dexcom", ("DexCom",)),
    ("Tandem Diabetes Care", ("Tandem Diabetes",)),
    ("Biotronik", ()),
    ("Zimmer Biomet", ("Zimmer", "Biomet")),
    ("Olympus", ("Olympus Medical Systems",)),
    ("Karl Storz", ("Storz",)),
    ("Hologic", ()),
    ("Intuitive Surgical", ()),
    ("Elekta", ()),
    ("Varian Medical Systems", ("Varian",)),
    ("Sectra", ()),
    ("Oracle Health", ("Cerner", "Cerner Corporation")),
    ("Epic Systems", ("Epic",)),
    ("Merge Healthcare", ()),
    ("Wind River", ("Wind River Systems",)),
    ("Green Hills Software", ("Green Hills",)),
    ("Microsoft", ("Microsoft Corporation",)),
)

# Companies related by ownership, not the same maker: matches across them are weaker.
_VENDOR_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("Siemens Healthineers", "Siemens", "Varian Medical Systems"),
    ("Hillrom", "Baxter"),
    ("Change Healthcare", "McKesson"),
    ("Philips", "Capsule Technologies"),
    ("Fresenius Kabi", "Fresenius Medical Care", "Fresenius"),
    # Vyaire took over CareFusion's respiratory products; Philips bought Carestream's IT.
    ("Vyaire Medical", "Becton Dickinson"),
    ("Carestream", "Philips"),
    ("Silex Technology", "GE HealthCare"),
)


def _join_initials(tokens: list[str]) -> list[str]:
    """Join runs of two or more one-letter tokens: `s a` -> `sa`, `e v` -> `ev`."""
    out: list[str] = []
    run: list[str] = []
    for tok in tokens:
        if len(tok) == 1 and tok.isalpha():
            run.append(tok)
            continue
        if run:
            out.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        out.append(tok)
    if run:
        out.extend(["".join(run)] if len(run) > 1 else run)
    return out


_PARENTHESES = re.compile(r"\(([^()]*)\)")


@lru_cache(maxsize=1 << 15)
def normalise_vendor(name: str) -> str:
    """Folded vendor name without parenthesised abbreviations or legal-form suffixes."""
    main = _PARENTHESES.sub(" ", repair_mojibake(name))
    tokens = _join_initials(fold(main).split())
    while tokens and tokens[0] == "the":
        tokens.pop(0)
    while len(tokens) > 1 and (tokens[-1] in _CORPORATE_SUFFIXES or tokens[-1] in _DANGLING):
        tokens.pop()
    return " ".join(tokens)


def _compact(normalised: str) -> str:
    return normalised.replace(" ", "")


# compact normalised spelling -> canonical key (the canonical display name, normalised).
_ALIAS_INDEX: dict[str, str] = {}
_KEY_DISPLAY: dict[str, str] = {}
_KEY_SPELLINGS: dict[str, set[str]] = {}
_FAMILY: dict[str, set[str]] = {}


def add_vendor_alias(canonical: str, *spellings: str) -> str:
    """Register spellings of a vendor (at import for the table, at runtime for site additions).

    Returns the canonical key. A spelling already bound to another vendor is rebound: the latest
    registration wins, so a site can correct the table.
    """
    key = normalise_vendor(canonical)
    _KEY_DISPLAY.setdefault(key, canonical)
    spellings_set = _KEY_SPELLINGS.setdefault(key, set())
    for spelling in (canonical, *spellings):
        norm = normalise_vendor(spelling)
        if norm:
            _ALIAS_INDEX[_compact(norm)] = key
            spellings_set.add(norm)
    _clear_caches()
    return key


def add_vendor_family(*names: str) -> None:
    """Declare companies related by ownership (weaker than an alias)."""
    keys = [_canonical_key(n) or add_vendor_alias(n) for n in names]
    for key in keys:
        _FAMILY.setdefault(key, set()).update(k for k in keys if k != key)
    _clear_caches()


def _clear_caches() -> None:
    # Called while the module is still being imported: the cached functions may not exist yet.
    for name in (
        "vendor_keys",
        "product_name",
        "_vendor_relation",
        "resolve_misspelt_vendor",
        "misspelling",
    ):
        cached = globals().get(name)
        if cached is not None:
            cached.cache_clear()


def _canonical_key(name: str) -> str | None:
    norm = normalise_vendor(name)
    return _ALIAS_INDEX.get(_compact(norm)) if norm else None


_MULTI_VENDOR_SPLIT = re.compile(r"\s*(?:,|;|/|\band\b|&)\s*", re.IGNORECASE)


@lru_cache(maxsize=1 << 15)
def vendor_keys(name: str) -> frozenset[str]:
    """Canonical keys of the companies a vendor string names; empty when the vendor is unknown.

    Known spellings map to their alias group; `Foo (BD)` is tried through its abbreviation;
    `Silex Technology and GE Healthcare` names two companies and gives two keys, but a list is
    only split when one of its parts is a known vendor (so `Smith, Jones and Partners` stays one
    unknown vendor). Anything else keys as its normalised self.
    """
    norm = normalise_vendor(name)
    if norm in _UNKNOWN_VENDORS:
        return frozenset()
    key = _ALIAS_INDEX.get(_compact(norm))
    if key is not None:
        return frozenset((key,))
    for abbreviation in _PARENTHESES.findall(name):
        key = _canonical_key(abbreviation)
        if key is not None:
            return frozenset((key,))
    parts = [p for p in _MULTI_VENDOR_SPLIT.split(_PARENTHESES.sub(" ", name)) if p.strip()]
    if len(parts) > 1:
        known = [_canonical_key(p) for p in parts]
        if any(k is not None for k in known):
            keys = {
                k if k is not None else normalise_vendor(p)
                for k, p in zip(known, parts, strict=True)
            }
            keys.discard("")
            return frozenset(keys)
    return frozenset((norm,))


for _canonical, _spellings in _VENDOR_ALIASES:
    add_vendor_alias(_canonical, *_spellings)
for _family in _VENDOR_FAMILIES:
    add_vendor_family(*_family)


def family_keys(keys: frozenset[str]) -> frozenset[str]:
    """Keys of companies related by ownership to any of `keys` (the keys themselves excluded)."""
    related: set[str] = set()
    for key in keys:
        related.update(_FAMILY.get(key, ()))
    return frozenset(related - keys)


def vendor_display(key: str) -> str:
    """The canonical display name of a key (the key itself for vendors outside the table)."""
    return _KEY_DISPLAY.get(key, key)


def vendor_spellings(keys: frozenset[str]) -> tuple[str, ...]:
    """Every normalised spelling known for these keys (used to strip vendor words from products)."""
    out: set[str] = set(keys)
    for key in keys:
        out.update(_KEY_SPELLINGS.get(key, ()))
    return tuple(sorted(out, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class VendorRelation:
    kind: VendorRelationKind
    explanation: str
    via: str = ""  # fuzzy: `one_letter` or `doubled_letter`


# --- misspelt vendors ----------------------------------------------------------------------
#
# "Nordallis Medical" in an advisory and "Nordalis Medical" in an inventory are one company.
# When no spelling or alias agrees, two names of six or more letters (folded, suffixes dropped,
# spaces removed) that differ by one edit (a letter replaced, added or dropped), or that agree
# once doubled letters are collapsed, are taken for one vendor, and the matcher trusts it less.

FUZZY_MIN_LENGTH = 6
_DOUBLED = re.compile(r"(.)\1+")


def _collapse(compact: str) -> str:
    return _DOUBLED.sub(r"\1", compact)


def _one_edit(a: str, b: str) -> bool:
    """Levenshtein distance exactly 1 (strings already known to differ)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


@lru_cache(maxsize=1 << 16)
def misspelling(a: str, b: str) -> str | None:
    """`doubled_letter` or `one_letter` when two compact vendor names are one misspelt, else None.

    A doubled letter may be collapsed in a name of six or more letters (`Abott` / `Abbott`); one
    other edit needs six or more letters on both sides.
    """
    if a == b or max(len(a), len(b)) < FUZZY_MIN_LENGTH:
        return None
    if _collapse(a) == _collapse(b):
        return "doubled_letter"
    if min(len(a), len(b)) < FUZZY_MIN_LENGTH:
        return None
    if _one_edit(a, b) or _one_edit(_collapse(a), _collapse(b)):
        return "one_letter"
    return None


def _compact_spellings(name: str, keys: frozenset[str]) -> set[str]:
    found = {_compact(normalise_vendor(name))}
    for key in keys:
        found.add(_compact(key))
        found.update(_compact(s) for s in _KEY_SPELLINGS.get(key, ()))
    return {s for s in found if s}


@lru_cache(maxsize=1 << 14)
def resolve_misspelt_vendor(name: str) -> tuple[str, str] | None:
    """(canonical key, how) of the one known vendor this unknown name misspells, if any."""
    norm = normalise_vendor(name)
    compact = _compact(norm)
    if not compact or compact in _ALIAS_INDEX or len(compact) < FUZZY_MIN_LENGTH - 1:
        return None
    found: dict[str, str] = {}
    for spelling, key in _ALIAS_INDEX.items():
        how = misspelling(compact, spelling)
        if how is not None:
            found.setdefault(key, how)
    if len(found) != 1:
        return None  # nothing close, or close to two companies: not a guess to make
    [(key, how)] = found.items()
    return key, how


def fuzzy_lookup_keys(name: str) -> frozenset[str]:
    """Lookup keys under which a vendor meets its misspellings (empty for known vendors).

    A known vendor needs none: a misspelling of it resolves to its canonical key. Two unknown
    names within one edit keep at least one of their first three or last three letters (after
    doubled letters are collapsed), so each gets `~h:` and `~t:` keys; the matcher then checks
    the names themselves.
    """
    keys = vendor_keys(name)
    if not keys or any(k in _KEY_SPELLINGS for k in keys):
        return frozenset()
    resolved = resolve_misspelt_vendor(name)
    if resolved is not None:
        return frozenset((resolved[0],))
    compact = _collapse(_compact(normalise_vendor(name)))
    if len(compact) < FUZZY_MIN_LENGTH - 1:
        return frozenset()
    return frozenset((f"~h:{compact[:3]}", f"~t:{compact[-3:]}"))


def vendor_relation(asset_vendor: str, advisory_vendor: str) -> VendorRelation | None:
    """How an inventory's vendor relates to an advisory's; None when they are different companies.

    `unknown` means the advisory names no usable vendor (`n/a`, empty): the caller decides.
    """
    return _vendor_relation(asset_vendor.strip(), advisory_vendor.strip())


@lru_cache(maxsize=1 << 15)
def _vendor_relation(asset_vendor: str, advisory_vendor: str) -> VendorRelation | None:
    advisory = vendor_keys(advisory_vendor)
    if not advisory:
        return VendorRelation("unknown", f"advisory names no vendor ({advisory_vendor!r})")
    asset = vendor_keys(asset_vendor)
    if not asset:
        return None
    if asset & advisory:
        if normalise_vendor(asset_vendor) == normalise_vendor(advisory_vendor):
            return VendorRelation("same", f"vendor {asset_vendor}")
        return VendorRelation("alias", f"vendor {asset_vendor} ≈ {advisory_vendor} (alias)")
    if family_keys(asset) & advisory:
        return VendorRelation(
            "family", f"vendor {asset_vendor} ~ {advisory_vendor} (related company, not the same)"
        )
    for left in _compact_spellings(asset_vendor, asset):
        for right in _compact_spellings(advisory_vendor, advisory):
            how = misspelling(left, right)
            if how is not None:
                words = "a doubled letter" if how == "doubled_letter" else "one letter"
                return VendorRelation(
                    "fuzzy",
                    f"vendor {asset_vendor} ≈ {advisory_vendor} (spelt differently: {words})",
                    via=how,
                )
    return None


def infer_vendor(text: str) -> str | None:
    """The canonical name of a known vendor that `text` (an asset name) starts with, if any."""
    tokens = _join_initials(fold(text).split())
    for length in (4, 3, 2, 1):
        if len(tokens) < length:
            continue
        key = _ALIAS_INDEX.get("".join(tokens[:length]))
        if key is not None:
            return vendor_display(key)
    return None


# --- products ------------------------------------------------------------------------------

PRODUCT_STOPWORDS = frozenset(
    {
        "the",
        "and",
        "of",
        "for",
        "with",
        "by",
        "a",
        "an",
        "on",
        "in",
        "to",
        "or",
        "version",
        "versions",
        "ver",
        "v",
        "model",
        "models",
        "series",
        "family",
        "all",
        "software",
        "sw",
        "firmware",
        "fw",
        "application",
        "app",
        "product",
        "products",
        "module",
        "modules",
        "edition",
        "based",
        "including",
        "includes",
        "only",
        "number",
        "no",
        "n",
    }
)
_ALNUM_TOKEN = re.compile(r"[a-z0-9]+")
_RAW_TOKEN = re.compile(r"[^\s/,;()\[\]]+")


@dataclass(frozen=True, slots=True)
class ProductName:
    """A product name cut for comparison.

    `words`: folded alphanumeric tokens minus generic words (`software`, `model`, `version`...);
    `models`: model-number-like tokens (a digit and at least three characters) with separators
    removed, so `MMT-1710`, `mmt 1710` and `MMT1710` agree, plus short prefixes joined to a
    following number (`EC 40` -> `ec40`). Parenthesised text gives models but no words.
    """

    text: str
    words: frozenset[str]
    models: frozenset[str]


def _strip_vendor_prefix(tokens: list[str], spellings: tuple[str, ...]) -> list[str]:
    for spelling in spellings:
        parts = spelling.split()
        if parts and len(parts) < len(tokens) and tokens[: len(parts)] == parts:
            return tokens[len(parts) :]
    return tokens


@lru_cache(maxsize=1 << 16)
def product_name(name: str, vendor: str = "") -> ProductName:
    """Cut a product name into words and model numbers, leading vendor words dropped.

    `product_name("BD Alaris 8015 PC Unit", "Becton, Dickinson and Company")` and
    `product_name("Alaris PC Unit model 8015")` have the same words {alaris, 8015, pc, unit}.
    """
    # Parenthesised parts are abbreviations or asides (`(CSCS)`, `(WLAN only)`): not words to
    # require, but model numbers in them still count (`(VLFT10GEN)`).
    folded = fold(_PARENTHESES.sub(" ", name)) or fold(name)
    tokens = folded.split()
    keys = vendor_keys(vendor) if vendor else vendor_keys(infer_vendor(name) or "")
    if keys:
        tokens = _strip_vendor_prefix(tokens, vendor_spellings(keys))
    text = " ".join(tokens)
    words = frozenset(t for t in tokens if t not in PRODUCT_STOPWORDS)
    models: set[str] = set()
    for raw in _RAW_TOKEN.findall(repair_mojibake(name).lower()):
        compact = "".join(_ALNUM_TOKEN.findall(fold(raw)))
        if len(compact) >= 3 and any(c.isdigit() for c in compact):
            models.add(compact)
    for first, second in itertools.pairwise(tokens):
        if first.isalpha() and len(first) <= 3 and second.isdigit():
            models.add(first + second)
    for token in words:
        if len(token) >= 3 and any(c.isdigit() for c in token):
            models.add(token)
    if keys:
        # `BD-8015` style raw tokens may carry the vendor; drop models equal to a vendor word.
        models -= {_compact(s) for s in vendor_spellings(keys)}
    return ProductName(text=text, words=words, models=frozenset(models))
