"""Why an asset matched, in the reader's language.

The matchers keep each reason as (code, params) parts and write the English once
(engines/reason_text.py, for the command line); alert rows store the parts, and pages, e-mails
and the API render them here through gettext. Every code of `reason_text.MESSAGES` has its
template below, with the same English and the same placeholders (a test checks it), so changing
a wording or the language needs no rematch. Rows stored before the parts existed have none:
their English `reason` is shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vigie.engines import reason_text
from vigie.engines.records import Reason

TEMPLATES: dict[str, Promise] = {
    "bound_incl": pgettext_lazy("version bound", "%(version)s (incl.)"),
    "bound_excl": pgettext_lazy("version bound", "%(version)s (excl.)"),
    "fuzzy_one_letter": _("one letter"),
    "fuzzy_doubled_letter": _("a doubled letter"),
    "cpe_criterion": pgettext_lazy("match reason", "%(criterion)s"),
    "cpe_all_versions": _("%(criterion)s all versions"),
    "cpe_versions_from_to": _("%(criterion)s versions from %(start)s to %(end)s"),
    "cpe_versions_from": _("%(criterion)s versions from %(start)s"),
    "cpe_versions_up_to": _("%(criterion)s versions up to %(end)s"),
    "cpe_installed": _("installed %(version)s"),
    "cpe_installed_update": _("installed %(version)s update %(update)s"),
    "cpe_installed_unknown": _("installed version unknown"),
    "cpe_installed_unknown_update": _("installed version unknown update %(update)s"),
    "cpe_installed_na": _("installed '-' (no version)"),
    "cpe_installed_na_update": _("installed '-' (no version) update %(update)s"),
    "cpe_attribute_not_given": _(
        "%(attribute)s not given by the installed CPE (criterion: %(value)s)"
    ),
    "cpe_attribute_pattern": _("installed %(attribute)s given only as the pattern %(pattern)s"),
    "cpe_update_read_as": _("installed update %(installed)s read as %(criterion)s"),
    "cpe_version_not_given": _("version unknown: the installed CPE gives none"),
    "cpe_version_not_given_na": _("version unknown: the installed CPE gives none (criterion: '-')"),
    "cpe_version_pattern": _("installed version given only as the pattern %(pattern)s"),
    "cpe_na_upper_bound": _(
        "installed version - (not applicable) taken by an upper bound only,"
        " as NVD's CPE-match data lists it"
    ),
    "cpe_version_read_as": _("installed version %(installed)s read as %(criterion)s"),
    "cpe_version_update_read_as": _(
        "installed version %(installed)s read as %(version)s update %(update)s"
    ),
    "cpe_and_none_of": _("and none of %(criteria)s"),
    "cpe_condition_met": _("condition %(criterion)s met by %(asset)s (%(cpe)s)"),
    "package_all_versions": _(
        "package %(package)s (inventory %(inventory)s): all versions affected"
    ),
    "package_version_unknown": _(
        "package %(package)s (inventory %(inventory)s): version unknown in the inventory"
        " (affected: %(range)s)"
    ),
    "package_version_not_comparable": _(
        "package %(package)s (inventory %(inventory)s): version %(version)s not comparable"
        " with %(vers)s"
    ),
    "package_version_within": _(
        "package %(package)s (inventory %(inventory)s): version %(version)s within %(range)s"
    ),
    "vendor_same": _("vendor %(asset)s"),
    "vendor_alias": _("vendor %(asset)s ≈ %(advisory)s (alias)"),
    "vendor_fuzzy": _("vendor %(asset)s ≈ %(advisory)s (spelt differently: %(how_words)s)"),
    "vendor_family": _("vendor %(asset)s ~ %(advisory)s (related company, not the same)"),
    "vendor_unknown": _("the advisory names no vendor ('%(advisory)s')"),
    "product": _("product '%(asset)s' matches '%(advisory)s'"),
    "product_part": _("one of the products the advisory lists together: '%(part)s'"),
    "product_short_name": _("the advisory's short name for it: '%(name)s'"),
    "product_in_version_field": _("product named where the advisory puts versions: '%(product)s'"),
    "product_same": _("same product"),
    "product_contains": _("the inventory names every word of it"),
    "product_generic_same": _("same name, made only of category words"),
    "product_asset_adds_words": _("the inventory adds words the advisory does not have: %(words)s"),
    "product_category_words_missing": _("the advisory adds category words: %(words)s"),
    "model_number_read_as": _("model %(number)s read as %(model)s"),
    "token_spelling": _("%(asset)s read as %(advisory)s (a doubled letter)"),
    "product_words_missing": _("words of the advisory not in the inventory: %(words)s"),
    "product_model_not_stated": _("model %(models)s not stated in the inventory"),
    "product_short_stem_only": _("only the short model stem %(stem)s in common"),
    "product_exclusions_checked": _("not one of the products it excludes (%(excluded)s)"),
    "token_joined": _("%(joined)s read as %(apart)s"),
    "token_acronym": _("%(acronym)s read as %(words)s"),
    "model_stem": _("model %(model)s has the stem %(stem)s"),
    "model_in_range": _("model %(model)s within %(range)s"),
    "version_listed_model": _("advisory lists model %(models)s (all its versions)"),
    "version_listed": _("advisory lists version %(version)s"),
    "version_all": _("all versions affected"),
    "version_major_only": _(
        "version %(version)s taken as part of version %(major)s: the advisory gives the major "
        "version only"
    ),
    "version_within": _("version %(version)s within %(range)s"),
    "version_read_from_name": _("version %(version)s read from the product name"),
    "version_family_in_name": _("version family %(family)s read from the advisory's product name"),
    "version_unknown": _("version not in the inventory (advisory: %(range)s)"),
    "version_not_understood": _("advisory version '%(expression)s' not understood"),
    "version_tag_mismatch": _(
        "version %(version)s carries the tag %(tag)s, the advisory's versions (%(range)s) "
        "do not: not compared"
    ),
    "version_not_comparable": _("version %(version)s not comparable with %(range)s"),
    "version_condition_not_checked": _("condition not checked: %(condition)s"),
    "status_under_investigation": _("the vendor is still investigating"),
}


def _template(code: str) -> str:
    template = TEMPLATES.get(code)
    return str(template) if template is not None else code


def render_part(code: str, params: Mapping[str, Any]) -> str:
    """One (code, params) part in the active language."""
    return reason_text.render_part(code, params, _template)


def render_reasons(parts: Iterable[Reason]) -> str:
    """The parts as one sentence in the active language, as the engine writes the English."""
    return reason_text.render_reasons(parts, _template)


def stored_reason(parts: Any, english: str) -> str:
    """What a stored match says in the active language: its `reason_parts` JSON rendered, or the
    English `reason` of a row stored before parts were."""
    read = reason_text.reasons_from_json(parts)
    return render_reasons(read) if read else english
