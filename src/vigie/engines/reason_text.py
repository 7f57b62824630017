"""Why a match matched, in English: the one renderer of `Match.reasons`.

The matchers (cpe, advisories.package_match, advisories.device_match) say why an asset
matches as (code, params) parts; `Match.reason` is their English, made here, and is what
`vigie vulns match` prints. The platform renders the very same parts in the reader's language
(vulns/reasons.py holds one gettext template per code of MESSAGES, same placeholders), so a
change of language or wording never needs a rematch.

Templates use `%(name)s` placeholders, as gettext catalogues do. Parameter values are plain
JSON: lists are written comma-separated; a `start`/`end` bound comes with `start_incl`/`end_incl`
and is written through the `bound_incl`/`bound_excl` phrases. A code this version does not
know (a row stored by a later one) is shown as the code itself rather than failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from vigie.engines.records import Reason

# code -> the English template. The platform's vulns/reasons.py must translate every one of
# them (a test checks both sets are equal).
MESSAGES: dict[str, str] = {
    # --- phrases used inside other messages
    "bound_incl": "%(version)s (incl.)",
    "bound_excl": "%(version)s (excl.)",
    "fuzzy_one_letter": "one letter",
    "fuzzy_doubled_letter": "a doubled letter",
    # --- CPE criteria (NVD configurations, CVE 5 cpeApplicability)
    "cpe_criterion": "%(criterion)s",
    "cpe_all_versions": "%(criterion)s all versions",
    "cpe_versions_from_to": "%(criterion)s versions from %(start)s to %(end)s",
    "cpe_versions_from": "%(criterion)s versions from %(start)s",
    "cpe_versions_up_to": "%(criterion)s versions up to %(end)s",
    "cpe_installed": "installed %(version)s",
    "cpe_installed_update": "installed %(version)s update %(update)s",
    "cpe_installed_unknown": "installed version unknown",
    "cpe_installed_unknown_update": "installed version unknown update %(update)s",
    "cpe_installed_na": "installed '-' (no version)",
    "cpe_installed_na_update": "installed '-' (no version) update %(update)s",
    "cpe_attribute_not_given": (
        "%(attribute)s not given by the installed CPE (criterion: %(value)s)"
    ),
    "cpe_attribute_pattern": "installed %(attribute)s given only as the pattern %(pattern)s",
    "cpe_update_read_as": "installed update %(installed)s read as %(criterion)s",
    "cpe_version_not_given": "version unknown: the installed CPE gives none",
    "cpe_version_not_given_na": "version unknown: the installed CPE gives none (criterion: '-')",
    "cpe_version_pattern": "installed version given only as the pattern %(pattern)s",
    "cpe_na_upper_bound": (
        "installed version - (not applicable) taken by an upper bound only,"
        " as NVD's CPE-match data lists it"
    ),
    "cpe_version_read_as": "installed version %(installed)s read as %(criterion)s",
    "cpe_version_update_read_as": (
        "installed version %(installed)s read as %(version)s update %(update)s"
    ),
    "cpe_and_none_of": "and none of %(criteria)s",
    "cpe_condition_met": "condition %(criterion)s met by %(asset)s (%(cpe)s)",
    # --- purl packages with a `vers:` range
    "package_all_versions": "package %(package)s (inventory %(inventory)s): all versions affected",
    "package_version_unknown": (
        "package %(package)s (inventory %(inventory)s): version unknown in the inventory"
        " (affected: %(range)s)"
    ),
    "package_version_not_comparable": (
        "package %(package)s (inventory %(inventory)s): version %(version)s not comparable"
        " with %(vers)s"
    ),
    "package_version_within": (
        "package %(package)s (inventory %(inventory)s): version %(version)s within %(range)s"
    ),
    # --- products named in words (advisories.device_match)
    "vendor_same": "vendor %(asset)s",
    "vendor_alias": "vendor %(asset)s ≈ %(advisory)s (alias)",
    "vendor_fuzzy": "vendor %(asset)s ≈ %(advisory)s (spelt differently: %(how_words)s)",
    "vendor_family": "vendor %(asset)s ~ %(advisory)s (related company, not the same)",
    "vendor_unknown": "the advisory names no vendor ('%(advisory)s')",
    "product": "product '%(asset)s' matches '%(advisory)s'",
    "product_part": "one of the products the advisory lists together: '%(part)s'",
    "product_short_name": "the advisory's short name for it: '%(name)s'",
    "product_in_version_field": "product named where the advisory puts versions: '%(product)s'",
    "product_same": "same product",
    "product_contains": "the inventory names every word of it",
    "product_generic_same": "same name, made only of category words",
    "product_asset_adds_words": "the inventory adds words the advisory does not have: %(words)s",
    "product_category_words_missing": "the advisory adds category words: %(words)s",
    "model_number_read_as": "model %(number)s read as %(model)s",
    "token_spelling": "%(asset)s read as %(advisory)s (a doubled letter)",
    "product_words_missing": "words of the advisory not in the inventory: %(words)s",
    "product_model_not_stated": "model %(models)s not stated in the inventory",
    "product_short_stem_only": "only the short model stem %(stem)s in common",
    "product_exclusions_checked": "not one of the products it excludes (%(excluded)s)",
    "token_joined": "%(joined)s read as %(apart)s",
    "token_acronym": "%(acronym)s read as %(words)s",
    "model_stem": "model %(model)s has the stem %(stem)s",
    "model_in_range": "model %(model)s within %(range)s",
    "version_listed_model": "advisory lists model %(models)s (all its versions)",
    "version_listed": "advisory lists version %(version)s",
    "version_all": "all versions affected",
    "version_major_only": (
        "version %(version)s taken as part of version %(major)s: the advisory gives the major "
        "version only"
    ),
    "version_within": "version %(version)s within %(range)s",
    "version_read_from_name": "version %(version)s read from the product name",
    "version_family_in_name": "version family %(family)s read from the advisory's product name",
    "version_unknown": "version not in the inventory (advisory: %(range)s)",
    "version_not_understood": "advisory version '%(expression)s' not understood",
    "version_tag_mismatch": (
        "version %(version)s carries the tag %(tag)s, the advisory's versions (%(range)s) "
        "do not: not compared"
    ),
    "version_not_comparable": "version %(version)s not comparable with %(range)s",
    "version_condition_not_checked": "condition not checked: %(condition)s",
    # --- shared by the advisory matchers
    "status_under_investigation": "the vendor is still investigating",
}

# code -> its template in some language; `english` is MESSAGES, the platform passes gettext's.
Templates = Callable[[str], str]


def english(code: str) -> str:
    return MESSAGES.get(code, code)


class _Values(dict[str, Any]):
    """Parameters for `%` formatting: a parameter a stored part lacks shows as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def render_part(code: str, params: Mapping[str, Any], templates: Templates = english) -> str:
    """One (code, params) part in words."""
    values = _Values()
    for key, value in params.items():
        values[key] = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else value
    for key in ("start", "end"):
        if key in params and f"{key}_incl" in params:
            bound = "bound_incl" if params[f"{key}_incl"] else "bound_excl"
            values[key] = templates(bound) % {"version": params[key]}
    if code == "vendor_fuzzy":
        how = (
            "fuzzy_doubled_letter" if params.get("how") == "doubled_letter" else "fuzzy_one_letter"
        )
        values["how_words"] = templates(how)
    template = templates(code)
    return template % values if "%(" in template else template


def render_reasons(reasons: Iterable[Reason], templates: Templates = english) -> str:
    """The parts as one sentence, clauses separated by `; `.

    A device match's product details go in brackets after its product clause:
    `vendor …; product … (same product; Wi-Fi read as WiFi); version … within …`; every other
    part is a clause of its own, in order.
    """
    vendor: list[str] = []
    product_head = ""
    product_details: list[str] = []
    tail: list[str] = []
    for code, params in reasons:
        text = render_part(code, params, templates)
        if code.startswith("vendor_"):
            vendor.append(text)
        elif code == "product":
            product_head = text
        elif code.startswith(("product_", "token_", "model_")):
            product_details.append(text)
        else:
            tail.append(text)
    product = product_head + (f" ({'; '.join(product_details)})" if product_details else "")
    return "; ".join(p for p in (*vendor, product, *tail) if p)


def reasons_json(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    """The parts as JSON objects `{"code", "params"}` (CLI output, API, stored rows)."""
    return [{"code": code, "params": dict(params)} for code, params in reasons]


def reasons_from_json(value: Any) -> tuple[Reason, ...]:
    """Parts read back from `reasons_json` output; anything else gives no parts."""
    if not isinstance(value, list):
        return ()
    parts: list[Reason] = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            params = item.get("params")
            parts.append((item["code"], params if isinstance(params, dict) else {}))
    return tuple(parts)
