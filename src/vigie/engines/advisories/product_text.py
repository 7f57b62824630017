"""What an advisory's product string really names, before any inventory is compared with it.

CISA's medical advisories pack several facts into the `product_name` and `product_version`
branches of CSAF. `read_product()` unpacks them into `ProductForm`s, each a set of tokens to
compare with an asset and the version expression that goes with it:

* **several products in one name** (`Orbis Planner/FluxLink Gateway`, `Assurity/Allure`): the
  name is split at a `/` whose neighbours are words of four or more letters (never `PET/CT`,
  `MP/i`, `NM/CT`), and at a spaced ` / ` between two names; each part is a form, and the whole
  name stays one too, so the matcher grades all and keeps the best;
* **excluded products** (`Kestrel monitors, not including Kestrel 20 Lite`; `except`, `other
  than`, `excluding`, `but not`): the excluded names are cut out of the name and kept apart; an
  asset that is one of them matches nothing, and only the head is graded;
* **a version family inside the name** (`OrbiView Suite 4.2.x`, `Xeleris 1.0`) when the version
  branch says all versions (or nothing): the trailing version token becomes the expression
  (`4.2.x`; `1.0` reads as the 1.0 family);
* **the product named in the version branch** (product `Handheld analyzers`, version `Glyra
  Check Plus`): a branch value that is not a version (no digit next to a comparator, not a date,
  not a condition such as `with...`/`on...`) is a product name; its form takes all versions, with
  the branch's product name as optional words, and the reason says so.

The vendor's own name at the start of a product (`BD Alaris`, `Welch Allyn Connex`) is not a
product word and is dropped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from vigie.engines.advisories.names import (
    family_keys,
    fold_keeping,
    resolve_misspelt_vendor,
    vendor_keys,
    vendor_spellings,
)
from vigie.engines.advisories.tokens import Token, tokenize
from vigie.engines.advisories.version_expr import parse_version_expr


@dataclass(frozen=True, slots=True)
class ProductForm:
    """One way to read the advisory's product: tokens to compare, and its version expression."""

    text: str  # the name this form compares, for reasons
    tokens: tuple[Token, ...]
    versions: str  # the version expression of this form
    how: str  # whole | part | version_in_name | product_in_version


@dataclass(frozen=True, slots=True)
class AdvisoryProduct:
    text: str
    forms: tuple[ProductForm, ...]
    excluded: tuple[tuple[str, tuple[Token, ...]], ...]  # (name as written, its tokens)


_EXCLUSION = re.compile(
    r"^(?P<head>.*?)\s*[,;(\-–]?\s*\b(?:not\s+including|excluding|excludes|except(?:\s+for)?|"
    r"other\s+than|but\s+not|with\s+the\s+exception\s+of)\b\s*:?\s*(?P<rest>.+?)\s*\)?\s*$",
    re.IGNORECASE,
)
# `CARESCAPE Central Station (CSCS)`, `Spot Vital Signs 4400 Device (Spot 4400)`: a short name
# in parentheses after the name is another name of the same product.
_SHORT_NAME = re.compile(r"\(([^()]{1,40})\)")
_SHORT_NAME_TOKENS = 3
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"\s*(?:,|;|/|\band\b|\bor\b|\bnor\b)\s*", re.IGNORECASE)
_WORD_SLASH = re.compile(r"(?<=[A-Za-z]{4})/(?=[A-Za-z]{4})")
_SPACED_SLASH = re.compile(r"\s+/\s+")
_LONG_WORD = re.compile(r"[A-Za-z]{4,}")
# Version branch values that are conditions or dates, not product names.
_CONDITION_START = re.compile(
    r"^(?:with|without|on|running|when|if|using|installed|shipped|manufactured|for|in|under|"
    r"all|any|every|prior|before|after|up|through|from|between|since|until|version|versions|"
    r"rev|revision|release|build|firmware|software|"
    # a platform the versions run on (`Windows 10 Professional Operating System ...`)
    r"windows|microsoft|linux|android|ios|macos|mac\s+os|vxworks)\b",
    re.IGNORECASE,
)
_PARENTHESES = re.compile(r"\([^()]*\)")
_COMPARATOR = re.compile(r"[<>=≤≥]")
_DATE_WORDS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b(?:19|20)\d\d-\d\d",
    re.IGNORECASE,
)


def vendor_spellings_compact(vendor: str) -> tuple[str, ...]:
    """Spellings of a vendor and its related companies, spaces removed, longest first."""
    keys = vendor_keys(vendor) if vendor.strip() else frozenset()
    resolved = resolve_misspelt_vendor(vendor) if keys else None
    if resolved is not None:
        keys = keys | {resolved[0]}
    written = vendor_spellings(keys | family_keys(keys))
    spellings = {s.replace(" ", "") for s in written}
    # `HAMILTON-T1`, `Natus Xltek`: products often carry only the vendor's first word.
    spellings |= {
        s.split()[0]
        for s in written
        if " " in s and len(s.split()[0]) >= 5 and s.split()[0] not in _GENERIC_VENDOR_WORDS
    }
    return tuple(sorted((s for s in spellings if s), key=len, reverse=True))


_GENERIC_VENDOR_WORDS = frozenset(
    {"general", "medical", "health", "healthcare", "international", "royal", "saint", "micro"}
)


def mark_vendor(tokens: tuple[Token, ...], vendor: str) -> tuple[Token, ...]:
    """Mark the words at the start of a name that spell the vendor (`BD Alaris`, `Welch Allyn
    Connex`, `HAMILTON-T1`, `Orthanc Osimis WebViewer`): compared, but not product words.

    They stay required when nothing distinctive is left: `Telvora Dialysis Delivery System` of
    vendor Telvora is named by the vendor's word, the rest being category words.
    """
    spellings = vendor_spellings_compact(vendor)
    if not spellings:
        return tokens
    out = list(tokens)
    index = 0
    while index < len(out):
        found = 0
        for length in range(1, min(4, len(out) - index) + 1):
            run = out[index : index + length]
            if any(t.kind == "version" for t in run):
                break
            if "".join(t.text for t in run) in spellings:
                found = length
        if found:
            for k in range(index, index + found):
                out[k] = replace(out[k], vendor=True, optional=True)
            index += found
            continue
        head = fold_keeping(out[index].raw, "-").split("-", 1)
        if len(head) == 2 and head[0] in spellings and head[1]:
            # `HAMILTON-T1`: the vendor glued to the model.
            rest = tokenize(head[1])
            out[index : index + 1] = [
                replace(out[index], text=head[0], kind="word", vendor=True, optional=True),
                *(replace(t, position=out[index].position) for t in rest),
            ]
            index += 1
            continue
        break
    marked = tuple(out)
    if not any((t.distinctive or t.identifying) and not t.optional for t in marked if not t.vendor):
        return tuple(replace(t, optional=False) if t.vendor else t for t in marked)
    return marked


def _is_all(versions: str) -> bool:
    return parse_version_expr(versions).kind == "all" and not _has_condition(versions)


def _has_condition(versions: str) -> bool:
    expr = parse_version_expr(versions)
    return bool(expr.condition)


def _trailing_versions(tokens: tuple[Token, ...]) -> tuple[list[Token], tuple[Token, ...]]:
    """Version tokens ending the name (category words after them ignored), and the rest."""
    significant = [t for t in tokens if not (t.stop or t.soft)]
    found: list[Token] = []
    for token in reversed(significant):
        if token.kind != "version":
            break
        found.insert(0, token)
    if not found:
        return [], tokens
    ids = {id(t) for t in found}
    return found, tuple(t for t in tokens if id(t) not in ids)


def _family(version: str) -> str:
    """`1.0` in a name means the 1.0 family; `4.2.x` already says so."""
    return version if "x" in version else f"{version}.x"


def _looks_like_product(value: str) -> bool:
    text = value.strip()
    if not text or _COMPARATOR.search(text) or _CONDITION_START.match(text):
        return False
    if _DATE_WORDS.search(text):
        return False
    if parse_version_expr(text).kind != "unparsable":
        return False
    # A name has words of its own, outside parentheses (`053L000091 (global)` is a part number).
    outside = _PARENTHESES.sub(" ", text)
    return any(t.kind == "word" and not t.stop and len(t.text) >= 3 for t in tokenize(outside))


def _forms_of(text: str, vendor: str, versions: str, how: str) -> list[ProductForm]:
    tokens = mark_vendor(tokenize(text), vendor)
    family, rest = _trailing_versions(tokens)
    if family and _is_all(versions) and any(t.compared for t in rest):
        expression = " | ".join(_family(t.text) for t in family)
        return [ProductForm(text, rest, expression, "version_in_name")]
    if family:
        # A version in the name beside a real expression: not a word to require.
        tokens = tuple(replace(t, optional=True) if t.kind == "version" else t for t in tokens)
    return [ProductForm(text, tokens, versions, how)]


def _alternatives(head: str) -> list[str]:
    parts = [p.strip() for p in _SPACED_SLASH.split(head)]
    pieces = parts if len(parts) > 1 and all(_LONG_WORD.search(p) for p in parts) else [head]
    out: list[str] = []
    for piece in pieces:
        sub = [p.strip() for p in _WORD_SLASH.split(piece)]
        out.extend(s for s in sub if s)
    return out if len(out) > 1 else []


@lru_cache(maxsize=1 << 14)
def read_product(vendor: str, product: str, versions: str) -> AdvisoryProduct:
    """The forms and exclusions of one advisory product (see the module docstring)."""
    head = product.strip()
    excluded: list[tuple[str, tuple[Token, ...]]] = []
    cut = _EXCLUSION.match(head)
    if cut and cut.group("head").strip() and _LONG_WORD.search(cut.group("head")):
        head = cut.group("head").strip(" ,;(-–")
        for name in _LIST_SPLIT.split(cut.group("rest")):
            name = _ARTICLE.sub("", name.strip(" .)"))
            tokens = mark_vendor(tokenize(name), vendor)
            if any(t.compared for t in tokens):
                excluded.append((name, tokens))
    forms = _forms_of(head, vendor, versions, "whole")
    for part in _alternatives(head):
        forms += _forms_of(part, vendor, versions, "part")
    for short in _SHORT_NAME.findall(head):
        compared = [t for t in tokenize(short) if t.compared]
        if (
            compared
            and len(compared) <= _SHORT_NAME_TOKENS
            and not tokenize(short)[0].stop
            and any(t.distinctive for t in compared)
        ):
            whole = forms[0].tokens
            for form in _forms_of(short, vendor, versions, "short_name"):
                # The rest of the name may support the short name (and its model numbers
                # still tell models apart: `PCU` of the `Model 8015` is not an 8000).
                shown = {t.text for t in form.tokens}
                context = tuple(
                    replace(t, optional=True, position=t.position + 1000)
                    for t in whole
                    if t.text not in shown and not t.optional
                )
                forms.append(replace(form, tokens=form.tokens + context))
    pieces = [p.strip() for p in versions.split("|") if p.strip()]
    products = [p for p in pieces if _looks_like_product(p)]
    if products:
        context = tuple(
            replace(t, position=t.position + 1000, optional=True)
            for t in mark_vendor(tokenize(head), vendor)
        )
        named_forms = []
        for value in products:
            named = mark_vendor(tokenize(value), vendor)
            if any(t.compared for t in named):
                # The branch value is the product; the branch's product name (often a
                # category, `Handheld analyzers`) may support it but is not required.
                named_forms.append(ProductForm(value, named + context, "", "product_in_version"))
        # `7100 | 7900 | Protiva Carestation View`: the other values stay versions (here models
        # listed as versions) of the branch's own product; with none left, the branch's own
        # forms would read the value as an unparsable version and are not kept.
        rest = " | ".join(p for p in pieces if p not in products)
        forms = [replace(f, versions=rest) for f in forms if f.versions == versions] if rest else []
        forms += named_forms
    return AdvisoryProduct(product, tuple(forms), tuple(excluded))
