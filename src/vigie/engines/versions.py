"""Ordering of free-form product version strings (CPE version fields, NVD bounds, inventories).

`version_key(v)` returns a sort key; keys of *any* two strings compare without TypeError, so
mixed inventories sort. `compare_versions(a, b)` returns -1, 0 or 1.

Why not univers: NVD bounds and CPE versions follow no single scheme (OpenSSL letters, gSOAP
`2.8.123e`, Citrix builds `13.1-49.15`, FreeBSD `13.2-p11`, OpenSSH `8.5p1`) and univers makes
the caller pick a scheme per package type; its generic scheme also costs several microseconds a
call, and the matcher compares versions of a million inventory CPEs. One lenient order, written
here and tested on those real cases, is what NVD matching needs.

The rules, in order:

* Case is ignored; a leading `v` before a digit is dropped (`v2.1` == `2.1`).
* The string is cut into runs of digits and runs of letters; every other character
  (`.` `-` `_` `+` `:` `~` ...) only separates. Digit runs compare as integers
  (`1.10` > `1.9`, `2.8.123` > `2.8.13`, `13.1-49.15` < `13.1-51.15`, `10.3.2-10` is
  `10.3.2.10`). Dates therefore order correctly when written the same way (`2021-03-15`).
* Zeros right before the end or before a letter run are not significant: `1.0` == `1.0.0`,
  `2.0rc1` == `2.0.0-rc1`.
* Pre-release words sort *below* the release they qualify: `dev` < `alpha`/`a<n>` <
  `beta`/`b<n>` < `milestone` < `pre`/`preview` < `rc`/`cr`; so `1.0rc1` < `1.0` and
  `14.0-rc4` < `14.0`. `snapshot` ranks with `dev`. `a`/`b` count as alpha/beta only when a
  number follows (`1.0b2`); alone they are a letter suffix (next rule).
* Any other letter run is a post-release suffix, above the bare release and ordered by its
  letters: OpenSSL `1.0.2` < `1.0.2k` < `1.0.2l` < `1.0.2za`; gSOAP `2.8.123` < `2.8.123e`;
  patch levels `1.9.5` < `1.9.5p1` < `1.9.5p2`, `8.5` < `8.5p1`. The spellings
  `patch`/`pl`/`p` and `update`/`u` are the same word.
* A numeric segment sorts above a letter suffix at the same place: `1.0.0a` < `1.0.1`,
  `1.9.5p1` < `1.9.5.1`.
* `final`, `ga`, `release`, `stable` are the release itself (`1.0-final` == `1.0`).

Limits (documented, not guessed around): epochs (`1:2.3`) and `~` are plain separators; a date
written `20210315` compares with `2021.03.15` as one number against three; CPE logical values
`*` and `-` are not versions, the matcher handles them before calling this module.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKENS = re.compile(r"[0-9]+|[a-z]+")

# Item ranks inside a key: at the first place two keys differ, the rank decides first.
_PRE = 0  # pre-release word: below the release
_END = 1  # end of the version
_POST = 2  # letter suffix / patch level: above the release
_NUM = 3  # a further numeric segment

_PRE_RANK = {
    "dev": 0,
    "snapshot": 0,
    "alpha": 1,
    "beta": 2,
    "milestone": 3,
    "pre": 4,
    "preview": 4,
    "rc": 5,
    "cr": 5,
}
_SHORT_PRE = {"a": 1, "b": 2}  # only when a number follows: `1.0a1`, `2.0b3`
_POST_ALIASES = {"patch": "p", "pl": "p", "update": "u"}
_RELEASE_WORDS = frozenset({"final", "ga", "release", "stable"})


@lru_cache(maxsize=1 << 16)
def version_key(v: str) -> tuple[int | str, ...]:
    """Return a key ordering `v` among versions; comparable with the key of any other string.

    The key is flat, `(rank, value, rank, value, ..., _END, 0)`: a value is compared only when
    the ranks before it are equal, and each rank has one value type (int, or str for letter
    suffixes), so no comparison mixes int and str. Flat tuples of small ints keep a million
    keys small in memory.
    """
    s = v.strip().lower()
    if s[:1] == "v" and s[1:2].isdigit():
        s = s[1:]
    tokens = _TOKENS.findall(s)
    items: list[int | str] = []
    pending_zeros = 0  # zero segments held back until we know whether they are trailing
    n = len(tokens)
    for i, tok in enumerate(tokens):
        if tok.isdigit():
            value = int(tok)
            if value == 0:
                pending_zeros += 1
                continue
            items.extend((_NUM, 0) * pending_zeros)
            pending_zeros = 0
            items += (_NUM, value)
            continue
        # A letter run: zeros just before it are not significant (`1.0rc1` == `1.0.0rc1`).
        pending_zeros = 0
        if tok in _RELEASE_WORDS:
            continue
        pre = _PRE_RANK.get(tok)
        if pre is None and tok in _SHORT_PRE and i + 1 < n and tokens[i + 1].isdigit():
            pre = _SHORT_PRE[tok]
        if pre is not None:
            items += (_PRE, pre)
        else:
            items += (_POST, _POST_ALIASES.get(tok, tok))
    items += (_END, 0)
    return tuple(items)


def compare_versions(a: str, b: str) -> int:
    """Return -1, 0 or 1 as version `a` is lower than, equal to or higher than `b`."""
    ka = version_key(a)
    kb = version_key(b)
    if ka < kb:
        return -1
    return 1 if ka > kb else 0
