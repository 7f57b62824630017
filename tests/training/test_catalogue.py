"""The shipped catalogue: every module parses in both languages with the same quiz; bad files
are refused naming the file, the line and the field; syncing is idempotent; Markdown is safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vigie.training.catalogue import (
    LANGUAGES,
    MODULES_DIR,
    CatalogueError,
    load_catalogue,
    load_module,
    parse_text,
)
from vigie.training.models import TrainingModule
from vigie.training.rendering import render_markdown
from vigie.training.sync import sync_catalogue

GOOD = """+++
title = "Test"
minutes = 5
pass_mark = 50

[[questions]]
id = "one"
text = "Question?"
explanation = "Because."
[[questions.choices]]
id = "a"
text = "Yes"
correct = true
[[questions.choices]]
id = "b"
text = "No"
+++
Some **text**.
"""


def test_every_shipped_module_parses_in_both_languages_with_the_same_quiz() -> None:
    modules = load_catalogue()
    slugs = {m.slug for m in modules}
    assert {"phishing", "passwords-sessions", "removable-media", "cyber-attack-reflexes"} <= slugs
    for module in modules:
        fr, en = module.texts["fr"], module.texts["en"]
        assert fr.title != en.title
        assert [q.id for q in fr.questions] == [q.id for q in en.questions]
        for qfr, qen in zip(fr.questions, en.questions, strict=True):
            assert qfr.correct_ids == qen.correct_ids
            assert [c.id for c in qfr.choices] == [c.id for c in qen.choices]
            assert qfr.explanation
            assert qen.explanation
        assert len(fr.questions) >= 3
        assert len(fr.body) > 400


def test_a_module_with_several_right_answers_asks_with_checkboxes() -> None:
    phishing = load_module("phishing")
    signs = next(q for q in phishing.texts["en"].questions if q.id == "signs")
    assert signs.multiple
    assert not phishing.texts["en"].questions[0].multiple


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (GOOD.replace('title = "Test"\n', ""), 2, "title"),
        (GOOD.replace("minutes = 5", "minutes = 0"), 3, "minutes"),
        (GOOD.replace("pass_mark = 50", 'pass_mark = "half"'), 4, "pass_mark"),
        (GOOD.replace('text = "Question?"\n', ""), 6, "questions[1].text"),
        (GOOD.replace("correct = true\n", ""), 6, "questions[1].choices"),
        (GOOD.replace('id = "b"', 'id = "a"'), 6, "questions[1].choices[2].id"),
        (GOOD.replace('explanation = "Because."', "explanation = "), 9, "front matter"),
        (GOOD.replace("+++\nSome", "Some"), 1, "front matter"),
        (GOOD.replace("Some **text**.\n", ""), 18, "content"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_line_and_field(
    text: str, line: int, field: str
) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_text(text, "bad.fr.md", "fr")
    assert caught.value.file == "bad.fr.md"
    assert caught.value.field == field
    assert caught.value.line == line
    assert str(caught.value).startswith(f"bad.fr.md, line {line}, {field}:")


def test_languages_whose_quizzes_differ_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x.fr.md").write_text(GOOD)
    (tmp_path / "x.en.md").write_text(GOOD.replace('id = "one"', 'id = "other"'))
    with pytest.raises(CatalogueError) as caught:
        load_module("x", tmp_path)
    assert caught.value.file == "x.en.md"
    assert caught.value.field == "questions"


def test_a_module_missing_a_language_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.fr.md").write_text(GOOD)
    with pytest.raises(CatalogueError, match=r"x\.en\.md, line 1, file: missing"):
        load_catalogue(tmp_path)


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "x.fr.md").write_bytes(GOOD.encode().replace(b"Some", "Sôme".encode("latin-1")))
    (tmp_path / "x.en.md").write_text(GOOD)
    with pytest.raises(CatalogueError) as caught:
        load_module("x", tmp_path)
    assert (caught.value.file, caught.value.line, caught.value.field) == ("x.fr.md", 18, "file")


def test_sync_is_idempotent_and_a_changed_file_makes_a_new_version(db: Any, tmp_path: Path) -> None:
    for language in LANGUAGES:
        (tmp_path / f"x.{language}.md").write_text(GOOD)
    first = sync_catalogue(tmp_path)
    again = sync_catalogue(tmp_path)
    assert (first.created, again.created, again.updated) == (1, 0, 0)
    before = TrainingModule.objects.get(slug="x").version
    (tmp_path / "x.en.md").write_text(GOOD.replace("Some", "Other"))
    assert sync_catalogue(tmp_path).updated == 1
    assert TrainingModule.objects.get(slug="x").version != before
    for language in LANGUAGES:
        (tmp_path / f"x.{language}.md").unlink()
    assert sync_catalogue(tmp_path).retired == 1
    assert not TrainingModule.objects.get(slug="x").active


def test_a_bad_file_changes_nothing_in_the_database(db: Any, tmp_path: Path) -> None:
    for language in LANGUAGES:
        (tmp_path / f"x.{language}.md").write_text(GOOD)
    (tmp_path / "y.fr.md").write_text(GOOD)
    (tmp_path / "y.en.md").write_text("no front matter")
    with pytest.raises(CatalogueError):
        sync_catalogue(tmp_path)
    assert not TrainingModule.objects.exists()


def test_the_shipped_catalogue_syncs_every_module(db: Any) -> None:
    sync_catalogue()
    assert TrainingModule.objects.filter(organisation=None).count() == len(
        list(MODULES_DIR.glob("*.fr.md"))
    )


def test_markdown_never_passes_raw_html_or_script_links() -> None:
    html = render_markdown(
        "<script>alert(1)</script>\n\n[click](javascript:alert(1)) "
        "[data](data:text/html;base64,PHNjcmlwdD4=) <img src=x onerror=alert(1)>\n\n**bold**"
    )
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert 'href="data:' not in html
    assert "<img" not in html
    assert "<strong>bold</strong>" in html
