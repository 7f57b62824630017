"""Threat intelligence shared by the support centre: indicators under TLP (advisories, TAXII and
the MISP feed build on them)."""
