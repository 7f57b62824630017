"""Following a live log (`vigie.sensor.follow`): whole lines only, rotation by rename and by
truncation, restarts from a saved position, and files that are not logs to follow."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from vigie.sensor.follow import FollowedLog, Position
from vigie.sensor.matcher import IndicatorSet

DATA = Path(__file__).resolve().parent.parent / "data" / "sensor"
SQUID = DATA / "fail2ban_squid_access.log"


def indicators(*pairs: tuple[str, str]) -> IndicatorSet:
    found = IndicatorSet()
    for type_, value in pairs:
        found.add(type_, value)
    return found


def squid_line(host: str, client: str = "10.0.0.7") -> bytes:
    return (
        f"1286536309.450 {len(host)} {client} TCP_MISS/200 1234 GET http://{host}/index.html - "
        f"DIRECT/93.184.216.34 text/html\n"
    ).encode()


def test_only_whole_lines_are_read_and_a_line_being_written_waits(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("evil.example") + squid_line("good.example")[:20])
    follower = FollowedLog(str(log), indicators(("domain", "evil.example")))
    batch = follower.poll()
    assert [(hit.line, hit.observed) for hit in batch.hits] == [(1, "evil.example")]
    assert batch.position is not None
    assert batch.position.offset == len(squid_line("evil.example"))
    with log.open("ab") as stream:
        stream.write(squid_line("good.example")[20:] + squid_line("a.evil.example"))
    batch = follower.poll()
    assert [(hit.line, hit.observed) for hit in batch.hits] == [(3, "a.evil.example")]
    assert batch.lines == {"proxy": 2}
    assert follower.poll().moved is False


def test_rotation_by_rename_reads_the_old_file_to_its_end_then_the_new_one(
    tmp_path: Path,
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("evil.example"))
    follower = FollowedLog(str(log), indicators(("domain", "evil.example")))
    assert len(follower.poll().hits) == 1
    with log.open("ab") as stream:  # written just before the rotation, not read yet
        stream.write(squid_line("b.evil.example"))
    log.rename(tmp_path / "access.log.1")
    log.write_bytes(squid_line("c.evil.example"))
    batch = follower.poll()
    assert "rotated" in batch.events
    assert [(hit.line, hit.observed) for hit in batch.hits] == [
        (2, "b.evil.example"),
        (1, "c.evil.example"),
    ]
    assert batch.position is not None
    assert batch.position.inode == os.stat(log).st_ino


def test_a_log_moved_away_is_still_read_until_its_successor_appears(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("evil.example"))
    follower = FollowedLog(str(log), indicators(("domain", "evil.example")))
    follower.poll()
    rotated = tmp_path / "access.log.1"
    log.rename(rotated)
    with rotated.open("ab") as stream:  # the writer still has the old file open
        stream.write(squid_line("late.evil.example"))
    assert [hit.observed for hit in follower.poll().hits] == ["late.evil.example"]


def test_copytruncate_is_noticed_and_the_file_read_again_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("evil.example") * 3)
    follower = FollowedLog(str(log), indicators(("domain", "evil.example")))
    assert len(follower.poll().hits) == 3
    log.write_bytes(squid_line("x.evil.example"))  # truncated in place, same inode
    batch = follower.poll()
    assert "truncated" in batch.events
    assert [(hit.line, hit.observed) for hit in batch.hits] == [(1, "x.evil.example")]


def test_a_saved_position_resumes_after_the_lines_already_reported(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("evil.example") * 2)
    first = FollowedLog(str(log), indicators(("domain", "evil.example")))
    position = first.poll().position
    first.close()
    assert position is not None
    with log.open("ab") as stream:
        stream.write(squid_line("new.evil.example"))
    again = FollowedLog(str(log), indicators(("domain", "evil.example")), position)
    batch = again.poll()
    assert [(hit.line, hit.observed) for hit in batch.hits] == [(3, "new.evil.example")]
    assert batch.events == []


def test_a_saved_position_in_another_file_is_not_trusted(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("evil.example"))
    stale = Position(0, 0, 10_000, 99, "squid")
    batch = FollowedLog(str(log), indicators(("domain", "evil.example")), stale).poll()
    assert batch.events == ["restarted_elsewhere"]
    assert [hit.line for hit in batch.hits] == [1]


def test_a_zeek_tsv_log_resumed_mid_file_still_knows_its_columns(tmp_path: Path) -> None:
    text = (DATA / "zeek_ssl_head.log").read_bytes()
    lines = text.split(b"\n")
    body = [n for n, line in enumerate(lines) if line and not line.startswith(b"#")]
    cut = sum(len(line) + 1 for line in lines[: body[5]])
    log = tmp_path / "ssl.log"
    log.write_bytes(text)
    named = [n for n in body[6:] if lines[n].split(b"\t")[9] != b"-"]
    target = lines[named[0]].split(b"\t")[9].decode()  # a server_name after the cut
    position = Position(os.stat(log).st_dev, os.stat(log).st_ino, cut, body[5], "zeek-tsv")
    follower = FollowedLog(str(log), indicators(("domain", target)), position)
    batch = follower.poll()
    assert batch.hits
    assert all(hit.line > body[5] for hit in batch.hits)
    assert all(hit.observed.endswith(target) for hit in batch.hits)
    assert batch.not_understood == 0


def test_compressed_binary_and_missing_files_are_named_not_followed(tmp_path: Path) -> None:
    packed = tmp_path / "old.log.gz"
    packed.write_bytes(gzip.compress(squid_line("evil.example")))
    binary = tmp_path / "core"
    binary.write_bytes(b"\x7fELF\x00\x00" * 100 + b"\n")
    missing = tmp_path / "later.log"
    found = indicators(("domain", "evil.example"))
    assert FollowedLog(str(packed), found).poll().events == ["compressed_file"]
    assert FollowedLog(str(binary), found).poll().events == ["binary_file"]
    waiting = FollowedLog(str(missing), found)
    assert waiting.poll().events == ["missing"]
    assert waiting.poll().events == []  # said once
    missing.write_bytes(squid_line("evil.example"))
    assert [hit.line for hit in waiting.poll().hits] == [1]


def test_a_log_rotated_while_the_sensor_was_stopped_is_finished_first(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("evil.example"))
    first = FollowedLog(str(log), indicators(("domain", "evil.example")))
    position = first.poll().position
    first.close()
    with log.open("ab") as stream:
        stream.write(squid_line("unread.evil.example"))
    log.rename(tmp_path / "access.log.1")
    log.write_bytes(squid_line("new.evil.example"))
    batch = FollowedLog(str(log), indicators(("domain", "evil.example")), position).poll()
    assert [(hit.line, hit.observed) for hit in batch.hits] == [
        (2, "unread.evil.example"),
        (1, "new.evil.example"),
    ]
    assert batch.events == ["rotated"]
