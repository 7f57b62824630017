"""The French catalogue is complete, faithful to its English sources, compiled, and current.

After changing user-interface strings, run `.venv/bin/python scripts/update_translations.py`,
translate what it lists in the .po file, and run it again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "vigie"
MESSAGES = PACKAGE / "locale" / "fr" / "LC_MESSAGES"
PO_FILE = MESSAGES / "django.po"
MO_FILE = MESSAGES / "django.mo"
# The options of scripts/update_translations.py.
MAKEMESSAGES = (
    "makemessages", "-l", "fr", "--no-location", "--no-obsolete",
    "-i", "engines/*",
)  # fmt: skip

PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
MARKUP = re.compile(r"<[^<>]+>|&#?\w+;")

Key = tuple[str, str, str]  # msgctxt, msgid, msgid_plural


def key(entry: polib.POEntry | polib.MOEntry) -> Key:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def messages(catalogue: polib.POFile | polib.MOFile) -> list[polib.POEntry]:
    """The catalogue's messages, without the header and the obsolete entries."""
    return [e for e in catalogue if e.msgid and not e.obsolete]


def sources_and_translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(English, French) pairs; a plural form is compared with the singular or the plural."""
    if not entry.msgid_plural:
        return [(entry.msgid, entry.msgstr)]
    return [
        (entry.msgid if index == 0 else entry.msgid_plural, text)
        for index, text in sorted(entry.msgstr_plural.items())
    ]


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_FILE))


def test_every_message_has_a_french_translation(catalogue: polib.POFile) -> None:
    untranslated = [e.msgid for e in messages(catalogue) if not e.translated()]
    assert untranslated == []
    plurals = [e for e in messages(catalogue) if e.msgid_plural]
    assert all(sorted(e.msgstr_plural) == [0, 1] for e in plurals)
    assert catalogue.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"


def test_no_translation_is_marked_fuzzy(catalogue: polib.POFile) -> None:
    assert [e.msgid for e in messages(catalogue) if e.fuzzy] == []
    assert not catalogue.metadata_is_fuzzy


def test_translations_keep_the_placeholders_of_their_source(catalogue: polib.POFile) -> None:
    wrong = [
        (source, text)
        for entry in messages(catalogue)
        for source, text in sources_and_translations(entry)
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text))
    ]
    assert wrong == []


def test_translations_keep_the_markup_of_their_source(catalogue: polib.POFile) -> None:
    wrong = [
        (source, text)
        for entry in messages(catalogue)
        for source, text in sources_and_translations(entry)
        if sorted(MARKUP.findall(source)) != sorted(MARKUP.findall(text))
    ]
    assert wrong == []


def test_sign_in_is_connexion_in_french(catalogue: polib.POFile) -> None:
    assert catalogue.find("Sign in").msgstr == "Connexion"


def test_compiled_catalogue_matches_the_po_file(catalogue: polib.POFile, tmp_path: Path) -> None:
    expected = tmp_path / "expected.mo"
    catalogue.save_as_mofile(str(expected))

    def contents(path: Path) -> dict[Key, object]:
        compiled = polib.mofile(str(path))
        return {
            key(e): tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else e.msgstr
            for e in messages(compiled)
        }

    assert contents(MO_FILE) == contents(expected), (
        "django.mo is stale: run scripts/update_translations.py"
    )
    assert polib.mofile(str(MO_FILE)).metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext")
def test_catalogue_lists_exactly_the_strings_of_the_code(
    catalogue: polib.POFile, tmp_path: Path
) -> None:
    # makemessages writes into the catalogue of the `vigie` it imports: run it on a copy, with
    # PYTHONPATH pointing at the copy, so the committed catalogue is never touched.
    copy = tmp_path / "src" / "vigie"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    copied_po = copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    copied_po.unlink()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vigie.settings_test",
        "VIGIE_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(copy.parent),
    }
    subprocess.run(
        [sys.executable, "-P", "-m", "django", *MAKEMESSAGES],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )

    in_code = {key(e) for e in messages(polib.pofile(str(copied_po)))}
    committed = {key(e) for e in messages(catalogue)}
    assert sorted(in_code - committed) == [], "new strings: run scripts/update_translations.py"
    assert sorted(committed - in_code) == [], "gone strings: run scripts/update_translations.py"
