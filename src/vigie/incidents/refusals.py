"""Why a change to a case was refused, in the reader's language."""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from vigie.intel.refusal import Refused


def refusal_message(refused: Refused) -> str:
    params = refused.params
    texts = {
        "not_allowed": _("Your role does not allow this on this case."),
        "bad_phase": _("“%(phase)s” is not a phase of a case.")
        % {"phase": params.get("phase", "")},
        "bad_report": _("The report “%(report)s” does not apply to this case.")
        % {"report": params.get("report", "")},
        "empty_file": _("The file is empty: nothing was stored."),
        "file_too_large": _("The file is larger than %(limit)s: nothing was stored.")
        % {"limit": filesizeformat(params.get("limit", 0))},
        "bad_time": _("This time is in the future."),
        "unknown_task": _("This task is not part of this case."),
        "nothing_to_share": _("Give at least one indicator, one per line."),
    }
    return texts.get(refused.code, _("The change was refused."))
