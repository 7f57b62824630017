"""Training pages through the test client: access, the quiz form, results for managers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.helpers import signed_in
from vigie.tenancy.models import CareUnit, Organisation
from vigie.tenancy.roles import Role
from vigie.training import actions
from vigie.training.models import Assignment, Completion

from .support import access_for, assign, module, quiz_post, right_answers, set_unit


def _url(name: str, org: str = "chu-alpha", **kwargs: Any) -> str:
    return reverse(f"training:{name}", kwargs={"org": org, **kwargs})


def test_my_training_lists_what_is_assigned_and_the_catalogue(
    est_a: Organisation, a_admin: Any, a_viewer: Any
) -> None:
    assign(a_admin, est_a, roles=[Role.VIEWER])
    page = signed_in(a_viewer).get(_url("index"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="my-training"' in text
    assert "Reconnaître un hameçonnage" in text  # the default language
    assert 'data-module="cyber-attack-reflexes"' in text
    assert 'data-testid="assignments"' not in text  # results are for managers


@pytest.mark.parametrize("who", ["b_admin", "centre_analyst"])
def test_other_establishments_and_the_centre_get_404(
    request: pytest.FixtureRequest, est_a: Organisation, a_admin: Any, who: str
) -> None:
    assignment = assign(a_admin, est_a)
    client = signed_in(request.getfixturevalue(who))
    for url in (
        _url("index"),
        _url("module", module_id=assignment.module_id),
        _url("assignment", assignment_id=assignment.pk),
        _url("assignment_new"),
    ):
        assert client.get(url).status_code == 404, url


def test_the_centre_has_no_training_pages_of_its_own(centre: Any, centre_analyst: Any) -> None:
    assert signed_in(centre_analyst).get(_url("index", org="centre")).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(est_a: Organisation) -> None:
    from django.test import Client

    response = Client().get(_url("index"))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


def test_a_viewer_may_not_assign_nor_read_results(
    est_a: Organisation, a_admin: Any, a_viewer: Any
) -> None:
    assignment = assign(a_admin, est_a)
    client = signed_in(a_viewer)
    assert client.get(_url("assignment_new")).status_code == 403
    assert client.post(_url("assignment_new"), {}).status_code == 403
    assert client.get(_url("assignment", assignment_id=assignment.pk)).status_code == 403


def test_a_manager_assigns_through_the_form(est_a: Organisation, a_admin: Any) -> None:
    urgences = CareUnit.objects.create(organisation=est_a, name="Urgences")
    phishing = module()
    client = signed_in(a_admin)
    assert client.get(_url("assignment_new")).status_code == 200
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = client.post(
        _url("assignment_new"),
        {"module": phishing.pk, "roles": [Role.VIEWER], "care_units": [urgences.pk], "due_on": due},
    )
    assignment = Assignment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("assignment", assignment_id=assignment.pk)
    assert assignment.roles == [Role.VIEWER]
    assert list(assignment.care_units.all()) == [urgences]


def test_bad_assignment_input_is_a_form_error(
    est_a: Organisation, est_b: Organisation, a_admin: Any
) -> None:
    foreign = CareUnit.objects.create(organisation=est_b, name="Ailleurs")
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = signed_in(a_admin).post(
        _url("assignment_new"),
        {"module": 999999, "roles": ["analyst"], "care_units": [foreign.pk], "due_on": past},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"module", "roles", "care_units", "due_on"}
    assert not Assignment.objects.exists()


def test_taking_the_quiz_shows_the_result_with_explanations(
    est_a: Organisation, a_viewer: Any
) -> None:
    phishing = module()
    client = signed_in(a_viewer)
    page = client.get(_url("module", module_id=phishing.pk)).content.decode()
    assert "<fieldset" in page
    assert "<legend>" in page
    assert 'type="radio"' in page
    assert 'type="checkbox"' in page
    assert "correct" not in page  # which answers are right never reaches the page
    answers = right_answers(phishing)
    answers["clicked"] = ["b"]
    response = client.post(_url("answer", module_id=phishing.pk), quiz_post(phishing, answers))
    completion = Completion.objects.get()
    assert response["Location"] == _url("result", completion_id=completion.pk)
    assert (completion.score, completion.passed) == (75, True)
    result = client.get(response["Location"]).content.decode()
    assert "75 %" in result
    assert "chaque minute compte" in result  # the explanation
    assert 'data-question="clicked" data-right="no"' in result


def test_a_failed_quiz_can_be_retaken(est_a: Organisation, a_viewer: Any) -> None:
    phishing = module()
    client = signed_in(a_viewer)
    wrong = {"sender": ["b"], "signs": ["greeting"], "clicked": ["b"], "report": ["b"]}
    client.post(_url("answer", module_id=phishing.pk), quiz_post(phishing, wrong))
    client.post(_url("answer", module_id=phishing.pk), quiz_post(phishing, right_answers(phishing)))
    assert list(Completion.objects.order_by("pk").values_list("passed", flat=True)) == [False, True]


@pytest.mark.parametrize(
    "tamper",
    [
        {"q_sender": "zz"},  # an unknown choice id
        {"q_signs": ["urgency", "not-a-choice"]},
        {"q_sender": ""},  # unanswered
        {"version": "forged"},
    ],
)
def test_tampered_answers_are_a_clear_form_error_not_a_500(
    est_a: Organisation, a_viewer: Any, tamper: dict[str, Any]
) -> None:
    phishing = module()
    data = quiz_post(phishing, right_answers(phishing)) | tamper
    response = signed_in(a_viewer).post(_url("answer", module_id=phishing.pk), data)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not Completion.objects.exists()


def test_the_quiz_is_post_only_and_a_result_is_only_its_takers(
    est_a: Organisation, a_viewer: Any, a_engineer: Any
) -> None:
    phishing = module()
    client = signed_in(a_viewer)
    assert client.get(_url("answer", module_id=phishing.pk)).status_code == 405
    taken = actions.complete(
        access_for(a_engineer, est_a), phishing, right_answers(phishing), version=phishing.version
    )
    assert client.get(_url("result", completion_id=taken.completion.pk)).status_code == 404


def test_a_module_of_another_establishment_is_404(
    est_a: Organisation, est_b: Organisation, a_viewer: Any
) -> None:
    from vigie.training.models import TrainingModule

    phishing = module()
    own = TrainingModule.objects.create(
        organisation=est_b,
        slug="own",
        version="1",
        title_fr="Interne",
        title_en="Internal",
        minutes=5,
        pass_mark=50,
        content=phishing.content,
    )
    assert signed_in(a_viewer).get(_url("module", module_id=own.pk)).status_code == 404


def test_results_by_unit_and_role_and_who_is_overdue_for_managers(
    est_a: Organisation, a_admin: Any, a_viewer: Any, a_engineer: Any
) -> None:
    urgences = CareUnit.objects.create(organisation=est_a, name="Urgences")
    set_unit(a_viewer, est_a, urgences)
    assignment = assign(a_admin, est_a)
    phishing = assignment.module
    actions.complete(
        access_for(a_admin, est_a), phishing, right_answers(phishing), version=phishing.version
    )
    actions.complete(
        access_for(a_viewer, est_a), phishing, {"sender": ["b"]}, version=phishing.version
    )
    Assignment.objects.filter(pk=assignment.pk).update(
        due_on=timezone.localdate() - timedelta(days=2)
    )
    page = signed_in(a_admin).get(_url("assignment", assignment_id=assignment.pk))
    assert page.status_code == 200
    text = page.content.decode()
    units = {g.label: g for g in page.context["by_unit"]}
    assert (units["Urgences"].assigned, units["Urgences"].done, units["Urgences"].overdue) == (
        1,
        0,
        1,
    )
    assert units["Urgences"].average == 0
    roles = {g.label: g for g in page.context["by_role"]}
    assert roles["Administrateur"].done == 1
    assert roles["Administrateur"].average == 100
    assert 'data-testid="chart-training-units"' in text
    overdue = text.split('data-testid="overdue-people"')[1]
    assert "a.viewer" in overdue
    assert "a.biomed" in overdue
    assert "Alice" not in overdue  # she passed
