"""Response playbooks: the first steps of a case, per incident category, as codes.

The categories are the typology of the ANS Observatoire des incidents de sécurité des systèmes
d'information pour les secteurs santé et médico-social (the codes are shared with
`vigie.incidents.models.Category`). Each step is a code and the case phase it belongs to; the
platform turns a playbook into the case's checklist and translates the codes. The steps follow
the ANSSI and CERT Santé guidance for health establishments (ANSSI, "Attaques par rançongiciels,
tous concernés", 2020; CERT Santé's ransomware sheet): isolate before anything else, keep the
evidence, never pay, report (CSP art. L. 1111-8-2; NIS2 art. 23 when the entity is subject),
run the care in degraded mode, file a complaint.

The order of a playbook is the order of action, not the order of the phases: in a ransomware
attack isolation comes before the triage steps because every minute spreads the encryption.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    PHISHING = "phishing"
    ACCOUNT_COMPROMISE = "account_compromise"
    RANSOMWARE = "ransomware"
    MALWARE = "malware"
    EXPLOITED_VULNERABILITY = "exploited_vulnerability"
    DDOS = "ddos"
    DEFACEMENT = "defacement"
    DATA_THEFT = "data_theft"
    SUPPLIER = "supplier"
    INFRASTRUCTURE_FAILURE = "infrastructure_failure"
    SOFTWARE_FAILURE = "software_failure"
    HUMAN_ERROR = "human_error"
    OTHER = "other"


TRIAGE = "triage"
CONTAINMENT = "containment"
ERADICATION = "eradication"
RECOVERY = "recovery"
POST_INCIDENT = "post_incident"

# The case phases a step may belong to (the platform's "declared" and "closed" hold no step).
PHASES: tuple[str, ...] = (TRIAGE, CONTAINMENT, ERADICATION, RECOVERY, POST_INCIDENT)


@dataclass(frozen=True, slots=True)
class Step:
    code: str
    phase: str


def _steps(*pairs: tuple[str, str]) -> tuple[Step, ...]:
    return tuple(Step(code=code, phase=phase) for code, phase in pairs)


GENERIC: tuple[Step, ...] = _steps(
    ("assess_scope_and_impact", TRIAGE),
    ("notify_authorities", TRIAGE),
    ("preserve_evidence", CONTAINMENT),
    ("contain_affected_systems", CONTAINMENT),
    ("restore_normal_operations", RECOVERY),
    ("lessons_learned", POST_INCIDENT),
)

PLAYBOOKS: dict[Category, tuple[Step, ...]] = {
    Category.RANSOMWARE: _steps(
        ("isolate_affected_systems", CONTAINMENT),
        ("preserve_evidence", CONTAINMENT),
        ("do_not_pay_ransom", CONTAINMENT),
        ("notify_authorities", TRIAGE),
        ("convene_crisis_cell", TRIAGE),
        ("activate_degraded_mode", CONTAINMENT),
        # The attackers go for the backups next: cut them off before they are encrypted too.
        ("check_backups_offline", CONTAINMENT),
        ("identify_initial_access", ERADICATION),
        ("reset_credentials", ERADICATION),
        ("restore_from_clean_backups", RECOVERY),
        ("monitor_for_reinfection", RECOVERY),
        ("file_complaint", POST_INCIDENT),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.PHISHING: _steps(
        ("identify_recipients", TRIAGE),
        ("block_sender_and_links", CONTAINMENT),
        ("purge_messages", CONTAINMENT),
        ("reset_credentials", ERADICATION),
        ("warn_staff", RECOVERY),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.ACCOUNT_COMPROMISE: _steps(
        ("disable_account", CONTAINMENT),
        ("revoke_sessions", CONTAINMENT),
        ("review_account_activity", TRIAGE),
        ("reset_credentials", ERADICATION),
        ("enforce_mfa", RECOVERY),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.MALWARE: _steps(
        ("isolate_affected_systems", CONTAINMENT),
        ("preserve_evidence", CONTAINMENT),
        ("identify_malware", TRIAGE),
        ("clean_or_reinstall", ERADICATION),
        ("reset_credentials", ERADICATION),
        ("monitor_for_reinfection", RECOVERY),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.EXPLOITED_VULNERABILITY: _steps(
        ("identify_vulnerable_systems", TRIAGE),
        ("apply_workaround_or_isolate", CONTAINMENT),
        ("preserve_evidence", CONTAINMENT),
        ("search_for_compromise", ERADICATION),
        ("apply_patch", ERADICATION),
        ("monitor_for_exploitation", RECOVERY),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.DDOS: _steps(
        ("identify_targeted_services", TRIAGE),
        ("contact_network_provider", CONTAINMENT),
        ("filter_malicious_traffic", CONTAINMENT),
        ("activate_degraded_mode", CONTAINMENT),
        ("restore_services", RECOVERY),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.DEFACEMENT: _steps(
        ("preserve_evidence", CONTAINMENT),
        ("take_site_offline", CONTAINMENT),
        ("search_for_compromise", ERADICATION),
        ("restore_from_clean_backups", RECOVERY),
        ("file_complaint", POST_INCIDENT),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.DATA_THEFT: _steps(
        ("assess_data_and_people_affected", TRIAGE),
        ("notify_authorities", TRIAGE),
        ("stop_the_leak", CONTAINMENT),
        ("preserve_evidence", CONTAINMENT),
        ("inform_data_subjects", RECOVERY),
        ("file_complaint", POST_INCIDENT),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.SUPPLIER: _steps(
        ("contact_supplier", TRIAGE),
        ("assess_exposure_to_supplier", TRIAGE),
        ("restrict_supplier_access", CONTAINMENT),
        ("activate_degraded_mode", CONTAINMENT),
        ("restore_services", RECOVERY),
        ("review_supplier_contract", POST_INCIDENT),
    ),
    Category.INFRASTRUCTURE_FAILURE: _steps(
        ("assess_scope_and_impact", TRIAGE),
        ("activate_degraded_mode", CONTAINMENT),
        ("repair_or_fail_over", RECOVERY),
        ("restore_services", RECOVERY),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.SOFTWARE_FAILURE: _steps(
        ("assess_scope_and_impact", TRIAGE),
        ("contact_software_vendor", TRIAGE),
        ("activate_degraded_mode", CONTAINMENT),
        ("roll_back_or_fix", RECOVERY),
        ("check_data_integrity", RECOVERY),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.HUMAN_ERROR: _steps(
        ("assess_scope_and_impact", TRIAGE),
        ("limit_consequences", CONTAINMENT),
        ("correct_the_error", RECOVERY),
        ("lessons_learned", POST_INCIDENT),
    ),
    Category.OTHER: GENERIC,
}

ALL_STEP_CODES: frozenset[str] = frozenset(
    step.code for playbook in PLAYBOOKS.values() for step in playbook
)


def steps_for(category: str) -> tuple[Step, ...]:
    """The category's playbook; the generic one for a category we do not know (an old or a
    new code), so a case always starts with a checklist."""
    try:
        return PLAYBOOKS[Category(category)]
    except ValueError:
        return GENERIC
