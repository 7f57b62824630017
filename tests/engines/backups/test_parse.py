"""The restic and borg parsers on real outputs (captured from restic 0.14 and borg 1.2) and
on the outputs they must refuse, with the line and field to blame."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from vigie.engines.backups import ParseError, detect_kind, parse

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)

RESTIC_BACKUP = (
    '{"message_type":"status","percent_done":0,"total_files":1,"total_bytes":6}\n'
    '{"message_type":"summary","files_new":1,"files_changed":0,"files_unmodified":0,'
    '"dirs_new":1,"dirs_changed":0,"dirs_unmodified":0,"data_blobs":1,"tree_blobs":2,'
    '"data_added":713,"total_files_processed":1,"total_bytes_processed":6,'
    '"total_duration":0.212992104,"snapshot_id":"e553916b"}\n'
)
RESTIC_SNAPSHOTS = json.dumps(
    [
        {
            "time": "2026-12-07T22:48:50.123125139Z",
            "tree": "07c4",
            "paths": ["/tmp/rt/data"],
            "hostname": "vm",
            "username": "root",
            "id": "e553916bc47a13eb4db15d2ba167f08f5264b4883470720bce44f2604f79d6cd",
            "short_id": "e553916b",
        },
        {
            "time": "2026-12-07T23:48:50.9+01:00",
            "paths": ["/srv"],
            "hostname": "vm",
            "id": "9cfcd46060f00d6d8976a3570f4910ed34b76164a9e298c88916a342053dded0",
            "short_id": "9cfcd460",
            "summary": {
                "backup_start": "2026-12-07T23:48:00+01:00",
                "backup_end": "2026-12-07T23:48:50+01:00",
                "data_added": 1054,
                "files_new": 1,
                "total_bytes_processed": 11,
            },
        },
    ],
    indent=2,
)
BORG_INFO = json.dumps(
    {
        "archives": [
            {
                "duration": 0.002857,
                "end": "2026-12-07T22:48:55.000000",
                "id": "f1fa2e58a842689e39b10ca280dce52aee794d18c38e6aceffcbfc2a4538f8f1",
                "name": "a2",
                "start": "2026-12-07T22:48:55.000000",
                "stats": {
                    "compressed_size": 17,
                    "deduplicated_size": 446,
                    "nfiles": 2,
                    "original_size": 11,
                },
            }
        ],
        "cache": {"stats": {}},
        "repository": {"id": "8a43", "location": "/tmp/rt/borg"},
    },
    indent=4,
)
BORG_LIST = json.dumps(
    {
        "archives": [
            {"archive": "a1", "id": "AE28", "name": "a1", "start": "2026-12-07T22:48:54.000000"}
        ],
        "repository": {"id": "8a43"},
    },
    indent=4,
)


def test_a_restic_backup_keeps_its_summary_under_the_short_id() -> None:
    parsed = parse("restic", "backup", RESTIC_BACKUP, None, NOW)
    (snapshot,) = parsed.snapshots
    assert snapshot.tool_id == "e553916b"
    assert (snapshot.data_added, snapshot.total_bytes, snapshot.files_new) == (713, 6, 1)
    assert snapshot.files_unmodified == 0
    assert snapshot.duration_s == pytest.approx(0.213, abs=1e-3)
    assert snapshot.taken_at == NOW  # restic 0.14 gives no time: when it was received


def test_restic_snapshots_are_read_in_utc_with_the_summary_of_newer_versions() -> None:
    first, second = parse("restic", "snapshots", RESTIC_SNAPSHOTS, None, NOW).snapshots
    assert first.tool_id == "e553916b"
    assert first.taken_at == datetime(2026, 12, 7, 22, 48, 50, 123125, tzinfo=UTC)
    assert first.data_added is None
    assert first.name == "vm:/tmp/rt/data"
    assert second.taken_at == datetime(2026, 12, 7, 22, 48, 50, 900000, tzinfo=UTC)
    assert (second.data_added, second.duration_s) == (1054, 50.0)


def test_a_restic_check_is_judged_by_its_exit_code_and_its_json_summary() -> None:
    ok = parse("restic", "check", "load indexes\nno errors were found\n", 0, NOW).checks[0]
    assert ok.ok
    assert ok.errors == 0
    assert ok.at == NOW
    bad = parse(
        "restic", "check", "error: pack abc: not found\nFatal: repository has errors", 1, NOW
    )
    assert not bad.checks[0].ok
    assert bad.checks[0].errors == 2
    summary = '{"message_type":"summary","num_errors":3,"broken_packs":["x"]}\n'
    assert parse("restic", "check", summary, 1, NOW).checks[0].errors == 3


def test_borg_info_gives_the_deduplicated_size_as_data_added() -> None:
    (archive,) = parse("borg", "info", BORG_INFO, None, NOW).snapshots
    assert archive.tool_id.startswith("f1fa2e58")
    assert (archive.data_added, archive.total_bytes, archive.files_new) == (446, 11, 2)
    assert archive.taken_at == datetime(2026, 12, 7, 22, 48, 55, tzinfo=UTC)
    assert archive.name == "a2"


def test_borg_list_has_no_sizes_and_lower_case_ids() -> None:
    (archive,) = parse("borg", "list", BORG_LIST, None, NOW).snapshots
    assert (archive.tool_id, archive.data_added, archive.name) == ("ae28", None, "a1")


@pytest.mark.parametrize(
    ("code", "ok", "warning", "errors"),
    [(0, True, False, 0), (1, True, True, 0), (2, False, False, 1)],
)
def test_borg_check_exit_codes(code: int, ok: bool, warning: bool, errors: int) -> None:
    check = parse("borg", "check", "", code, NOW).checks[0]
    assert (check.ok, check.warning, check.errors) == (ok, warning, errors)


def _refused(tool: str, kind: str, text: str, exit_code: int | None = None) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse(tool, kind, text, exit_code, NOW)
    return caught.value


def test_a_truncated_json_line_is_named_by_its_line() -> None:
    error = _refused("restic", "backup", RESTIC_BACKUP[: len(RESTIC_BACKUP) - 30])
    assert (error.code, error.params) == ("not_json", {"line": 2})


def test_a_backup_without_summary_is_refused() -> None:
    error = _refused("restic", "backup", RESTIC_BACKUP.splitlines()[0])
    assert (error.code, error.params["line"]) == ("no_summary", 1)


def test_malformed_snapshots_name_the_line_and_field() -> None:
    error = _refused("restic", "snapshots", RESTIC_SNAPSHOTS[:200])
    assert error.code == "not_json"
    assert error.params["line"] > 1
    bad_time = RESTIC_SNAPSHOTS.replace("2026-12-07T22:48:50.123125139Z", "yesterday")
    error = _refused("restic", "snapshots", bad_time)
    assert error.code == "bad_time"
    assert error.params["field"] == "[0].time"
    assert error.params["line"] == 3


def test_wrong_types_are_refused_with_their_field() -> None:
    data = json.loads(BORG_INFO)
    data["archives"][0]["stats"]["deduplicated_size"] = "big"
    error = _refused("borg", "info", json.dumps(data, indent=1))
    assert (error.code, error.params["field"]) == (
        "bad_type",
        "archives[0].stats.deduplicated_size",
    )
    assert _refused("borg", "info", '{"archives": 3}').code == "bad_type"
    assert _refused("borg", "list", "[]").code == "bad_shape"
    assert _refused("restic", "snapshots", '[{"id": "x"}]').params["field"] == "[0].time"
    negative = RESTIC_BACKUP.replace('"data_added":713', '"data_added":-1')
    assert _refused("restic", "backup", negative).params == {"line": 2, "field": "data_added"}


def test_empty_files_unknown_kinds_and_missing_exit_codes_are_refused() -> None:
    assert _refused("restic", "snapshots", "  \n").code == "empty"
    assert _refused("restic", "info", "{}").code == "unknown_kind"
    assert _refused("borg", "check", "ok").code == "bad_exit_code"


def test_the_kind_is_detected_from_the_output() -> None:
    assert detect_kind(RESTIC_BACKUP) == ("restic", "backup")
    assert detect_kind(RESTIC_SNAPSHOTS) == ("restic", "snapshots")
    assert detect_kind(BORG_INFO) == ("borg", "info")
    assert detect_kind(BORG_LIST) == ("borg", "list")
    assert detect_kind("load indexes\nno errors were found") == ("restic", "check")
    assert detect_kind("anything", tool="borg") == ("borg", "check")
    with pytest.raises(ParseError):
        detect_kind('{"hello": 1}')


def test_a_borg_check_that_exits_1_but_found_errors_is_a_failed_check() -> None:
    # borg 1.2.4 on a repository with a damaged segment: exit code 1, not 2.
    output = "Data integrity error: Segment entry checksum mismatch [segment 1, offset 8]\n"
    output += "Finished full repository check, errors found.\n"
    check = parse("borg", "check", output, 1, NOW).checks[0]
    assert not check.ok
    assert not check.warning
    assert check.errors >= 1
