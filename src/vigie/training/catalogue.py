"""The module catalogue shipped with the platform: `modules/<slug>.<lang>.md` files.

Each file is a short Markdown text with its front matter in TOML between two `+++` lines:

    +++
    title = "Recognising phishing"
    minutes = 10
    pass_mark = 80          # percent of the questions answered right

    [[questions]]
    id = "sender"
    text = "What do you check first?"
    explanation = "Shown after answering."
    [[questions.choices]]
    id = "a"
    text = "The sender's real address"
    correct = true
    +++
    The text of the module, in Markdown.

A question with several correct choices is answered with checkboxes, one with a single correct
choice with radio buttons. The French and English files of a module must have the same
minutes, pass mark, questions and choices (same ids, same correct ones): only the words differ.
Every problem is a `CatalogueError` naming the file, the line and the field.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANGUAGES = ("fr", "en")
MODULES_DIR = Path(__file__).resolve().parent / "modules"
FENCE = "+++"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
_TOML_LINE = re.compile(r"at line (\d+)")
MAX_BODY = 50_000


class CatalogueError(ValueError):
    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        super().__init__(f"{file}, line {line}, {field}: {message}")


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    text: str
    correct: bool


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    explanation: str
    choices: tuple[Choice, ...]

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.choices if c.correct)

    @property
    def multiple(self) -> bool:
        return len(self.correct_ids) > 1


@dataclass(frozen=True, slots=True)
class ModuleText:
    """One language of a module."""

    language: str
    title: str
    minutes: int
    pass_mark: int
    questions: tuple[Question, ...]
    body: str

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body": self.body,
            "questions": [
                {
                    "id": q.id,
                    "text": q.text,
                    "explanation": q.explanation,
                    "choices": [
                        {"id": c.id, "text": c.text, "correct": c.correct} for c in q.choices
                    ],
                }
                for q in self.questions
            ],
        }


@dataclass(frozen=True, slots=True)
class CatalogueModule:
    slug: str
    version: str  # a hash of the files: a new version when a word changes
    texts: dict[str, ModuleText]

    @property
    def minutes(self) -> int:
        return self.texts[LANGUAGES[0]].minutes

    @property
    def pass_mark(self) -> int:
        return self.texts[LANGUAGES[0]].pass_mark


class _Lines:
    """Where a key or a table appears in the front matter (lines of the whole file)."""

    def __init__(self, front: str, first_line: int) -> None:
        self.lines = front.splitlines()
        self.first = first_line

    def of_key(self, key: str, after: int = 0) -> int:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for index in range(after, len(self.lines)):
            if pattern.match(self.lines[index]):
                return self.first + index
        return self.first + after

    def of_table(self, name: str, nth: int) -> int:
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
        seen = -1
        for index, line in enumerate(self.lines):
            if pattern.match(line):
                seen += 1
                if seen == nth:
                    return index
        return 0


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        return None
    return value.strip()


def parse_text(text: str, file: str, language: str) -> ModuleText:
    """One module file's content; `file` names it in the errors."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise CatalogueError(file, 1, "front matter", "the file must start with a +++ line")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == FENCE), None)
    if end is None:
        raise CatalogueError(file, 1, "front matter", "the closing +++ line is missing")
    front = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :]).strip()
    where = _Lines(front, 2)
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_LINE.search(str(error))
        line = int(found.group(1)) + 1 if found else 1
        raise CatalogueError(file, line, "front matter", f"not valid TOML ({error})") from None

    def fail(field: str, message: str, line: int | None = None) -> CatalogueError:
        at = line if line is not None else where.of_key(field)
        return CatalogueError(file, at, field, message)

    title = _text(data.get("title"), 200)
    if title is None:
        raise fail("title", "a text of at most 200 characters is required")
    minutes = data.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 240:
        raise fail("minutes", "a whole number of minutes between 1 and 240 is required")
    pass_mark = data.get("pass_mark")
    if not isinstance(pass_mark, int) or isinstance(pass_mark, bool) or not 0 < pass_mark <= 100:
        raise fail("pass_mark", "a percentage between 1 and 100 is required")
    if not body:
        raise CatalogueError(file, end + 2, "content", "the module has no text after the +++ line")
    if len(body) > MAX_BODY:
        raise CatalogueError(file, end + 2, "content", f"longer than {MAX_BODY} characters")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise fail("questions", "at least one [[questions]] table is required", 2)
    questions: list[Question] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_questions):
        start = where.of_table("questions", number)
        line = where.first + start
        label = f"questions[{number + 1}]"
        if not isinstance(raw, dict):
            raise fail(label, "must be a table", line)
        qid = raw.get("id")
        if not isinstance(qid, str) or not _ID.match(qid):
            raise fail(f"{label}.id", "a short id (a-z, 0-9, - or _) is required", line)
        if qid in seen:
            raise fail(f"{label}.id", f"the id “{qid}” is used twice", where.of_key("id", start))
        seen.add(qid)
        qtext = _text(raw.get("text"), 500)
        if qtext is None:
            raise fail(f"{label}.text", "a text of at most 500 characters is required", line)
        explanation = _text(raw.get("explanation"), 1000)
        if explanation is None:
            raise fail(
                f"{label}.explanation", "a text of at most 1000 characters is required", line
            )
        raw_choices = raw.get("choices")
        if not isinstance(raw_choices, list) or len(raw_choices) < 2:
            raise fail(f"{label}.choices", "at least two [[questions.choices]] are required", line)
        choices: list[Choice] = []
        for index, choice in enumerate(raw_choices):
            clabel = f"{label}.choices[{index + 1}]"
            if not isinstance(choice, dict):
                raise fail(clabel, "must be a table", line)
            cid = choice.get("id")
            if not isinstance(cid, str) or not _ID.match(cid):
                raise fail(f"{clabel}.id", "a short id (a-z, 0-9, - or _) is required", line)
            if any(c.id == cid for c in choices):
                raise fail(f"{clabel}.id", f"the id “{cid}” is used twice", line)
            ctext = _text(choice.get("text"), 300)
            if ctext is None:
                raise fail(f"{clabel}.text", "a text of at most 300 characters is required", line)
            correct = choice.get("correct", False)
            if not isinstance(correct, bool):
                raise fail(f"{clabel}.correct", "must be true or false", line)
            choices.append(Choice(cid, ctext, correct))
        if not any(c.correct for c in choices):
            raise fail(f"{label}.choices", "at least one choice must be correct = true", line)
        questions.append(Question(qid, qtext, explanation, tuple(choices)))
    return ModuleText(language, title, minutes, pass_mark, tuple(questions), body)


def _shape(text: ModuleText) -> tuple[Any, ...]:
    return (
        text.minutes,
        text.pass_mark,
        tuple((q.id, tuple((c.id, c.correct) for c in q.choices)) for q in text.questions),
    )


def load_module(slug: str, folder: Path = MODULES_DIR) -> CatalogueModule:
    if not _SLUG.match(slug):
        raise CatalogueError(f"{slug}.*.md", 1, "file name", "not a valid module slug")
    texts: dict[str, ModuleText] = {}
    digest = hashlib.sha256()
    for language in LANGUAGES:
        path = folder / f"{slug}.{language}.md"
        name = path.name
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise CatalogueError(
                name, 1, "file", "missing: every module has a file per language"
            ) from None
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise CatalogueError(name, line, "file", "not UTF-8 text") from None
        texts[language] = parse_text(content, name, language)
        digest.update(language.encode() + b"\0" + raw + b"\0")
    first = texts[LANGUAGES[0]]
    for language in LANGUAGES[1:]:
        if _shape(texts[language]) != _shape(first):
            raise CatalogueError(
                f"{slug}.{language}.md",
                1,
                "questions",
                f"minutes, pass mark, questions and choices must match {slug}.{LANGUAGES[0]}.md",
            )
    return CatalogueModule(slug=slug, version=digest.hexdigest()[:16], texts=texts)


def slugs(folder: Path = MODULES_DIR) -> list[str]:
    found = {path.name.split(".", 1)[0] for path in folder.glob("*.md")}
    return sorted(found)


def load_catalogue(folder: Path = MODULES_DIR) -> list[CatalogueModule]:
    return [load_module(slug, folder) for slug in slugs(folder)]
