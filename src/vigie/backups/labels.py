"""The sentences behind the engine's codes (findings and parse errors)."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.core.params import format_param
from vigie.engines.backups import Finding, ParseError

FINDINGS: dict[str, Promise] = {
    "never_backed_up": gettext_lazy("No successful backup recorded."),
    "stale": gettext_lazy(
        "Last successful backup %(hours)s hours ago, beyond the RPO of %(rpo_hours)s hours."
    ),
    "check_never": gettext_lazy("No integrity check recorded."),
    "check_failed": gettext_lazy("The last integrity check failed (%(errors)s errors)."),
    "check_errors": gettext_lazy("The last verification did not end with zero errors."),
    "check_overdue": gettext_lazy(
        "Last integrity check %(days)s days ago (one is expected every %(period_days)s days)."
    ),
    "restore_test_never": gettext_lazy("No restore test recorded."),
    "restore_test_overdue": gettext_lazy(
        "Last restore test %(days)s days ago (one is expected every %(every_days)s days)."
    ),
    "restore_failed": gettext_lazy("The last restore test did not succeed."),
    "restore_over_rto": gettext_lazy(
        "The last restore took %(minutes)s minutes, longer than the RTO of %(rto_hours)s hours."
    ),
    "too_few_copies": gettext_lazy("Only %(copies)s copies: 3-2-1-1-0 asks for three."),
    "single_media": gettext_lazy("All copies on one kind of media: 3-2-1-1-0 asks for two."),
    "no_offsite": gettext_lazy("No copy off-site."),
    "no_offline_copy": gettext_lazy(
        "No offline or immutable copy (ransomware reaches the others)."
    ),
    "added_jump": gettext_lazy(
        "The last backup added %(factor)s times more data than usual: files re-encrypted by "
        "ransomware no longer deduplicate. Check the system."
    ),
}

PARSE_ERRORS: dict[str, Promise] = {
    "empty": gettext_lazy("the file is empty"),
    "not_json": gettext_lazy("not valid JSON"),
    "not_utf8": gettext_lazy("not UTF-8 text"),
    "bad_shape": gettext_lazy("not the structure this output has"),
    "missing_field": gettext_lazy("a field is missing"),
    "bad_type": gettext_lazy("a field has a value of the wrong type"),
    "bad_time": gettext_lazy("a time cannot be read"),
    "unknown_kind": gettext_lazy("not an output of restic or borg that Vigie reads"),
    "no_summary": gettext_lazy("no summary message (the backup did not finish?)"),
    "bad_exit_code": gettext_lazy("the exit code of the check is missing or invalid"),
    "too_large": gettext_lazy("the file is larger than %(limit)s bytes"),
    "wrong_tool": gettext_lazy("this output is from %(found)s, the set uses %(tool)s"),
}


def finding_text(finding: Finding) -> str:
    template = FINDINGS.get(finding.code)
    if template is None:
        return finding.code
    # Numbers and dates in the reader's locale ("25,9 fois" in French), as readiness shows them.
    values: dict[str, Any] = {
        k: ("" if v is None else format_param(v) if isinstance(v, int | float) else v)
        for k, v in finding.params.items()
    }
    try:
        return str(template) % values
    except (KeyError, ValueError, TypeError):
        return str(template)


def parse_error_text(error: ParseError, file_name: str = "") -> str:
    """'file.json, line 3, field [0].time: a time cannot be read'."""
    template = PARSE_ERRORS.get(error.code)
    text = error.code if template is None else str(template)
    if "%(" in text:
        text = text % error.params
    where = []
    if file_name:
        where.append(file_name)
    if "line" in error.params:
        where.append(_("line %(line)s") % {"line": error.params["line"]})
    if "field" in error.params:
        where.append(_("field %(field)s") % {"field": error.params["field"]})
    return f"{', '.join(where)}: {text}" if where else text
