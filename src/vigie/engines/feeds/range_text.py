"""Writing version ranges as `vers:` strings.

`vers` parsers drop blanks and split on `|`, so such characters inside a version are
percent-encoded (the vers spec decodes `%xx` in versions).
"""

from __future__ import annotations

import re

_NEEDS_ESCAPE = re.compile(r"[%|\s*<>=!]")
# One comparison of a free-text range: `<= 9.33.1`, `>=V9.3.0`, `< 2.0`.
_COMPARISON = re.compile(r"\s*(<=|>=|!=|<|>|=)?\s*([^<>=!|,\s][^<>=!|,]*?)\s*(?=<|>|=|!|\||,|$)")


def encode_version(version: str) -> str:
    if not _NEEDS_ESCAPE.search(version):
        return version
    return "".join(f"%{ord(c):02X}" if c in "%|*<>=!" or c.isspace() else c for c in version)


def free_text_to_vers(text: str, scheme: str) -> str | None:
    """`>= 1.0.0 | <= 1.1.1` -> `vers:<scheme>/>=1.0.0|<=1.1.1`; None when it is not a plain list
    of comparisons (prose such as "distributed < april 1, 2018")."""
    text = text.strip()
    if not text:
        return None
    constraints: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos] in "|, ":
            pos += 1
            continue
        match = _COMPARISON.match(text, pos)
        if match is None or match.end() == pos:
            return None
        operator, version = match.group(1) or "", match.group(2).strip()
        if " " in version:
            return None
        constraints.append(("" if operator == "=" else operator) + encode_version(version))
        pos = match.end()
    if not constraints:
        return None
    return f"vers:{scheme}/" + "|".join(constraints)
