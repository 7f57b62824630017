"""Why a change to an exercise was refused, in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from vigie.intel.refusal import Refused


def refusal_message(refused: Refused) -> str:
    texts = {
        "not_allowed": _("Your role does not allow this on this exercise."),
        "bad_choice": _("A value chosen is not one of the choices offered."),
        "unknown_template": _("This scenario template does not exist."),
        "bad_status": _("The exercise is not in a state that allows this."),
        "not_running": _("Injects are delivered only while the exercise is running."),
        "not_started": _("The exercise has not started yet."),
        "unknown_inject": _("This inject is not part of this exercise."),
        "bad_offset": _("The time from the start cannot be negative."),
        "not_a_member": _("This person is not a member of your establishment."),
        "member_or_name": _("Choose a member of your establishment, or give a name: not both."),
        "owner_member_or_name": _(
            "The owner is a member of your establishment or a name given as text: one of them."
        ),
        "already_taking_part": _("This member already takes part in the exercise."),
        "already_closed": _("This action is already closed."),
        "bad_time": _("This time is in the future."),
    }
    return texts.get(refused.code, _("The change was refused."))
