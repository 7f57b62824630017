"""Continuity in degraded mode: per care unit, procedures, critical processes, mutual aid;
printable plans."""
