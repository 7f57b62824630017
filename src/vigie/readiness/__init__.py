"""Readiness at a glance: one page per establishment for its director, and the sector's for the
centre."""
