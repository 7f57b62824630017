"""Scoring a quiz, on the server only: the page never receives which choices are correct."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Scored:
    score: int  # percent of the questions answered exactly right
    passed: bool
    right: frozenset[str]  # ids of the questions answered right


class UnknownAnswer(ValueError):
    """An answer names a question or a choice the module does not have."""


def score(
    questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Sequence[str]], pass_mark: int
) -> Scored:
    """`answers`: question id -> the choice ids given. A question is right when exactly its
    correct choices are given; an unanswered question is wrong."""
    known = {str(q["id"]): q for q in questions}
    unknown = set(answers) - set(known)
    if unknown:
        raise UnknownAnswer(sorted(unknown)[0])
    right = set()
    for qid, question in known.items():
        given = set(answers.get(qid, ()))
        choices = {str(c["id"]) for c in question["choices"]}
        if given - choices:
            raise UnknownAnswer(f"{qid}:{sorted(given - choices)[0]}")
        correct = {str(c["id"]) for c in question["choices"] if c.get("correct")}
        if given == correct:
            right.add(qid)
    total = len(known)
    percent = round(100 * len(right) / total) if total else 0
    return Scored(score=percent, passed=percent >= pass_mark, right=frozenset(right))
