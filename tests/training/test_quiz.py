"""Taking a module: scoring on the server, tampered answers and unknown choices refused."""

from __future__ import annotations

from typing import Any

import pytest

from vigie.audit.models import Action, AuditEvent
from vigie.tenancy.models import Organisation
from vigie.training import actions
from vigie.training.models import Completion

from .support import access_for, module, right_answers


def test_right_answers_pass_and_are_recorded_with_the_version(
    est_a: Organisation, a_viewer: Any
) -> None:
    phishing = module()
    taken = actions.complete(
        access_for(a_viewer, est_a), phishing, right_answers(phishing), version=phishing.version
    )
    assert (taken.scored.score, taken.scored.passed) == (100, True)
    row = Completion.objects.get()
    assert (row.user, row.module_version, row.score, row.passed) == (
        a_viewer,
        phishing.version,
        100,
        True,
    )
    assert AuditEvent.objects.filter(action=Action.TRAINING_COMPLETED).count() == 1


def test_a_checkbox_question_needs_exactly_its_right_answers(
    est_a: Organisation, a_viewer: Any
) -> None:
    phishing = module()
    answers = right_answers(phishing)
    answers["signs"] = [*answers["signs"], "greeting"]  # one right answer too many
    answers["sender"] = ["b"]
    taken = actions.complete(
        access_for(a_viewer, est_a), phishing, answers, version=phishing.version
    )
    assert (taken.scored.score, taken.scored.passed) == (50, False)


@pytest.mark.parametrize(
    "answers",
    [{"sender": ["zz"]}, {"nope": ["a"]}],
)
def test_unknown_questions_or_choices_are_refused(
    est_a: Organisation, a_viewer: Any, answers: dict[str, list[str]]
) -> None:
    phishing = module()
    with pytest.raises(actions.TrainingRefused) as caught:
        actions.complete(access_for(a_viewer, est_a), phishing, answers, version=phishing.version)
    assert caught.value.code == "bad_answer"
    assert not Completion.objects.exists()


def test_answers_to_an_older_version_are_refused(est_a: Organisation, a_viewer: Any) -> None:
    phishing = module()
    with pytest.raises(actions.TrainingRefused) as caught:
        actions.complete(
            access_for(a_viewer, est_a), phishing, right_answers(phishing), version="old"
        )
    assert caught.value.code == "stale_module"
