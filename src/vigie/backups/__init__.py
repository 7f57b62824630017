"""Backups of the critical systems (3-2-1-1-0): sets, status ingested from restic and borg,
restore tests, alerts."""
