"""Matching inventory assets against products an advisory names without CPE or purl.

CISA's medical advisories (CSAF) and many CVE 5 records name products in words: vendor
`Becton, Dickinson and Company (BD)`, product `Alaris 8015 PC Unit`, versions `<= 9.33.1`. A
hospital inventory says `BD` / `Pompe Alaris PC Unit model 8015` / `9.19`. Name matching is
never `high` (that is reserved for exact CPE and purl semantics): it is `medium` when the names
and the version agree, `low` when something could not be checked. The rules, each with its
reason code (docs/notes/matching.md has one paragraph per rule):

1. **Vendor** (vigie.engines.advisories.names): the same company after folding and aliases;
   failing that, a name of six or more letters spelt one letter (or a doubled letter) apart
   (`vendor_fuzzy`, only for assets identified by names alone: no CPE, no purl); a related
   company (Siemens / Siemens Healthineers) or an advisory without a usable vendor gives `low`.
   An asset with no vendor takes one from the start of its product or name; failing that it
   matches nothing.
2. **Product**: the advisory's product string is read first (vigie.engines.advisories.
   product_text: alternatives split on `/`, excluded products, a version family inside the
   name, a product named in the version branch). Each form's tokens (vigie.engines.advisories.
   tokens) are aligned with the asset's: equal tokens, joined spellings (`Wi-Fi` = `WiFi`,
   `Med Station` = `MedStation`), model stems (`QZ40` has the stem `QZ`), model ranges
   (`MX450` is inside `MX400-MX850`), acronyms of three or more letters (`TCU` = `Therapy
   Control Unit`). Then:
   * `exact` / `contains`: the asset names every required word and model of the form (extra
     category words or models allowed) -> medium; with extra product words of its own -> low;
   * `category`: only category nouns of the advisory are missing (`Telvora Dialysis Delivery
     System` vs `Telvora`), a distinctive word of four or more letters is shared, and the asset
     adds only model numbers -> medium (low when the shared word is shorter);
   * `narrower`: the asset states no model number where the advisory names one -> low;
   * `partial`: other advisory words are missing, nothing conflicts, a distinctive word of four
     or more letters is shared -> low.
   No match at all when: the asset carries another model number than the advisory's; both
   sides have distinctive words the other lacks (`Pump` vs `Controller`, `(iOS)` vs
   `Android`); nothing distinctive is shared (a number and a category word are not enough);
   the advisory's name is only category words (`Gateway`) and the asset's is not the same; the
   asset is one of the products the advisory excludes.
3. **Version** (vigie.engines.advisories.version_expr): outside the range -> no match. Unknown
   (no version in the inventory, a tag the advisory's versions do not carry, an expression we
   cannot read) -> low, the reason says which. CISA often lists *models* where versions go
   (`MiniMed 630G: MMT-1715 | MMT-1754`): an asset carrying one of those models matches for
   all its versions. A condition cut from the expression (`on Windows 8.1 with IIS 7.5`) is
   not checked -> low.
4. Only `affected` and `under_investigation` statuses match (the latter low); `fixed` and
   `not_affected` are VEX, not alerts.

Reasons are structured (`DeviceMatch.reasons`: codes with parameters); `reason` is their English
rendering. `DeviceIndex` (assets by vendor lookup key) and `NamedProductIndex` (advisory
products by vendor lookup key) make one advisory product meet only the assets of its vendor,
and one asset only its vendor's products.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Generic, Literal, TypeVar

from vigie.engines import reason_text
from vigie.engines.advisories.names import (
    VendorRelation,
    family_keys,
    fuzzy_lookup_keys,
    infer_vendor,
    misspelling,
    vendor_keys,
    vendor_relation,
)
from vigie.engines.advisories.product_text import ProductForm, mark_vendor, read_product
from vigie.engines.advisories.tokens import (
    NOISE_WORDS,
    Token,
    initials,
    same_word,
    singular,
    tokenize,
)
from vigie.engines.advisories.version_expr import VersionExpr, parse_version_expr, split_tag
from vigie.engines.records import AssetRecord, Match, NamedProduct

ProductGrade = Literal["exact", "contains", "category", "narrower", "partial"]
Reason = tuple[str, dict[str, Any]]
_LEVELS = ("low", "medium", "high")
MATCHING_STATUSES = frozenset({"affected", "under_investigation"})
_GRADE_RANK = {"exact": 5, "contains": 4, "category": 3, "narrower": 2, "partial": 1}
_FORM_RANK = {
    "whole": 3,
    "version_in_name": 3,
    "part": 2,
    "short_name": 2,
    "product_in_version": 2,
}
_SHARED_WORD_MIN = 4  # "a distinctive shared word of four or more letters"
_ACRONYM_MIN = 3  # never two-letter acronyms
_JOIN_MAX = 3  # `Point of Care` -> `pointofcare`
_VENDOR_WORDS_AT = 3000  # positions of the vendor's words appended to an asset's tokens


def _cap(confidence: str, ceiling: str) -> str:
    return confidence if _LEVELS.index(confidence) <= _LEVELS.index(ceiling) else ceiling


@dataclass(frozen=True, slots=True, eq=False)
class DeviceMatch:
    """Why an asset matches an advisory product, and how sure we are."""

    confidence: str  # medium | low
    reason: str  # English rendering of `reasons`
    vendor_relation: str  # same | alias | fuzzy | family | unknown
    product_grade: ProductGrade
    version_decided: bool  # False when the version could not be compared
    version_range: str  # the bound(s) that matched, in words
    reasons: tuple[Reason, ...] = ()  # (code, parameters): what each rule found
    form: str = "whole"  # which reading of the advisory's product matched
    name_rank: tuple[int, int] = (0, 0)  # how well the names alone agree (siblings compare it)
    ids_matched: bool = False  # a model number of the advisory's name is the asset's

    def to_match(
        self, asset_id: str, vulnerability: str, source: str, product: NamedProduct
    ) -> Match:
        """The records.Match for this pair (criterion: the advisory's vendor and product)."""
        return Match(
            asset=asset_id,
            vulnerability=vulnerability,
            source=source,
            confidence=self.confidence,
            reason=self.reason,
            criterion=f"{product.vendor} {product.product}".strip(),
            version_range=self.version_range,
            reasons=self.reasons,
        )


# --- the asset side ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _AssetNames:
    """What matching needs of an asset, computed once."""

    asset: AssetRecord
    vendor: str
    keys: frozenset[str]  # vendor lookup keys (exact, family and misspelling keys)
    tokens: tuple[Token, ...]
    text: str  # the product (or the name) as the inventory writes it
    version: str
    version_from_name: bool
    named_only: bool  # no CPE, no purl: identified by its names alone

    @property
    def models(self) -> frozenset[str]:
        """Model numbers and numbers of the asset (`PRM 3120` gives `prm3120` and `3120`)."""
        found = {t.text for t in self.tokens if t.kind in ("model", "number")}
        found |= {t.digits for t in self.tokens if t.kind == "model" and " " in t.raw}
        return frozenset(found)


PRODUCT_KEY = "p:"  # a lookup key made of a product word, for advisories naming no vendor


def _product_word_keys(tokens: Iterable[Token]) -> frozenset[str]:
    return frozenset(
        PRODUCT_KEY + t.text
        for t in tokens
        if not t.stop and not t.vendor and (t.distinctive or t.identifying)
    )


def asset_lookup_keys(asset: AssetRecord) -> frozenset[str]:
    """Keys under which an asset meets advisory products (platform and engine alike)."""
    return _lookup_keys(asset, _asset_vendor(asset), None)


def product_lookup_keys(product: NamedProduct) -> frozenset[str]:
    """Keys under which an advisory product meets assets: its vendor's (with related
    companies and misspellings), or, for a product named without a vendor (CVE 5 `packageName`
    entries), its product words."""
    keys = vendor_keys(product.vendor)
    if not keys:
        forms = read_product(product.vendor, product.product, product.versions).forms
        return _product_word_keys(t for form in forms for t in form.tokens if not t.optional)
    return keys | family_keys(keys) | fuzzy_lookup_keys(product.vendor)


def _without_noise(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    """A name used as the product: where-it-is words and their numbers are not product words."""
    out: list[Token] = []
    after_noise = False
    for token in tokens:
        if token.kind == "word" and (token.text in NOISE_WORDS or token.stop):
            after_noise = token.text in NOISE_WORDS or token.text in ("n", "no", "num")
            continue
        if after_noise and token.kind == "number":
            after_noise = False
            continue
        after_noise = False
        out.append(token)
    return tuple(out)


def _asset_vendor(asset: AssetRecord) -> str:
    return asset.vendor.strip() or infer_vendor(asset.product or asset.name) or ""


@lru_cache(maxsize=1 << 15)
def _name_tokens(text: str, vendor: str, from_name: bool) -> tuple[Token, ...]:
    """An asset's product (or name) as tokens, its vendor's words marked (thirty identical
    pumps are read once)."""
    tokens = mark_vendor(tokenize(text), vendor)
    if from_name:
        tokens = _without_noise(tokens)
    # The vendor's own words may satisfy an advisory word (`McKesson Cardiology` for an asset
    # of vendor McKesson whose product says `Cardiology`), never count as extra words.
    present = {t.text for t in tokens}
    return tokens + tuple(
        replace(t, position=t.position + _VENDOR_WORDS_AT, optional=True, vendor=True)
        for t in tokenize(vendor)
        if t.kind == "word" and not t.stop and t.text not in present
    )


def _asset_text(asset: AssetRecord) -> tuple[str, bool]:
    # Words and numbers of the `name` column (`n° inventaire 4410`) say nothing about the
    # product when the inventory gives one.
    from_name = not asset.product.strip()
    return (asset.name if from_name else asset.product), from_name


def _lookup_keys(
    asset: AssetRecord, vendor: str, tokens: tuple[Token, ...] | None
) -> frozenset[str]:
    keys = vendor_keys(vendor) if vendor else frozenset()
    if not keys:
        return keys
    if not asset.cpes and not asset.purls:
        # Misspellings are forgiven only for an asset identified by its names alone (one with
        # a CPE or purl is matched by it, not by a guessed vendor).
        keys |= fuzzy_lookup_keys(vendor)
    if asset.kind != "library":
        # Products named without a vendor (CVE 5 `packageName` entries) meet assets by product
        # words; libraries, the bulk of SBOMs, are matched by their purls (and their names are
        # not even read here).
        if tokens is None:
            text, from_name = _asset_text(asset)
            tokens = _name_tokens(text, vendor, from_name)
        keys |= _product_word_keys(tokens)
    return keys


def _asset_names(asset: AssetRecord) -> _AssetNames:
    vendor = _asset_vendor(asset)
    text, from_name = _asset_text(asset)
    tokens = _name_tokens(text, vendor, from_name)
    version = asset.version.strip()
    version_from_name = False
    if not version:
        written = [t for t in tokens if t.kind == "version"]
        if written:
            version, version_from_name = written[-1].raw, True
    return _AssetNames(
        asset=asset,
        vendor=vendor,
        keys=_lookup_keys(asset, vendor, tokens),
        tokens=tokens,
        text=text.strip(),
        version=version,
        version_from_name=version_from_name,
        named_only=not asset.cpes and not asset.purls,
    )


# --- aligning two names --------------------------------------------------------------------


@dataclass
class _Alignment:
    asset: list[Token]
    advisory: list[Token]
    matched_asset: set[int]
    matched_advisory: set[int]
    weak: set[int]  # advisory indices matched only through a two-letter stem
    stemmed: set[int]  # asset models matched only by their stem (`MP70` for the word `MP`)
    bare_stems: set[int]  # advisory models met only by their stem (`QZ40` for the word `QZ`)
    notes: list[Reason]


def _model_meets(a: Token, b: Token) -> bool:
    """Two model or number tokens denoting the same model (ranges and `x` digits included)."""
    if a.text == b.text:
        return True
    for one, other in ((a, b), (b, a)):
        if (
            one.low is not None
            and one.high is not None
            and other.low is None
            and other.stem == one.stem
            and other.digits.isdigit()
            and one.low <= int(other.digits) <= one.high
            and other.text == other.stem + str(int(other.digits))
        ):
            return True
        if "x" in one.digits or ("x" in one.text and one.kind == "model"):
            pattern = re.fullmatch(r"([a-z]*\d+)x(\d*)", one.text)
            if pattern and re.fullmatch(
                re.escape(pattern.group(1)) + r"\d" + re.escape(pattern.group(2)), other.text
            ):
                return True
    return False


def _equal(a: Token, b: Token) -> bool:
    if a.kind == "word" and b.kind == "word":
        return same_word(a.text, b.text)
    if a.kind in ("model", "number") and b.kind in ("model", "number"):
        return _model_meets(a, b)
    return False


def _free_runs(
    tokens: list[Token], taken: set[int], longest: int
) -> Iterable[tuple[int, list[int]]]:
    """(start, run) for every run of 2..longest consecutive (by position) free tokens."""
    for start in range(len(tokens)):
        if start in taken:
            continue
        run = [start]
        for index in range(start + 1, min(len(tokens), start + longest)):
            if index in taken or tokens[index].position != tokens[run[-1]].position + 1:
                break
            run.append(index)
            yield start, list(run)


def _join_pass(
    one: list[Token], one_taken: set[int], other: list[Token], other_taken: set[int]
) -> list[Reason]:
    """A token of one side that is several adjacent tokens of the other (`wifi` = `wi fi`)."""
    wanted = {
        token.text: i
        for i, token in enumerate(one)
        if i not in one_taken and not token.stop and token.kind in ("word", "model")
    }
    if not wanted:
        return []
    notes: list[Reason] = []
    for _, run in _free_runs(other, other_taken, _JOIN_MAX):
        if any(j in other_taken for j in run):
            continue
        i = wanted.get("".join(other[j].text for j in run))
        if i is None or i in one_taken:
            continue
        one_taken.add(i)
        other_taken.update(run)
        notes.append(("token_joined", {"joined": one[i].raw, "apart": _raw(other, run)}))
    return notes


def _raw(tokens: list[Token], indices: list[int]) -> str:
    return " ".join(tokens[j].raw for j in indices)


def _acronym_pass(
    one: list[Token], one_taken: set[int], other: list[Token], other_taken: set[int]
) -> list[Reason]:
    """`TCU` on one side, `Therapy Control Unit` on the other, none of them matched yet."""
    wanted: dict[str, int] = {}
    compound_only: set[int] = set()
    for i, token in enumerate(one):
        if i in one_taken or token.kind != "word" or token.stop:
            continue
        if _ACRONYM_MIN <= len(token.text) <= 6:
            wanted.setdefault(token.text, i)
        elif len(token.text) == 2 and token.raw.isupper():
            # Two letters only for a capitalised acronym of one hyphenated compound (`PC`
            # for `Point-of-Care`): never two-letter acronyms of separate words.
            wanted.setdefault(token.text, i)
            compound_only.add(i)
    if not wanted:
        return []
    notes: list[Reason] = []
    candidates: list[list[int]] = [
        [j] for j, t in enumerate(other) if j not in other_taken and "-" in t.raw
    ]
    candidates += [run for _, run in _free_runs(other, other_taken, 8)]
    for run in candidates:
        first = other[run[0]]
        if first.kind != "word" or first.stop or any(j in other_taken for j in run):
            continue
        words = [other[j] for j in run]
        for letters in (initials(words), initials(words, with_stop_words=True)):
            found = wanted.get(letters)
            if found is None or found in one_taken or (found in compound_only and len(run) > 1):
                continue
            one_taken.add(found)
            other_taken.update(run)
            notes.append(("token_acronym", {"acronym": one[found].raw, "words": _raw(other, run)}))
            break
    return notes


def _first_of_each(tokens: tuple[Token, ...]) -> list[Token]:
    """Version tokens dropped; a token repeated in one name (`Alaris ... Alaris CC`) counts once."""
    seen: set[tuple[str, str, bool]] = set()
    out: list[Token] = []
    for token in tokens:
        if token.kind == "version":
            continue
        key = (token.text, token.kind, token.optional)
        if key in seen and not token.stop:
            out.append(replace(token, stop=True))
            continue
        seen.add(key)
        out.append(token)
    return out


# Short letter prefixes of imaging models (`CT520` is the `Optima 520` scanner): a model with
# such a stem and a bare number are the same model.
_SHORT_STEM_MAX = 3
_SPELLING_MIN = 7  # `Millenium` / `Millennium`: a doubled letter, in a long word


def _number_model_pass(
    one: list[Token], one_taken: set[int], other: list[Token], other_taken: set[int]
) -> list[Reason]:
    notes: list[Reason] = []
    for i, number in enumerate(one):
        if i in one_taken or number.kind != "number" or len(number.text) < 3:
            continue
        for j, model in enumerate(other):
            if (
                j not in other_taken
                and model.kind == "model"
                and model.low is None
                and 1 <= len(model.stem) <= _SHORT_STEM_MAX
                and model.digits == number.text
                and model.text == model.stem + model.digits
            ):
                one_taken.add(i)
                other_taken.add(j)
                notes.append(("model_number_read_as", {"number": number.raw, "model": model.raw}))
                break
    return notes


def _spelling_pass(
    asset: list[Token], asset_taken: set[int], advisory: list[Token], advisory_taken: set[int]
) -> list[Reason]:
    notes: list[Reason] = []
    for i, a in enumerate(asset):
        if i in asset_taken or a.kind != "word" or a.stop or len(a.text) < _SPELLING_MIN:
            continue
        for j, b in enumerate(advisory):
            if (
                j not in advisory_taken
                and b.kind == "word"
                and not b.stop
                and misspelling(a.text, b.text) == "doubled_letter"
            ):
                asset_taken.add(i)
                advisory_taken.add(j)
                notes.append(("token_spelling", {"asset": a.raw, "advisory": b.raw}))
                break
    return notes


def _align(asset_tokens: tuple[Token, ...], form_tokens: tuple[Token, ...]) -> _Alignment:
    asset = _first_of_each(asset_tokens)
    advisory = _first_of_each(form_tokens)
    ma: set[int] = set()
    mb: set[int] = set()
    weak: set[int] = set()
    stemmed: set[int] = set()
    bare_stems: set[int] = set()
    notes: list[Reason] = []
    # Required advisory tokens first, so that an optional twin does not take the asset's token.
    order = sorted(range(len(advisory)), key=lambda j: advisory[j].optional)
    for j in order:
        b = advisory[j]
        if b.stop:
            continue
        for i, a in enumerate(asset):
            if i not in ma and not a.stop and _equal(a, b):
                ma.add(i)
                mb.add(j)
                if a.low is not None or b.low is not None:
                    notes.append(("model_in_range", {"model": a.raw, "range": b.raw}))
                break
    notes += _join_pass(advisory, mb, asset, ma)
    notes += _join_pass(asset, ma, advisory, mb)
    # Model stems: `QZ40` in one name, `QZ` in the other.
    for side, other, taken, other_taken, is_asset in (
        (asset, advisory, ma, mb, True),
        (advisory, asset, mb, ma, False),
    ):
        for i, token in enumerate(side):
            if i in taken or token.kind != "model" or len(token.stem) < 2 or token.low is not None:
                continue
            for j, word in enumerate(other):
                if j in other_taken or word.kind != "word" or word.text != token.stem:
                    continue
                taken.add(i)
                other_taken.add(j)
                if is_asset:
                    stemmed.add(i)
                else:
                    bare_stems.add(i)
                if len(token.stem) == 2:
                    weak.add(j if is_asset else i)
                notes.append(("model_stem", {"model": token.raw, "stem": word.raw}))
                break
    notes += _number_model_pass(asset, ma, advisory, mb)
    notes += _number_model_pass(advisory, mb, asset, ma)
    notes += _spelling_pass(asset, ma, advisory, mb)
    notes += _acronym_pass(asset, ma, advisory, mb)
    notes += _acronym_pass(advisory, mb, asset, ma)
    _credit_abbreviated_words(advisory, mb)
    return _Alignment(asset, advisory, ma, mb, weak, stemmed, bare_stems, notes)


def _credit_abbreviated_words(advisory: list[Token], matched: set[int]) -> None:
    """`Point-of-Care Unit (PCU)`: the asset named the abbreviation, so it named those words."""
    for j, token in enumerate(advisory):
        if j not in matched or not token.optional or token.kind != "word":
            continue
        for start in range(j - 1, -1, -1):
            run = list(range(start, j))
            if any(advisory[k].optional for k in run):
                break
            letters = initials([advisory[k] for k in run])
            if letters == token.text:
                matched.update(run)
                break
            if len(letters) > len(token.text):
                break


# --- grading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Graded:
    grade: ProductGrade
    confidence: str
    reasons: tuple[Reason, ...]
    ids_matched: bool = False  # a model or number of the advisory's name is the asset's


def _shown(tokens: Iterable[Token]) -> list[str]:
    return [t.raw for t in tokens]


def _grade(names: _AssetNames, form: ProductForm) -> _Graded | None:
    return _grade_tokens(names.tokens, names.text, form)


@lru_cache(maxsize=1 << 15)
def _keys(tokens: tuple[Token, ...], advisory: bool) -> frozenset[str]:
    """What two names must have in common for any rule of `_align` to pair their tokens.

    An advisory's keys come from its distinctive words and model numbers (or from all its
    words when it has only category words), an asset's from all its words: a pair sharing no
    key cannot be graded, and is not aligned at all (most pairs of one vendor's names).
    """
    compared = [t for t in tokens if t.kind != "version" and not t.stop]
    generic = not any(
        (t.distinctive or t.identifying) and not t.optional for t in compared if not t.vendor
    )
    keys: set[str] = set()
    for token in compared:
        if token.vendor and token.optional:
            continue  # the vendor's name is shared by every product of the vendor
        if advisory and not generic and not (token.distinctive or token.identifying):
            continue
        keys.add(token.text)
        if token.kind == "word":
            keys.add(singular(token.text))
            if len(token.text) >= _SPELLING_MIN:
                keys.add("~" + _collapse_letters(token.text))
            if _ACRONYM_MIN <= len(token.text) <= 6 or len(token.text) == 2:
                keys.add("a:" + token.text)
        else:
            if token.stem:
                keys.add(token.stem)
            if token.digits:
                keys.add("d:" + token.digits)
            if token.kind == "number":
                keys.add("d:" + token.text)
    # Joined spellings and acronyms are made of neighbours of any kind.
    ordered = [t for t in tokens if t.kind != "version"]
    for start in range(len(ordered)):
        if "-" in ordered[start].raw and ordered[start].initial:
            keys.add("a:" + ordered[start].initial)
        for end in range(start + 2, min(len(ordered), start + 8) + 1):
            run = ordered[start:end]
            if any(b.position != a.position + 1 for a, b in itertools.pairwise(run)):
                break
            if end - start <= _JOIN_MAX:
                keys.add("".join(t.text for t in run))
            keys.add("a:" + initials(run))
            keys.add("a:" + initials(run, with_stop_words=True))
    return frozenset(keys)


def _collapse_letters(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


@lru_cache(maxsize=1 << 16)
def _grade_tokens(tokens: tuple[Token, ...], text: str, form: ProductForm) -> _Graded | None:
    """The product grade of an asset's tokens against one form (inventories repeat models:
    thirty identical pumps are graded once)."""
    if not _keys(tokens, False) & _keys(form.tokens, True):
        return None
    al = _align(tokens, form.tokens)
    matched = al.matched_advisory
    advisory = [(j, t) for j, t in enumerate(al.advisory) if not t.stop]
    required = [(j, t) for j, t in advisory if not t.optional]
    if not required:
        return None
    missing = [t for j, t in required if j not in matched]
    missing_words = [t for t in missing if t.kind == "word" and not t.soft]
    missing_soft = [t for t in missing if t.kind == "word" and t.soft]
    required_ids = [t for _, t in required if t.identifying]
    has_ids = any(t.identifying for _, t in advisory)
    ids_matched = any(j in matched and j not in al.bare_stems for j, t in advisory if t.identifying)
    model_missing = bool(required_ids) and not ids_matched
    # The vendor's words are compared by the vendor rule, never extra product words.
    asset = [(i, t) for i, t in enumerate(al.asset) if not t.stop and not t.vendor]
    extra = [t for i, t in asset if i not in al.matched_asset]
    extra_required = [t for t in extra if not t.optional]
    extra_words = [t for t in extra_required if t.kind == "word" and not t.soft]
    extra_words_any = [t for t in extra if t.kind == "word" and not t.soft]
    extra_soft = [t for t in extra_required if t.kind == "word" and t.soft]
    extra_ids = [t for t in extra_required if t.identifying]
    if has_ids and not ids_matched:
        # A model read only as a stem (`MP70` for `MP`) still names a model of its own.
        extra_ids += [al.asset[i] for i in al.stemmed if not al.asset[i].optional]
    shared = [t for j, t in required if j in matched and j not in al.weak]
    # A model number in common is distinctive however short (`T1`); it counts as "a shared
    # word of four or more letters" only from four characters on.
    shared_distinctive = [
        t for t in shared if t.distinctive or (t.kind == "model" and t.stem and t.low is None)
    ]
    long_shared = [t for t in shared_distinctive if len(t.text) >= _SHARED_WORD_MIN]
    shared_number = any(t.kind == "number" and len(t.text) >= 3 for t in shared)
    notes = list(al.notes)
    base: list[Reason] = [("product", {"asset": text, "advisory": form.text})]
    if form.how == "part":
        base.append(("product_part", {"part": form.text}))
    elif form.how == "short_name":
        base.append(("product_short_name", {"name": form.text}))
    elif form.how == "product_in_version":
        base.append(("product_in_version_field", {"product": form.text}))

    def graded(grade: ProductGrade, confidence: str, code: str, **params: Any) -> _Graded:
        return _Graded(grade, confidence, (*base, (code, params), *notes), ids_matched)

    if not any(
        i in al.matched_asset for i, t in enumerate(al.asset) if t.position < _VENDOR_WORDS_AT
    ):
        return None  # only the vendor's own name in common
    if not any(t.distinctive or t.identifying for _, t in required):
        # Only category words (`Gateway`, `Patient Portal`): the very same name, or nothing.
        if missing or extra_required:
            return None
        return graded("exact", "medium", "product_generic_same")
    if has_ids and not ids_matched and extra_ids:
        return None  # another model number of the product line
    if missing_words and (extra_words_any or extra_ids):
        return None  # each side names something the other does not: different products
    if not missing and not model_missing and not extra_required and shared:
        return graded("exact", "medium", "product_same")
    if not shared_distinctive:
        if al.weak and not missing_words and not extra_words:
            stem = [t.raw for j, t in advisory if j in al.weak]
            return graded("partial", "low", "product_short_stem_only", stem=stem)
        if shared_number and not (extra_required or model_missing):
            words = _shown(missing_words + missing_soft)
            return graded("partial", "low", "product_words_missing", words=words)
        return None  # a number or a category word in common is not the same product
    if not missing and not model_missing:
        if extra_words:
            # Brand or edition words of the inventory (`Kiestra PerformA`, `MedDream PACS
            # Premium`), or another product: not for sure.
            return graded("contains", "low", "product_asset_adds_words", words=_shown(extra_words))
        return graded("contains", "medium", "product_contains")
    # Something of the advisory's name is missing: the inventory may add model numbers only
    # ("extra inventory words only model numbers"). Category words on both sides that differ
    # (`Infusion Pump 3000` / `Infusion Controller 3000`) name different devices.
    if extra_words or extra_soft:
        return None
    if model_missing:
        if missing_words:
            return None
        return graded("narrower", "low", "product_model_not_stated", models=_shown(required_ids))
    if not missing_words:
        confidence = "medium" if long_shared else "low"
        return graded(
            "category", confidence, "product_category_words_missing", words=_shown(missing_soft)
        )
    if not long_shared:
        return None
    return graded(
        "partial", "low", "product_words_missing", words=_shown(missing_words + missing_soft)
    )


def _excluded(names: _AssetNames, excluded: tuple[tuple[str, tuple[Token, ...]], ...]) -> str:
    """The excluded product the asset is, if any (every distinctive token of it named)."""
    for text, tokens in excluded:
        al = _align(names.tokens, tokens)
        needed = [
            j
            for j, t in enumerate(al.advisory)
            if not t.stop and not t.optional and (t.distinctive or t.identifying)
        ]
        if needed and all(j in al.matched_advisory for j in needed):
            return text
    return ""


# --- versions ------------------------------------------------------------------------------


def _listed_models(expr: VersionExpr, names: _AssetNames) -> list[str]:
    """Advisory 'versions' that are really model numbers the asset carries (MMT-1715)."""
    candidates = list(expr.exact_values)
    if expr.kind == "unparsable":
        candidates += expr.text.replace("|", " ").split()
    models = names.models
    found = []
    for candidate in candidates:
        tokens = [t for t in tokenize(candidate) if t.kind in ("model", "number")]
        if len(tokens) == 1 and len(tokens[0].text) >= 3 and tokens[0].text in models:
            found.append(candidate)
    return list(dict.fromkeys(found))


_LIST_SEPARATORS = re.compile(r"\s*(?:\||/|,|;|\band\b|\bor\b)\s*", re.IGNORECASE)
_ASIDES = re.compile(r"\([^()]*\)")


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _listed_version(expr: VersionExpr, version: str) -> bool:
    """An expression we cannot read that lists the asset's version as one of its values
    (B. Braun part numbers: `053L000091 (global) / 054U000091 (U.S.) and 053L000092 ...`)."""
    if expr.kind != "unparsable" or not version:
        return False
    values = {_compact(v) for v in _LIST_SEPARATORS.split(_ASIDES.sub(" ", expr.text))}
    return _compact(version) in values - {""}


def _major_only(expr: VersionExpr, version: str) -> bool:
    """The advisory gives one bare major version (`8`) and the asset's version is in that line."""
    if expr.kind != "range" or len(expr.bounds) != 1:
        return False
    bound = expr.bounds[0]
    if bound.op != "=" or bound.wildcard or not bound.number.isdigit():
        return False
    number = split_tag(version)[1]
    head = re.match(r"^(\d+)[.\-]", number)
    return head is not None and int(head.group(1)) == int(bound.number)


def _condition_met(expr: VersionExpr, names: _AssetNames) -> bool:
    """A `model 35700BAX2` condition is met when the asset carries that model."""
    if not expr.condition.lower().startswith("model"):
        return False
    wanted = {t.text for t in tokenize(expr.condition) if t.kind in ("model", "number")}
    return bool(wanted & names.models)


def _own_name_tag(mismatch: tuple[str, tuple[str, ...]] | None, product: NamedProduct) -> str:
    """The one tag of the advisory's bounds when it is the product's or vendor's own name
    (`GEH` of the GEH-SD-320AN, `LPI` of LifePoint Informatics), which inventories leave out."""
    if mismatch is None or mismatch[0] or len(mismatch[1]) != 1 or not mismatch[1][0]:
        return ""
    tag = mismatch[1][0]
    tokens = tokenize(product.product)
    if tokens and tokens[0].text.startswith(tag):
        return tag
    if initials(list(tokenize(product.vendor))) == tag:
        return tag
    return ""


def _version_verdict(
    expr: VersionExpr, names: _AssetNames, product: NamedProduct | None = None
) -> tuple[bool, list[Reason], str] | None:
    """(decided, reasons, bound in words), or None when the version is outside the range."""
    version = names.version
    models = _listed_models(expr, names)
    if models:
        return True, [("version_listed_model", {"models": models})], expr.text
    decided = expr.contains(version) if version else (True if expr.kind == "all" else None)
    if decided is False and _major_only(expr, version):
        # `Version 8` in an advisory is most often the whole 8 line; not for sure.
        return False, [("version_major_only", {"version": version, "major": expr.text})], expr.text
    if decided is False:
        return None
    if decided is None and _listed_version(expr, version):
        return True, [("version_listed", {"version": version})], expr.text
    read: list[Reason] = []
    if names.version_from_name:
        read.append(("version_read_from_name", {"version": version}))
    if decided is True:
        if expr.kind == "all":
            return True, [*read, ("version_all", {})], "all versions"
        bound = expr.matching_interval(version)
        return True, [*read, ("version_within", {"version": version, "range": bound})], bound
    if not version:
        return False, [("version_unknown", {"range": expr.describe()})], expr.describe()
    if expr.kind == "unparsable":
        return False, [("version_not_understood", {"expression": expr.text})], expr.text
    mismatch = expr.tag_mismatch(version)
    own_tag = _own_name_tag(mismatch, product) if product is not None else ""
    if own_tag:
        # `GEH-SD-320AN` versions written `GEH-1.1`, LifePoint Informatics' `LPI 3.5.12`: the
        # advisory's tag is the product's (or vendor's) own name, an inventory leaves it out.
        retried = expr.contains(f"{own_tag} {version}")
        if retried is False:
            return None
        if retried is True:
            bound = expr.matching_interval(f"{own_tag} {version}")
            reasons = [*read, ("version_within", {"version": version, "range": bound})]
            return True, reasons, bound
    if mismatch is not None:
        tag = split_tag(version)[0]
        return (
            False,
            [
                *read,
                (
                    "version_tag_mismatch",
                    {
                        "version": version,
                        "tag": tag.upper(),
                        "advisory_tags": [t.upper() for t in mismatch[1] if t],
                        "range": expr.describe(),
                    },
                ),
            ],
            expr.describe(),
        )
    return (
        False,
        [*read, ("version_not_comparable", {"version": version, "range": expr.describe()})],
        expr.describe(),
    )


# --- putting it together -------------------------------------------------------------------


def _vendor_reason(relation: VendorRelation, names: _AssetNames, product: NamedProduct) -> Reason:
    params = {"asset": names.vendor, "advisory": product.vendor}
    if relation.kind == "fuzzy":
        params["how"] = relation.via
    return (f"vendor_{relation.kind}", params)


def _match(
    names: _AssetNames, product: NamedProduct, relation: VendorRelation
) -> DeviceMatch | None:
    status = product.status.strip().lower() or "affected"
    if status not in MATCHING_STATUSES:
        return None
    if relation.kind == "fuzzy" and not names.named_only:
        return None  # an asset with a CPE or purl is matched by it, not by a guessed vendor
    read = read_product(product.vendor, product.product, product.versions)
    if read.excluded and _excluded(names, read.excluded):
        return None
    extra_models = tuple(
        t for m in product.model_numbers for t in tokenize(m) if t.kind in ("model", "number")
    )
    best: tuple[tuple[int, int, int], DeviceMatch] | None = None
    for form in read.forms:
        tokens = form.tokens + tuple(
            replace(t, position=t.position + 2000, optional=True) for t in extra_models
        )
        graded = _grade(names, ProductForm(form.text, tokens, form.versions, form.how))
        if graded is None:
            continue
        expr = parse_version_expr(form.versions)
        verdict = _version_verdict(expr, names, product)
        if verdict is None:
            continue
        decided, version_reasons, bound = verdict
        confidence = graded.confidence
        reasons: list[Reason] = [_vendor_reason(relation, names, product), *graded.reasons]
        if form.how == "version_in_name":
            reasons.append(("version_family_in_name", {"family": form.versions}))
        reasons += version_reasons
        if relation.kind in ("family", "unknown"):
            confidence = "low"
        if not decided:
            confidence = "low"
        if expr.condition and not _condition_met(expr, names):
            confidence = "low"
            reasons.append(("version_condition_not_checked", {"condition": expr.condition}))
        if status == "under_investigation":
            confidence = "low"
            reasons.append(("status_under_investigation", {}))
        if read.excluded:
            reasons.append(
                ("product_exclusions_checked", {"excluded": [t for t, _ in read.excluded]})
            )
        found = DeviceMatch(
            confidence=_cap(confidence, "medium"),
            reason=render_reasons(reasons),
            vendor_relation=relation.kind,
            product_grade=graded.grade,
            version_decided=decided,
            version_range=bound,
            reasons=tuple(reasons),
            form=form.how,
            name_rank=(_LEVELS.index(graded.confidence), _GRADE_RANK[graded.grade]),
            ids_matched=graded.ids_matched,
        )
        rank = (
            _LEVELS.index(found.confidence),
            _GRADE_RANK[graded.grade],
            _FORM_RANK.get(form.how, 1),
        )
        if best is None or rank > best[0]:
            best = (rank, found)
    return best[1] if best is not None else None


def match_device(asset: AssetRecord, product: NamedProduct) -> DeviceMatch | None:
    """Match one asset against one advisory product; None when they do not match."""
    names = _asset_names(asset)
    if not names.vendor:
        return None
    relation = vendor_relation(names.vendor, product.vendor)
    if relation is None:
        return None
    return _match(names, product, relation)


Siblings = tuple[tuple[str, str], ...]  # (vendor, product) named by the same advisory


@dataclass(frozen=True, slots=True)
class _SiblingView:
    rank: tuple[int, int]  # (confidence level + 1, grade); (0, 0) when the names differ
    ids_matched: bool
    model_stems: frozenset[str]  # letter stems of the sibling's model numbers (`b` of B450)


def _sibling_view(names: _AssetNames, vendor: str, product: str) -> _SiblingView:
    """How well the asset's name agrees with a product name, versions aside."""
    best = (0, 0)
    ids = False
    forms = read_product(vendor, product, "").forms
    for form in forms:
        graded = _grade(names, form)
        if graded is not None:
            best = max(best, (_LEVELS.index(graded.confidence) + 1, _GRADE_RANK[graded.grade]))
            ids = ids or graded.ids_matched
    stems = frozenset(t.stem for form in forms for t in form.tokens if t.kind == "model" and t.stem)
    return _SiblingView(best, ids, stems)


def _is_a_sibling(
    names: _AssetNames,
    product: NamedProduct,
    found: DeviceMatch,
    siblings: Siblings,
    cache: dict[tuple[int, str, str], _SiblingView],
) -> bool:
    """The asset is, more surely, another product of the same advisory than this one.

    An advisory listing `CARESCAPE B450` and `CARESCAPE Telemetry Server` means two devices:
    an asset named `CARESCAPE B450` is the first, not a device "adding category words" to the
    second; and a `CARESCAPE B40`, of the advisory's B-series but not in its list, is neither.
    The sibling's own version and status do not matter (a B450 at a fixed version is still not
    a telemetry server).
    """
    own = (found.name_rank[0] + 1, found.name_rank[1])
    asset_stems = {t.stem for t in names.tokens if t.kind == "model" and t.stem and not t.optional}
    for vendor, other in siblings:
        if other == product.product:
            continue
        key = (id(names), vendor, other)
        view = cache.get(key)
        if view is None:
            view = cache[key] = _sibling_view(names, vendor, other)
        if found.ids_matched:
            if view.ids_matched and view.rank > own:
                return True
            continue  # the asset carries this product's model number: it is this one
        if view.rank > own:
            return True
        if view.ids_matched and view.rank > (0, 0):
            return True  # the asset's model number is the one the advisory gives the sibling
        if asset_stems & view.model_stems:
            return True  # another model of the series the advisory lists model by model
    return False


class DeviceIndex:
    """Assets grouped by vendor lookup key, to match advisory products against their vendor's."""

    def __init__(self, assets: Iterable[AssetRecord] = ()) -> None:
        self._by_key: dict[str, list[_AssetNames]] = defaultdict(list)
        self._all: list[_AssetNames] = []
        self._sibling_ranks: dict[tuple[int, str, str], _SiblingView] = {}
        self._matched: dict[NamedProduct, list[tuple[_AssetNames, DeviceMatch]]] = {}
        for asset in assets:
            self.add(asset)

    def add(self, asset: AssetRecord) -> None:
        names = _asset_names(asset)
        if not names.keys:
            return  # no vendor, none inferable: cannot meet a named product
        self._all.append(names)
        for key in names.keys:
            self._by_key[key].append(names)

    def __len__(self) -> int:
        return len(self._all)

    def _candidates(self, product: NamedProduct) -> list[_AssetNames]:
        keys = product_lookup_keys(product)
        seen: dict[int, _AssetNames] = {}
        for key in keys:
            for names in self._by_key.get(key, ()):
                seen.setdefault(id(names), names)
        return list(seen.values())

    def candidates(self, product: NamedProduct) -> list[AssetRecord]:
        """Assets whose vendor may be the product's (alias, related company, misspelling)."""
        return [n.asset for n in self._candidates(product)]

    def match(
        self, product: NamedProduct, siblings: Siblings = ()
    ) -> list[tuple[AssetRecord, DeviceMatch]]:
        """Every asset matching `product`, with the match; `siblings` are the other products
        the same advisory names (an asset that is one of them is not this one)."""
        matched = self._matched.get(product)
        if matched is None:
            # Advisories repeat their products under every CVE: evaluate each product once.
            matched = []
            for names in self._candidates(product):
                relation = vendor_relation(names.vendor, product.vendor)
                if relation is None:
                    continue
                found = _match(names, product, relation)
                if found is not None:
                    matched.append((names, found))
            self._matched[product] = matched
        return [
            (names.asset, found)
            for names, found in matched
            if not siblings
            or not _is_a_sibling(names, product, found, siblings, self._sibling_ranks)
        ]


P = TypeVar("P")


class NamedProductIndex(Generic[P]):
    """Advisory products (each with a payload, e.g. its vulnerability) grouped by vendor key."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[tuple[NamedProduct, P]]] = defaultdict(list)
        self._siblings: dict[int, Siblings] = {}

    def add(self, product: NamedProduct, payload: P, siblings: Siblings = ()) -> None:
        if siblings:
            self._siblings[id(product)] = siblings
        keys = vendor_keys(product.vendor)
        if keys:
            keys |= fuzzy_lookup_keys(product.vendor)
        else:
            keys = product_lookup_keys(product)
        for key in keys:
            self._by_key[key].append((product, payload))

    def match(self, asset: AssetRecord) -> list[tuple[NamedProduct, P, DeviceMatch]]:
        """Every indexed product the asset matches, with its payload and the match."""
        names = _asset_names(asset)
        if not names.keys:
            return []
        seen: set[int] = set()
        out: list[tuple[NamedProduct, P, DeviceMatch]] = []
        ranks: dict[tuple[int, str, str], _SiblingView] = {}
        pools = [self._by_key.get(k, []) for k in names.keys | family_keys(names.keys)]
        for pool in pools:
            for product, payload in pool:
                if id(product) in seen:
                    continue
                seen.add(id(product))
                relation = vendor_relation(names.vendor, product.vendor)
                if relation is None:
                    continue
                found = _match(names, product, relation)
                siblings = self._siblings.get(id(product), ())
                if found is not None and not (
                    siblings and _is_a_sibling(names, product, found, siblings, ranks)
                ):
                    out.append((product, payload, found))
        return out


# --- reasons in English --------------------------------------------------------------------
#
# engines/reason_text.py renders the codes (the platform renders the same codes with gettext).


def render_reason(code: str, params: dict[str, Any]) -> str:
    return reason_text.render_part(code, params)


def render_reasons(reasons: Iterable[Reason]) -> str:
    """`vendor …; product … (same product; Wi-Fi read as WiFi); version … within …`."""
    return reason_text.render_reasons(reasons)
