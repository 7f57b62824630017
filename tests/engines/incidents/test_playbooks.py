"""Response playbooks: codes and phases only, one per ANS Observatoire category."""

from __future__ import annotations

import keyword

import pytest

from vigie.engines.incidents.playbooks import (
    ALL_STEP_CODES,
    GENERIC,
    PHASES,
    PLAYBOOKS,
    Category,
    Step,
    steps_for,
)

RANSOMWARE_ORDER = (
    ("isolate_affected_systems", "containment"),
    ("preserve_evidence", "containment"),
    ("do_not_pay_ransom", "containment"),
    ("notify_authorities", "triage"),
    ("convene_crisis_cell", "triage"),
    ("activate_degraded_mode", "containment"),
    ("file_complaint", "post_incident"),
)


def test_ransomware_has_the_required_steps_in_order_with_their_phases() -> None:
    steps = PLAYBOOKS[Category.RANSOMWARE]
    positions = [steps.index(Step(code=code, phase=phase)) for code, phase in RANSOMWARE_ORDER]
    assert positions == sorted(positions)


def test_ransomware_starts_by_isolating_the_affected_systems() -> None:
    assert PLAYBOOKS[Category.RANSOMWARE][0].code == "isolate_affected_systems"


def test_ransomware_covers_credentials_backups_restoration_and_lessons() -> None:
    codes = {step.code for step in PLAYBOOKS[Category.RANSOMWARE]}
    assert {
        "reset_credentials",
        "check_backups_offline",
        "restore_from_clean_backups",
        "monitor_for_reinfection",
        "lessons_learned",
    } <= codes


def test_ransomware_is_the_most_complete_playbook() -> None:
    longest = max(len(steps) for steps in PLAYBOOKS.values())
    assert len(PLAYBOOKS[Category.RANSOMWARE]) == longest
    others = [steps for category, steps in PLAYBOOKS.items() if category != Category.RANSOMWARE]
    assert all(len(steps) < longest for steps in others)


def test_every_category_has_a_playbook() -> None:
    assert set(PLAYBOOKS) == set(Category)


@pytest.mark.parametrize("category", [c for c in Category if c != Category.RANSOMWARE])
def test_every_other_category_has_a_short_list_of_3_to_8_steps(category: Category) -> None:
    assert 3 <= len(PLAYBOOKS[category]) <= 8


@pytest.mark.parametrize("category", list(Category))
def test_step_codes_are_unique_within_a_playbook(category: Category) -> None:
    codes = [step.code for step in PLAYBOOKS[category]]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("category", list(Category))
def test_step_codes_are_lowercase_identifiers(category: Category) -> None:
    for step in PLAYBOOKS[category]:
        assert step.code.isidentifier()
        assert not keyword.iskeyword(step.code)
        assert step.code == step.code.lower()
        assert len(step.code) <= 64  # vigie.incidents.models.Task.code


@pytest.mark.parametrize("category", list(Category))
def test_step_phases_are_case_phases(category: Category) -> None:
    assert {step.phase for step in PLAYBOOKS[category]} <= set(PHASES)


def test_phases_are_the_working_phases_of_a_case() -> None:
    assert PHASES == ("triage", "containment", "eradication", "recovery", "post_incident")


def test_category_codes_are_the_observatory_typology() -> None:
    assert [c.value for c in Category] == [
        "phishing",
        "account_compromise",
        "ransomware",
        "malware",
        "exploited_vulnerability",
        "ddos",
        "defacement",
        "data_theft",
        "supplier",
        "infrastructure_failure",
        "software_failure",
        "human_error",
        "other",
    ]


def test_other_gets_the_generic_playbook() -> None:
    assert PLAYBOOKS[Category.OTHER] == GENERIC
    assert steps_for("other") == GENERIC


def test_steps_for_returns_the_category_playbook() -> None:
    assert steps_for("ransomware") == PLAYBOOKS[Category.RANSOMWARE]
    assert steps_for(Category.DDOS) == PLAYBOOKS[Category.DDOS]


@pytest.mark.parametrize("category", ["", "Ransomware", "unknown_category", "sabotage"])
def test_an_unknown_category_gets_the_generic_playbook(category: str) -> None:
    assert steps_for(category) == GENERIC


def test_all_step_codes_holds_every_step_of_every_playbook() -> None:
    expected = {step.code for steps in PLAYBOOKS.values() for step in steps}
    assert expected == ALL_STEP_CODES
    assert "do_not_pay_ransom" in ALL_STEP_CODES


def test_a_step_keeps_the_same_phase_in_every_playbook() -> None:
    phases: dict[str, set[str]] = {}
    for steps in PLAYBOOKS.values():
        for step in steps:
            phases.setdefault(step.code, set()).add(step.phase)
    assert {code: p for code, p in phases.items() if len(p) > 1} == {}
