"""Why an intelligence action was refused: a code and its parameters, rendered by the caller
in the reader's language (sightings.refusal_message, advisory_views.REFUSALS)."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
