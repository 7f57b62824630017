"""Words for the codes of the incident engine, in the reader's language."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

OBLIGATIONS: dict[str, Promise] = {
    "ars_cert_sante": _("Declaration to the ARS and CERT Santé (without delay)"),
    "nis2_early_warning": _("NIS2 early warning (24 hours)"),
    "nis2_notification": _("NIS2 incident notification (72 hours)"),
    "nis2_intermediate": _("NIS2 intermediate report (on request)"),
    "nis2_progress": _("NIS2 progress report (incident still ongoing)"),
    "nis2_final": _("NIS2 final report (one month)"),
    "gdpr_authority": _("GDPR Art. 33 notification to the CNIL (72 hours)"),
    "gdpr_data_subjects": _("GDPR Art. 34 communication to the patients concerned"),
}

# Where each report usually goes: offered as the default "sent to" of a submission.
CHANNELS: dict[str, Promise] = {
    "ars_cert_sante": _("ARS and CERT Santé (signalement portal)"),
    "nis2_early_warning": _("ANSSI (CSIRT)"),
    "nis2_notification": _("ANSSI (CSIRT)"),
    "nis2_intermediate": _("ANSSI (CSIRT)"),
    "nis2_progress": _("ANSSI (CSIRT)"),
    "nis2_final": _("ANSSI (CSIRT)"),
    "gdpr_authority": _("CNIL"),
    "gdpr_data_subjects": _("Patients concerned"),
}

REGULATIONS: dict[str, Promise] = {
    "fr_health": _("French health code"),
    "nis2": _("NIS2 Art. 23"),
    "gdpr": _("GDPR"),
}

STATUSES: dict[str, Promise] = {
    "not_started": _("waiting for the awareness time"),
    "pending": _("to do"),
    "due_soon": _("due soon"),
    "overdue": _("overdue"),
    "submitted": _("submitted"),
    "submitted_late": _("submitted late"),
}

PHASES_OF_STEPS: dict[str, Promise] = {
    "triage": _("Triage"),
    "containment": _("Containment"),
    "eradication": _("Eradication"),
    "recovery": _("Recovery"),
    "post_incident": _("Post-incident"),
}

STEPS: dict[str, Promise] = {
    "isolate_affected_systems": _(
        "Isolate the affected systems from the network (do not switch them off)"
    ),
    "preserve_evidence": _("Preserve evidence: memory, disks, logs, the ransom note"),
    "do_not_pay_ransom": _("Do not pay the ransom, do not contact the attackers"),
    "notify_authorities": _("Notify the ARS, CERT Santé, ANSSI and, for personal data, the CNIL"),
    "convene_crisis_cell": _("Convene the crisis cell (direction, IT, medical, communication)"),
    "activate_degraded_mode": _("Activate degraded mode in the care units (paper procedures)"),
    "file_complaint": _("File a complaint with the police or gendarmerie"),
    "reset_credentials": _("Reset the passwords of the accounts involved, administrators first"),
    "check_backups_offline": _("Check that the offline backups are intact and disconnected"),
    "restore_from_clean_backups": _("Restore from backups known to be clean"),
    "monitor_for_reinfection": _("Watch for signs of reinfection"),
    "lessons_learned": _("Hold the lessons-learned meeting (RETEX)"),
    "identify_initial_access": _("Find how the attackers got in, and close that way"),
    "identify_recipients": _("Find who received the message and who clicked or answered"),
    "block_sender_and_links": _("Block the sender, the links and the attachments"),
    "purge_messages": _("Remove the message from every mailbox"),
    "warn_staff": _("Warn the staff, with an example of the message"),
    "disable_account": _("Disable the compromised account"),
    "revoke_sessions": _("Revoke its open sessions and tokens"),
    "review_account_activity": _("Review what the account did and accessed"),
    "enforce_mfa": _("Enforce multi-factor authentication on the account"),
    "identify_malware": _("Identify the malware and its indicators"),
    "clean_or_reinstall": _("Clean or reinstall the infected machines"),
    "identify_vulnerable_systems": _("List the vulnerable systems, medical devices included"),
    "apply_workaround_or_isolate": _("Apply the workaround or isolate the systems"),
    "search_for_compromise": _("Search for signs of compromise"),
    "apply_patch": _("Apply the fix"),
    "monitor_for_exploitation": _("Watch for new exploitation attempts"),
    "identify_targeted_services": _("Identify the services targeted"),
    "contact_network_provider": _("Call the network provider for filtering"),
    "filter_malicious_traffic": _("Filter the malicious traffic"),
    "restore_services": _("Restore the services"),
    "take_site_offline": _("Take the defaced site offline"),
    "assess_data_and_people_affected": _("Assess which data and how many people are affected"),
    "stop_the_leak": _("Stop the leak"),
    "inform_data_subjects": _("Inform the people concerned when the risk is high"),
    "contact_supplier": _("Call the supplier and get its incident report"),
    "assess_exposure_to_supplier": _("Assess what the supplier can reach in your systems"),
    "restrict_supplier_access": _("Restrict the supplier's accesses"),
    "review_supplier_contract": _("Review the supplier's contract and security clauses"),
    "assess_scope_and_impact": _("Assess the scope and the impact on care"),
    "repair_or_fail_over": _("Repair, or fail over to the backup site"),
    "contact_software_vendor": _("Call the software vendor"),
    "roll_back_or_fix": _("Roll back or fix the software"),
    "check_data_integrity": _("Check the integrity of the data"),
    "limit_consequences": _("Limit the consequences of the error"),
    "correct_the_error": _("Correct the error"),
    "contain_affected_systems": _("Contain the affected systems"),
    "restore_normal_operations": _("Return to normal operations"),
}


def step_label(code: str, title: str = "") -> str:
    """A playbook step in words; a step added by hand keeps its own title."""
    if title:
        return title
    label = STEPS.get(code)
    return str(label) if label is not None else code.replace("_", " ")
