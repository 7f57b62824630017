"""Suggest CPE vendor:product candidates for an asset that has none (most hospital inventories).

The dictionary (`data/cpe_products.csv.gz`, see data/SOURCES.md) holds the distinct
(vendor, product) pairs of CPE names seen in scanoss/purl2cpe (MIT; 21,971 pairs, mostly open
source), CISA vulnrichment ADP CPEs and Anchore's NVD overrides (both CC0; vendors such as
gehealthcare, santesoft, microsoft:windows_10): part, vendor, product and how many CPE names
carried the pair. `CpeDictionary.add()` adds pairs at runtime (names met in feeds).

Ranking, for a vendor/product/name:

1. CPE vendors: the asset's vendor and every alias of it (vigie.engines.advisories.names),
   written as NVD writes vendors (`GE Healthcare` -> `gehealthcare`, `ge_healthcare`); with no
   vendor, a known vendor at the start of the product or name, then the product's first word
   (`OpenSSL`).
2. Their products, scored by how the product words compare with the CPE product's words
   (same words: 1.0; one set inside the other or words in common: less), the vendor's
   closeness (alias 0.95 of exact) and, as a tie-break, how common the pair is.
3. Without any vendor hit, products across all vendors sharing the product's rarest word,
   scored lower.
4. When the vendor is known but no CPE product matches well, a candidate built the way NVD
   builds names (`Philips` + `IntelliSpace Portal` -> `philips:intellispace_portal`) is offered,
   marked as not in the dictionary.

A lookup takes well under a millisecond to a few milliseconds (token index, no scan).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from vigie.engines.advisories.names import (
    fold,
    infer_vendor,
    normalise_vendor,
    product_name,
    vendor_keys,
    vendor_spellings,
)

DATA_FILE = "cpe_products.csv.gz"  # .csv.gz: a pattern pyproject ships as package data
_GUESSED = "vendor guessed from a word of the name"
_SPLIT = re.compile(r"[^a-z0-9]+")
_UNESCAPE = re.compile(r"\\(.)")


def _cpe_words(value: str) -> tuple[str, ...]:
    return tuple(w for w in _SPLIT.split(_UNESCAPE.sub(r"\1", value).lower()) if w)


def _compact(value: str) -> str:
    return "".join(_cpe_words(value))


def _slug(words: Iterable[str]) -> str:
    return "_".join(words)


@dataclass(frozen=True, slots=True)
class CpeCandidate:
    """A suggested CPE vendor:product with its score (0..1) and why."""

    vendor: str
    product: str
    part: str  # a, o or h (the commonest part of the pair's CPE names)
    score: float
    why: str
    in_dictionary: bool = True

    @property
    def cpe(self) -> str:
        """A CPE 2.3 name for every version of the candidate."""
        part = self.part if self.part in ("a", "o", "h") else "a"
        return f"cpe:2.3:{part}:{self.vendor}:{self.product}:*:*:*:*:*:*:*:*"


@dataclass(slots=True)
class _Pair:
    vendor: str
    product: str
    part: str
    count: int
    words: frozenset[str]
    compact: str


class CpeDictionary:
    """(vendor, product) pairs indexed by vendor spelling and by product word."""

    def __init__(self) -> None:
        self._pairs: list[_Pair] = []
        self._known: dict[tuple[str, str], int] = {}
        self._by_vendor: dict[str, list[int]] = defaultdict(list)  # compact vendor -> pairs
        self._by_word: dict[str, list[int]] = defaultdict(list)  # product word -> pairs

    def __len__(self) -> int:
        return len(self._pairs)

    def add(self, vendor: str, product: str, part: str = "a", count: int = 1) -> None:
        """Add or reinforce a pair (CPE spelling: `gehealthcare`, `vivid_e_firmware`)."""
        vendor, product = vendor.strip().lower(), product.strip().lower()
        if not vendor or not product or vendor in ("*", "-") or product in ("*", "-"):
            return
        existing = self._known.get((vendor, product))
        if existing is not None:
            self._pairs[existing].count += count
            return
        index = len(self._pairs)
        words = frozenset(_cpe_words(product))
        self._pairs.append(_Pair(vendor, product, part, count, words, _compact(product)))
        self._known[(vendor, product)] = index
        self._by_vendor[_compact(vendor)].append(index)
        for word in words:
            self._by_word[word].append(index)

    def vendors_for(self, spellings: Iterable[str]) -> list[str]:
        """CPE vendors (compact keys) present in the dictionary for these spellings."""
        return [c for c in dict.fromkeys(_compact(s) for s in spellings) if c in self._by_vendor]

    def pairs_of(self, compact_vendor: str) -> list[_Pair]:
        return [self._pairs[i] for i in self._by_vendor.get(compact_vendor, ())]

    def pairs_with_word(self, word: str) -> list[_Pair]:
        return [self._pairs[i] for i in self._by_word.get(word, ())]

    def word_frequency(self, word: str) -> int:
        return len(self._by_word.get(word, ()))

    def vendor_spelling(self, compact_vendor: str) -> str:
        indices = self._by_vendor.get(compact_vendor)
        return self._pairs[indices[0]].vendor if indices else compact_vendor


def read_dictionary(stream: Iterable[str]) -> CpeDictionary:
    """Load CSV rows `part,vendor,product,count` (header line first)."""
    dictionary = CpeDictionary()
    for fields in csv.reader(stream):
        if len(fields) == 4 and fields[3].isdigit():
            dictionary.add(fields[1], fields[2], fields[0], int(fields[3]))
    return dictionary


@lru_cache(maxsize=1)
def default_dictionary() -> CpeDictionary:
    """The dictionary shipped in vigie/engines/data (loaded once, about 0.2 s)."""
    data = resources.files("vigie.engines.cpe").joinpath("data", DATA_FILE).read_bytes()
    with io.TextIOWrapper(io.BytesIO(gzip.decompress(data)), encoding="utf-8", newline="") as text:
        return read_dictionary(text)


def _score_product(query: frozenset[str], query_compact: str, pair: _Pair) -> tuple[float, str]:
    if not query or not pair.words:
        return 0.0, ""
    if query_compact == pair.compact:
        return 1.0, "same product name"
    common = query & pair.words
    if not common:
        return 0.0, ""
    jaccard = len(common) / len(query | pair.words)
    if query <= pair.words:
        return 0.55 + 0.3 * jaccard, f"the CPE product contains {', '.join(sorted(query))}"
    if pair.words <= query:
        return 0.5 + 0.3 * jaccard, f"the product name contains {pair.product}"
    return 0.2 + 0.4 * jaccard, f"words in common: {', '.join(sorted(common))}"


def _popularity(count: int) -> float:
    return min(math.log10(count + 1) / 100, 0.03)  # a tie-break, never a reason


def _vendor_spellings(vendor: str, product: str, name: str) -> tuple[list[str], list[str], str]:
    """(exact spellings, alias spellings, how the vendor was found)."""
    if vendor:
        exact = [normalise_vendor(vendor), fold(vendor)]
        return exact, list(vendor_spellings(vendor_keys(vendor))), "vendor alias"
    inferred = infer_vendor(product) or infer_vendor(name)
    if inferred:
        return [], list(vendor_spellings(vendor_keys(inferred))), "vendor read from the name"
    # No vendor anywhere: any word of the product or name may be one (`OpenSSL`,
    # `Serveur Orthanc`), known spellings of it included.
    guesses: list[str] = []
    for word in fold(f"{product} {name}").split():
        if len(word) >= 3:
            guesses += [word, *vendor_spellings(vendor_keys(word))]
    return [], guesses, _GUESSED


def _suggest(
    dictionary: CpeDictionary, vendor: str, product: str, name: str, limit: int
) -> list[CpeCandidate]:
    exact_spellings, alias_spellings, how = _vendor_spellings(vendor, product, name)
    query_name = product_name(product or name, vendor)
    query = frozenset(_cpe_words(query_name.text)) or frozenset(_cpe_words(product or name))
    query_compact = "".join(sorted(query, key=query_name.text.find)) if query else ""
    query_compact = _compact(query_name.text) or query_compact
    found: dict[tuple[str, str], CpeCandidate] = {}

    def offer(pair: _Pair, score: float, why: str) -> None:
        key = (pair.vendor, pair.product)
        score = min(score, 1.0)
        if score > 0 and (key not in found or found[key].score < score):
            found[key] = CpeCandidate(pair.vendor, pair.product, pair.part, round(score, 3), why)

    exact_vendors = dictionary.vendors_for(exact_spellings)
    alias_vendors = [v for v in dictionary.vendors_for(alias_spellings) if v not in exact_vendors]
    for weight, vendors, relation in (
        (1.0, exact_vendors, "same vendor"),
        (0.95 if exact_spellings else 0.9, alias_vendors, how),
    ):
        for compact_vendor in vendors:
            for pair in dictionary.pairs_of(compact_vendor):
                score, why = _score_product(query, query_compact, pair)
                if score:
                    offer(pair, weight * score + _popularity(pair.count), f"{relation}; {why}")
    vendor_known = bool(exact_vendors or alias_vendors) and how != _GUESSED
    present = [w for w in query if dictionary.word_frequency(w)]
    if not found and present and not vendor_known:
        # Another vendor's product is only a weak hint: offered below 0.6, and not at all when
        # the asset's own vendor is in the dictionary.
        rarest = min(present, key=dictionary.word_frequency)
        for pair in dictionary.pairs_with_word(rarest)[:5000]:
            score, why = _score_product(query, query_compact, pair)
            if score >= 0.5:
                offer(pair, 0.6 * score + _popularity(pair.count), f"vendor not known; {why}")
    best = max((c.score for c in found.values()), default=0.0)
    if best < 0.9 and query and how != _GUESSED:
        # The asset names its vendor: offer the name NVD would most likely give the product.
        cpe_vendor = (
            dictionary.vendor_spelling((exact_vendors or alias_vendors)[0])
            if vendor_known
            else _slug(_cpe_words((exact_spellings or alias_spellings or [""])[0]))
        )
        built = _slug(_cpe_words(query_name.text))
        if cpe_vendor and built and (cpe_vendor, built) not in found:
            found[(cpe_vendor, built)] = CpeCandidate(
                cpe_vendor,
                built,
                "a",
                0.5,
                "not in the dictionary: built from the names as NVD writes them; check it",
                in_dictionary=False,
            )
    ranked = sorted(found.values(), key=lambda c: (-c.score, c.vendor, c.product))
    return ranked[:limit]


@lru_cache(maxsize=4096)
def _suggest_cached(vendor: str, product: str, name: str, limit: int) -> tuple[CpeCandidate, ...]:
    return tuple(_suggest(default_dictionary(), vendor, product, name, limit))


def suggest_cpes(
    vendor: str,
    product: str,
    name: str = "",
    *,
    limit: int = 5,
    dictionary: CpeDictionary | None = None,
) -> list[CpeCandidate]:
    """Ranked CPE vendor:product candidates for an asset's vendor/product (and name)."""
    vendor, product, name = vendor.strip(), product.strip(), name.strip()
    if dictionary is None:
        return list(_suggest_cached(vendor, product, name, limit))
    return _suggest(dictionary, vendor, product, name, limit)


def add_pair(vendor: str, product: str, part: str = "a", count: int = 1) -> None:
    """Add a (vendor, product) pair to the shipped dictionary for this process (names in feeds)."""
    default_dictionary().add(vendor, product, part, count)
    _suggest_cached.cache_clear()


# --- building the shipped file -------------------------------------------------------------

_CPE_PAIR = re.compile(r"cpe:2\.3:([aoh*]):((?:[^:\\]|\\.)+):((?:[^:\\]|\\.)+)")


def _pairs_in_text(text: str, counts: Counter[tuple[str, str, str]]) -> None:
    for part, vendor, product in _CPE_PAIR.findall(text):
        # NVD writes CPE names in lower case; CISA ADP records sometimes do not (`21H2`).
        counts[(part.lower(), vendor.lower(), product.lower())] += 1


def build_dictionary(
    purl2cpe_csv_gz: Path,
    extra_text_files: Iterable[Path] = (),
    out: Path | None = None,
) -> bytes:
    """Build the shipped file from purl2cpe-cpes.csv.gz plus any files holding CPE names.

    `extra_text_files` (plain or .gz) are scanned for `cpe:2.3:` names: the shipped file used
    vulnrichment-summary.csv, vulnrichment-selected-records.jsonl and
    anchore-nvd-overrides/all-overrides.jsonl.gz. Returns the gzip bytes (written to `out`).
    """
    counts: Counter[tuple[str, str, str]] = Counter()
    with gzip.open(purl2cpe_csv_gz, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for _vendor, _product, cpe in reader:
            _pairs_in_text(cpe, counts)
    for path in extra_text_files:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                _pairs_in_text(line, counts)
    best_part: dict[tuple[str, str], tuple[int, str]] = {}
    totals: Counter[tuple[str, str]] = Counter()
    for (part, vendor, product), count in counts.items():
        key = (vendor, product)
        totals[key] += count
        if count > best_part.get(key, (0, ""))[0]:
            best_part[key] = (count, part)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("part", "vendor", "product", "count"))
    for key, total in sorted(totals.items()):
        writer.writerow((best_part[key][1], key[0], key[1], total))
    data = gzip.compress(buffer.getvalue().encode("utf-8"), compresslevel=9, mtime=0)
    if out is not None:
        out.write_bytes(data)
    return data


if __name__ == "__main__":  # python -m vigie.engines.cpe.suggest PURL2CPE_GZ [FILES...] OUT
    import sys

    *sources, target = sys.argv[1:]
    written = build_dictionary(Path(sources[0]), [Path(s) for s in sources[1:]], Path(target))
    print(f"{target}: {len(written)} bytes")
