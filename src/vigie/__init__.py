"""Vigie Santé: the platform of a cybersecurity support centre for hospitals."""

__version__ = "0.1.0"
