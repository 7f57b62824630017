"""Incidents: declaration by an establishment, patient and data impact, regulatory clocks,
response support by the centre (triage, playbook tasks, timeline, comments, evidence), and
the reports pre-filled from the case."""
