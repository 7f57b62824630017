"""Incident cases: regulatory clocks (`clocks`), response playbooks (`playbooks`) and
small-count suppression for the anonymised observatory (`suppression`).

Framework-free like the rest of `vigie.engines`: plain data in, codes with parameters out; the
platform (`vigie.incidents`) stores the facts and translates the codes.
"""
