"""CVE JSON 5 `affected[].versions` -> `vers:` range strings and NVD-shaped CPE criteria.

CVE 5 semantics (schema v5.1, `versions` item):
* `{version, status}` alone is one version;
* `{version, lessThan | lessThanOrEqual, status}` is the range [version, upper), where
  `version: "0"` means "from the beginning", `lessThan: "*"` means "no upper bound", and an upper
  bound ending in `.*` (`5.10.*`) means "the whole 5.10 branch";
* `changes: [{at, status}]` switch the status inside the range from `at` onwards;
* `defaultStatus` holds for every version the list does not mention.

Each (sub)range becomes its own `vers:` string: one NamedProduct / PackageRange per range keeps
status per range, which one `vers:` string (a single status) cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vigie.engines.feeds.common import Problems, get_list, get_str
from vigie.engines.feeds.cpe_names import criterion, split_fs, to_fs, with_version
from vigie.engines.feeds.range_text import encode_version

# CVE 5 `versionType` -> vers versioning scheme (names univers knows). Anything else, including
# "semver" and "custom", is `generic`: univers has no "semver" scheme, and its generic scheme
# compares dotted numbers the semver way.
_SCHEMES = {
    "rpm": "rpm",
    "deb": "deb",
    "debian": "deb",
    "maven": "maven",
    "python": "pypi",
    "pypi": "pypi",
    "npm": "npm",
    "go": "golang",
    "golang": "golang",
    "gem": "gem",
    "ruby": "gem",
    "nuget": "nuget",
    "cargo": "cargo",
    "composer": "composer",
}
# versionType values whose "versions" are not orderable (commit ids): such entries are skipped.
UNORDERED_TYPES = frozenset({"git", "original_commit_for_fix"})
# Lower bounds that mean "from the first version".
_NO_LOWER = frozenset(
    {"", "0", "*", "-", "n/a", "na", "unspecified", "unknown", "all", "all versions"}
)
# Single versions that mean "we do not know which": read as all versions.
_ANY_VERSION = frozenset(
    {"", "*", "-", "n/a", "na", "unspecified", "unknown", "all", "all versions"}
)
STATUS = {"affected": "affected", "unaffected": "not_affected", "unknown": "under_investigation"}

_WILDCARD_TAIL = re.compile(r"^(.*?)(\d+)\.\*$")


def scheme_for(version_type: str) -> str:
    return _SCHEMES.get(version_type.strip().lower(), "generic")


@dataclass(frozen=True, slots=True)
class Segment:
    """One contiguous run of versions with one status, bounds verbatim from the record."""

    status: str  # CVE 5 spelling: affected | unaffected | unknown
    exact: str | None = None  # a single version
    lower: str = ""  # inclusive; "" = from the beginning
    upper: str = ""  # "" = no upper bound
    upper_inclusive: bool = False


def segments(version: dict[str, Any], where: str, problems: Problems, record: str) -> list[Segment]:
    """The runs one `versions` item describes (several when it has `changes`)."""
    status = get_str(version, "status", where, problems, record, required=True)
    if status not in STATUS:
        if status:
            problems.add(f"unknown status {status!r}", field=f"{where}/status", record=record)
        return []
    start = version.get("version")
    if not isinstance(start, str):
        problems.add("missing or non-string `version`", field=f"{where}/version", record=record)
        return []
    less_than = version.get("lessThan")
    less_equal = version.get("lessThanOrEqual")
    if not isinstance(less_than, str) and not isinstance(less_equal, str):
        return [Segment(status=status, exact=start.strip())]
    upper, inclusive = (less_than, False) if isinstance(less_than, str) else (less_equal, True)
    upper = str(upper).strip()
    lower = "" if start.strip().lower() in _NO_LOWER else start.strip()
    runs: list[Segment] = []
    current_status, current_lower = status, lower
    for index, change in enumerate(get_list(version, "changes", where, problems, record)):
        at = change.get("at") if isinstance(change, dict) else None
        new_status = change.get("status") if isinstance(change, dict) else None
        if not isinstance(at, str) or new_status not in STATUS:
            problems.add(
                "change needs a string `at` and a known `status`",
                field=f"{where}/changes/{index}",
                record=record,
            )
            continue
        runs.append(Segment(status=current_status, lower=current_lower, upper=at.strip()))
        current_status, current_lower = str(new_status), at.strip()
    runs.append(
        Segment(status=current_status, lower=current_lower, upper=upper, upper_inclusive=inclusive)
    )
    # A change at the range's end (`at` == lessThan, as PAN-OS records write) leaves an empty run.
    return [r for r in runs if not (r.lower and r.lower == r.upper and not r.upper_inclusive)]


def _upper_bound(upper: str, inclusive: bool) -> tuple[str, bool] | None:
    """(bound, inclusive) after wildcard handling; None when there is no upper bound."""
    if upper in ("", "*"):
        return None
    wildcard = _WILDCARD_TAIL.match(upper)
    if wildcard:
        # "5.10.*" is the end of the 5.10 branch: everything below 5.11.
        return f"{wildcard.group(1)}{int(wildcard.group(2)) + 1}", False
    return upper, inclusive


def to_vers(segment: Segment, scheme: str) -> str:
    if segment.exact is not None:
        if segment.exact.lower() in _ANY_VERSION:
            return "vers:all/*"
        return f"vers:{scheme}/{encode_version(segment.exact)}"
    constraints: list[str] = []
    if segment.lower:
        constraints.append(">=" + encode_version(segment.lower))
    bound = _upper_bound(segment.upper, segment.upper_inclusive)
    if bound is not None:
        constraints.append(("<=" if bound[1] else "<") + encode_version(bound[0]))
    if not constraints:
        return "vers:all/*"
    return f"vers:{scheme}/" + "|".join(constraints)


def cpe_criteria(
    entry: dict[str, Any], where: str, problems: Problems, record: str
) -> list[dict[str, Any]]:
    """NVD-shaped criteria for an `affected` entry that lists `cpes` (CNA or CISA ADP).

    Affected runs become version bounds on the CPE (version field set to `*`), single versions
    set the version field. Without affected runs the CPEs are taken as written.
    """
    cpes: list[str] = []
    for index, raw in enumerate(get_list(entry, "cpes", where, problems, record)):
        fs = to_fs(raw) if isinstance(raw, str) else None
        if fs is None:
            problems.add(f"not a CPE name: {raw!r}", field=f"{where}/cpes/{index}", record=record)
            continue
        cpes.append(fs)
    if not cpes:
        return []
    version_type = get_str(entry, "versionType", where, problems, record)
    runs: list[Segment] = []
    for index, item in enumerate(get_list(entry, "versions", where, problems, record)):
        if not isinstance(item, dict):
            continue
        if str(item.get("versionType", version_type)).lower() in UNORDERED_TYPES:
            continue
        runs.extend(
            s
            for s in segments(item, f"{where}/versions/{index}", Problems(""), record)
            if s.status == "affected"
        )
    if not runs:
        return [criterion(cpe) for cpe in cpes]
    found: list[dict[str, Any]] = []
    for cpe in cpes:
        version = (split_fs(cpe) or ["*"] * 6)[5]
        if version in ("*", "-"):
            found.extend(_run_criterion(cpe, run) for run in runs)
            continue
        # A CPE that names its version stands for that version, unless the version is a bound
        # of a range: CISA's ADP writes the start there ("reader:9.0" for 9.0 <= v < 9.4.4),
        # Microsoft the fixed version ("windows_10_1809:10.0.17763.1999" for v < that). Crossing
        # every named CPE with every run would turn 230 Cisco versions into 50,000 criteria.
        bounded = [
            r
            for r in runs
            if r.exact is None
            and (_same_version(r.lower, version) or _same_version(r.upper, version))
        ]
        found.extend(_run_criterion(cpe, r) for r in bounded)
        if not bounded:
            found.append(criterion(cpe))
    return found


def _run_criterion(cpe: str, run: Segment) -> dict[str, Any]:
    if run.exact is not None:
        exact = "*" if run.exact.lower() in _ANY_VERSION else run.exact
        return criterion(with_version(cpe, exact))
    bound = _upper_bound(run.upper, run.upper_inclusive)
    bounds = {"versionStartIncluding": run.lower}
    if bound is not None:
        bounds["versionEndIncluding" if bound[1] else "versionEndExcluding"] = bound[0]
    return criterion(with_version(cpe, "*"), bounds=bounds)


def _same_version(plain: str, quoted: str) -> bool:
    """A version as written in `versions` against a CPE version field (which quotes with `\\`)."""
    return bool(plain) and plain.replace("\\", "").lower() == quoted.replace("\\", "").lower()
