"""Why a training change was refused, in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from vigie.intel.refusal import Refused


def refusal_message(refused: Refused) -> str:
    texts = {
        "not_allowed": _("Your role does not allow this."),
        "unknown_module": _("This module is not in your establishment's catalogue."),
        "unknown_unit": _("This care unit is not one of your establishment's."),
        "bad_role": _("“%(role)s” is not a role of an establishment.")
        % {"role": refused.params.get("role", "")},
        "bad_answer": _("An answer is not one of the module's choices: answer again."),
        "stale_module": _(
            "This module was updated while you answered: read it again and answer anew."
        ),
    }
    return texts.get(refused.code, _("The change was refused."))
