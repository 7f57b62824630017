"""Refresh the French catalogue after changing user-interface strings.

Run from the repository root: `.venv/bin/python scripts/update_translations.py`.
It runs `makemessages` for French (the options tests/test_translations.py checks against), lists
the entries that still need a translator, and compiles the catalogue. The exit status is 1 while
some entries are untranslated or fuzzy: translate them in the .po file and run it again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "vigie"
PO_FILE = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# engines/ is Django-free code whose text is not translated (it returns codes); the sensor
# translates its own messages with the standard library, from this same catalogue.
MAKEMESSAGES = (
    "makemessages", "-l", "fr", "--no-location", "--no-obsolete",
    "-i", "engines/*",
)  # fmt: skip


def run_django(*args: str) -> None:
    """Run a management command in the package directory, importing this checkout's `vigie`."""
    with tempfile.TemporaryDirectory(prefix="vigie-i18n-") as home:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "vigie.settings_test",
            "VIGIE_HOME": home,
            "PYTHONPATH": str(PACKAGE.parent),
        }
        # -P: the package directory (the cwd) must not shadow top-level modules.
        command = [sys.executable, "-P", "-m", "django", *args]
        subprocess.run(command, cwd=PACKAGE, env=env, check=True)


def entries_to_translate(po: polib.POFile) -> list[str]:
    """The msgids that have no translation yet, or only a fuzzy one."""
    return [e.msgid for e in po if e.msgid and not e.obsolete and (e.fuzzy or not e.translated())]


def main() -> int:
    run_django(*MAKEMESSAGES)
    todo = entries_to_translate(polib.pofile(str(PO_FILE)))
    run_django("compilemessages", "-l", "fr")
    if todo:
        print(f"{len(todo)} entries to translate in {PO_FILE.relative_to(ROOT)}:")
        for msgid in todo:
            print(f"  {msgid!r}")
        return 1
    print("The French catalogue is complete and compiled.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
