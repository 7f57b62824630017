"""The inventory readers' problems in the reader's language.

The readers (vigie.engines.inventory) stay free of Django: each problem carries a `code` and its
`params` besides an English `message` for the command line. Imports store all three
(imports._problem); pages render the code here with gettext, so a French reader reads French,
quoted values in « guillemets » rather than Python's repr, and counts with their plural.

Every code of the engine's MESSAGES, HINTS and REASONS has a template below; a test checks that
the lists match, so a new engine code without a translation fails the suite. Rows stored before
problems had codes (or whose params do not fit the template) show their English message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

# Templates whose wording depends on a number name that parameter: ngettext_lazy(..., "count")
# picks the singular or the plural from params["count"] when the template is %-formatted.
MESSAGE_TEMPLATES: dict[str, Promise] = {
    # whole file
    "read_failed": _("cannot read the file: %(reason)s"),
    "too_large": ngettext_lazy(
        "%(size)s byte; the limit is %(limit)s", "%(size)s bytes; the limit is %(limit)s", "size"
    ),
    "empty": _("not an inventory: the file is empty"),
    "not_text": _(
        "not a CSV text file (UTF-8 or Latin-1/Windows-1252): %(hint)s; "
        "export or save the inventory as CSV UTF-8"
    ),
    "not_inventory": _("not an inventory: %(hint)s"),
    "not_json": _("not valid JSON: %(reason)s (column %(column)s)"),
    "more_errors": ngettext_lazy(
        "and %(count)s more error, not listed", "and %(count)s more errors, not listed", "count"
    ),
    "root_kind_unknown": _("root kind “%(value)s” unknown; allowed: %(allowed)s"),
    # fields, any format
    "too_long": ngettext_lazy(
        "%(length)s character long; the limit is %(limit)s",
        "%(length)s characters long; the limit is %(limit)s",
        "length",
    ),
    "control_characters": _("contains control characters or bidirectional overrides"),
    "unknown_value": _("unknown %(column)s “%(value)s”; allowed: %(allowed)s"),
    "bad_identifier": _("“%(value)s”: %(reason)s"),
    "identifier_ignored": _("“%(value)s” ignored: %(reason)s"),
    "not_string": _("expected a string, found %(found)s; ignored"),
    "not_list": _("“%(what)s” must be a list"),
    "component_not_object": _("a component must be a JSON object"),
    "cyclonedx_not_object": _("a CycloneDX document is a JSON object"),
    "package_not_object": _("a package must be a JSON object"),
    "spdx_not_object": _("an SPDX document is a JSON object"),
    # CSV
    "cp1252_fallback": _(
        "not valid UTF-8 (first at this line); read as Windows-1252: check accented letters"
    ),
    "column_twice": _("column “%(column)s” appears twice in the header"),
    "columns_ignored": _("columns ignored: %(columns)s"),
    "no_id_column": _("the header has no “id” column; expected the columns %(expected)s"),
    "columns_absent": _("columns absent, read as empty: %(columns)s"),
    "formula": _("starts like a spreadsheet formula; kept as plain text"),
    "too_many_fields": ngettext_lazy(
        "the row has %(count)s field, the header %(width)s: a delimiter inside an unquoted value?",
        "the row has %(count)s fields, the header %(width)s: a delimiter inside an unquoted value?",
        "count",
    ),
    "too_few_fields": ngettext_lazy(
        "the row has %(count)s field, the header %(width)s; missing ones read as empty",
        "the row has %(count)s fields, the header %(width)s; missing ones read as empty",
        "count",
    ),
    "id_required": _("id is required"),
    "id_duplicate": _("id “%(value)s” is already used on line %(first_line)s"),
    "too_many_rows": ngettext_lazy(
        "more than %(limit)s row, the limit", "more than %(limit)s rows, the limit", "limit"
    ),
    "parent_unknown": _("parent “%(value)s” is not the id of any row"),
    "parent_cycle": _("parents form a cycle: %(chain)s → “%(start)s”"),
    "csv_unreadable": _("unreadable CSV (%(detail)s); an unclosed quote?"),
    "no_header": _("the file is empty: expected a header line with an “id” column"),
    # CycloneDX
    "bom_format": _("bomFormat must be “CycloneDX”"),
    "cyclonedx_old": _("CycloneDX %(version)s is older than 1.4; read as 1.4"),
    "cyclonedx_unsupported": _(
        "specVersion “%(version)s” is not supported; expected 1.4, 1.5 or 1.6"
    ),
    "no_bom_ref": _("no bom-ref; generated the id %(generated)s"),
    "repeats_root": _("repeats metadata.component; read once"),
    "bom_ref_duplicate": _("bom-ref “%(value)s” is already used at %(first_at)s"),
    "name_required": _("a component needs a name"),
    "no_type": _("no component type; kind set to other"),
    "unknown_type": _("unknown component type “%(value)s”; kind set to other"),
    "too_many_components": ngettext_lazy(
        "more than %(limit)s component, the limit",
        "more than %(limit)s components, the limit",
        "limit",
    ),
    "no_components": _(
        "no components: a CycloneDX inventory needs metadata.component or components"
    ),
    # SPDX
    "spdxid_required": _("a package needs an SPDXID"),
    "spdxid_duplicate": _("SPDXID “%(value)s” is already used at %(first_at)s"),
    "package_name_required": _("a package needs a name"),
    "relationship_cycle": _(
        "relationships form a cycle (%(chain)s); parent of “%(closing)s” dropped"
    ),
    "spdx_old": _("%(version)s is older than SPDX-2.3; read as 2.3"),
    "spdx_unsupported": _("spdxVersion “%(version)s” is not supported; expected SPDX-2.3"),
    "too_many_packages": ngettext_lazy(
        "more than %(limit)s package, the limit", "more than %(limit)s packages, the limit", "limit"
    ),
    "no_packages": _("no packages: an SPDX inventory lists its packages"),
}

# Why a file is not text or not an inventory: the `hint` of not_text / not_inventory.
HINT_TEMPLATES: dict[str, Promise] = {
    "binary": _("it holds binary data, or text in another encoding"),
    "gzip": _("a gzip archive; decompress it first"),
    "zip": _("a ZIP archive (an Excel .xlsx workbook?); save the sheet as CSV"),
    "xls": _("an Excel .xls workbook; save the sheet as CSV"),
    "pdf": _("a PDF document, not an inventory"),
    "cyclonedx_xml": _("CycloneDX XML; only CycloneDX JSON is read, export the SBOM as JSON"),
    "spdx_xml": _("SPDX RDF/XML; only SPDX JSON is read, export the SBOM as JSON"),
    "xml": _("XML or HTML, not an inventory"),
    "spdx_tag_value": _(
        "SPDX tag-value; only SPDX JSON is read, convert it (e.g. with pyspdxtools)"
    ),
    "spdx3": _("SPDX 3 JSON-LD; only SPDX 2.3 JSON is read"),
    "json_unknown": _("JSON that is neither CycloneDX (no bomFormat) nor SPDX (no spdxVersion)"),
}

# Why a CPE or purl is not one: the `reason` of bad_identifier / identifier_ignored.
REASON_TEMPLATES: dict[str, Promise] = {
    "cpe_spaces": _("a CPE name contains no spaces"),
    "cpe22_invalid": _("not a CPE 2.2 URI (cpe:/part:vendor:product...)"),
    "cpe_prefix": _("a CPE name starts with cpe:2.3: (or cpe:/ for CPE 2.2)"),
    "cpe23_components": ngettext_lazy(
        "a CPE 2.3 name has 13 colon-separated components, this one has %(count)s",
        "a CPE 2.3 name has 13 colon-separated components, this one has %(count)s",
        "count",
    ),
    "cpe_part": _("CPE part “%(part)s” is not a, o, h, * or -"),
    "cpe_vendor_product": _("a CPE 2.3 name needs a vendor and a product"),
    "purl_invalid": _("not a valid package URL: %(detail)s"),
}

# What the JSON readers found instead of a string (`found` of not_string: a Python type name).
FOUND_TEMPLATES: dict[str, Promise] = {
    "int": _("a number"),
    "float": _("a number"),
    "bool": _("a boolean"),
    "list": _("a list"),
    "dict": _("an object"),
    "NoneType": _("null"),
}


class _Number(int):
    """An int that prints with the locale's digit grouping (French 500 000, English 500,000);
    ngettext still reads it as the number that chooses the plural."""

    def __str__(self) -> str:
        return number_format(int(self), force_grouping=True)


def _values(params: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, int) and not isinstance(value, bool):
            values[name] = _Number(value)
        else:
            values[name] = value
    return values


def _cycle_chain(cycle: object) -> str | None:
    """The cycle of parents, each id with its line, in the reader's language."""
    if not isinstance(cycle, list):
        return None
    links = []
    for link in cycle:
        if not (isinstance(link, list) and len(link) == 2):
            return None
        node, line = link
        links.append(gettext("“%(id)s” (line %(line)s)") % {"id": node, "line": line})
    return " → ".join(links)


def render(problem: Mapping[str, Any]) -> str:
    """The text of a stored problem (imports._problem) in the active language.

    A problem without a known code, or whose params do not fit its template (a row stored by an
    older version), shows its stored English message.
    """
    message = str(problem.get("message", ""))
    template = MESSAGE_TEMPLATES.get(str(problem.get("code") or ""))
    params = problem.get("params")
    if template is None or not isinstance(params, Mapping):
        return message
    values = _values(params)
    try:
        if "hint" in values:
            hint = HINT_TEMPLATES.get(str(values["hint"]))
            values["hint"] = str(hint) if hint is not None else str(values["hint"])
        if "reason" in values and problem.get("code") in ("bad_identifier", "identifier_ignored"):
            reason = REASON_TEMPLATES.get(str(values["reason"]))
            if reason is None:
                return message
            values["reason"] = reason % values
        if "found" in values:
            found = FOUND_TEMPLATES.get(str(values["found"]))
            values["found"] = str(found) if found is not None else str(values["found"])
        if problem.get("code") == "parent_cycle":
            values["chain"] = _cycle_chain(values.get("cycle")) or values.get("chain", "")
        return str(template % values)
    except (KeyError, ValueError, TypeError):
        return message
