"""Following one live log file, safe across rotation and truncation.

A followed log is read from the position reached (device, inode, byte offset and line number,
which the caller stores in the same transaction as the sightings found before it), whole lines
only: a line still being written stays for the next poll. On each poll:

* the path now names another file (rotation by rename, as logrotate and Zeek do): the old
  file, still open, is read to its end first, then the new one from its start;
* the same file is shorter than the position (rotation by `copytruncate`): read again from
  the start;
* on a restart, a saved position is used if the path still names the same file (same device
  and inode) and that file is long enough; if the file was rotated while the sensor was
  stopped and is still in the same directory under another name, its rest is read first;
  otherwise the file is read from its start.

The log format is told from the first lines, as for a batch scan; a Zeek TSV file's `#`
header is replayed into the scanner when reading resumes in the middle of the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import NamedTuple

from vigie.sensor.logs.base import Chunk, Hit, Scanner
from vigie.sensor.logs.detect import detect
from vigie.sensor.matcher import IndicatorSet

__all__ = ["Batch", "FollowedLog", "Position"]

HEAD_BYTES = 1 << 16  # read to tell the format, and to find a Zeek header
POLL_BYTES = 8 << 20  # at most this much read per file and poll, so no file starves another
_GZIP_MAGIC = b"\x1f\x8b"


class Position(NamedTuple):
    device: int
    inode: int
    offset: int  # bytes of whole lines already scanned
    line: int  # lines already scanned (the next line is line + 1)
    format: str


@dataclass
class Batch:
    """What one poll found: hits, lines read per log type, the position to store with them,
    and the events a person would want to know of (codes: rotated, truncated,
    restarted_elsewhere, binary_file, compressed_file, unknown_format, missing, unreadable)."""

    hits: list[Hit] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    not_understood: int = 0
    position: Position | None = None
    events: list[str] = field(default_factory=list)

    @property
    def moved(self) -> bool:
        return bool(self.lines) or bool(self.hits) or bool(self.events)


class _Open(NamedTuple):
    fd: int
    device: int
    inode: int


class FollowedLog:
    def __init__(self, path: str, indicators: IndicatorSet, start: Position | None = None):
        self.path = path
        self.indicators = indicators
        self.start = start
        self.file: _Open | None = None
        self.offset = 0
        self.line = 0
        self.scanner: Scanner | None = None
        self.format = ""
        self.refused = ""  # a code when the file is not (yet) a log the sensor can follow

    # Opening, rotation and truncation.

    def _rotated_while_away(self, start: Position) -> str | None:
        """The file last followed, if it is still next to the path under another name
        (`access.log.1`, `dns.2026-12-07.log`...): rotated while the sensor was stopped."""
        folder = os.path.dirname(self.path) or "."
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return None
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) == (start.device, start.inode) and (
                info.st_size >= start.offset
            ):
                return entry.path
        return None

    def _open(self, batch: Batch) -> bool:
        start = self.start
        if start is not None:
            try:
                info = os.stat(self.path)
                moved = (info.st_dev, info.st_ino) != (start.device, start.inode)
            except OSError:
                moved = True
            rotated = self._rotated_while_away(start) if moved else None
            if rotated is not None:
                # Read the rest of the old file first; `poll` then sees the path names
                # another file and moves on to it, as for a rotation seen live.
                self.start = None
                fd = os.open(rotated, os.O_RDONLY)
                self.file = _Open(fd, start.device, start.inode)
                self.offset, self.line = start.offset, start.line
                self.scanner, self.format, self.refused = None, "", ""
                return True
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._refuse("missing", batch)  # not there yet (or between rotations): wait
            return False
        except OSError:
            self._refuse("unreadable", batch)
            return False
        info = os.fstat(fd)
        self.file = _Open(fd, info.st_dev, info.st_ino)
        self.offset, self.line = 0, 0
        self.scanner, self.format, self.refused = None, "", ""
        start, self.start = self.start, None
        if start is not None:
            same = (start.device, start.inode) == (info.st_dev, info.st_ino)
            if same and info.st_size >= start.offset:
                self.offset, self.line = start.offset, start.line
            else:
                batch.events.append("restarted_elsewhere" if not same else "truncated")
        return True

    def _close(self) -> None:
        if self.file is not None:
            os.close(self.file.fd)
            self.file = None

    def close(self) -> None:
        self._close()

    def _replaced(self) -> bool:
        """The path names another file than the one open (or none for now)."""
        if self.file is None:
            return False
        try:
            info = os.stat(self.path)
        except OSError:
            return False  # moved away and not yet recreated: keep reading the old one
        return (info.st_dev, info.st_ino) != (self.file.device, self.file.inode)

    # Telling the format.

    def _detect(self, batch: Batch) -> bool:
        if self.file is None:
            return False
        head = os.pread(self.file.fd, HEAD_BYTES, 0)
        if not head:
            return False
        if head[:2] == _GZIP_MAGIC:
            self._refuse("compressed_file", batch)
            return False
        if b"\x00" in head[:8192]:
            self._refuse("binary_file", batch)
            return False
        cut = head.rfind(b"\n")
        if cut < 0:
            return False  # not one whole line yet
        lines = head[:cut].split(b"\n")
        scanner = detect(lines, self.indicators)
        if scanner is None:
            if len(head) >= HEAD_BYTES or len(lines) >= 200:
                self._refuse("unknown_format", batch)
            return False
        self.scanner, self.format = scanner, scanner.format
        if self.offset > 0 and scanner.format == "zeek-tsv":
            header = []
            for line in lines:
                if not line.startswith(b"#"):
                    break
                header.append(line)
            scanner.scan(header, 1, Chunk())  # the columns, not lines to report again
        return True

    def _refuse(self, code: str, batch: Batch) -> None:
        if self.refused != code:
            batch.events.append(code)
        self.refused = code

    def use(self, indicators: IndicatorSet) -> None:
        """Match against a new indicator set from the next poll on (a pull brought news)."""
        self.indicators = indicators
        self.scanner = None

    # Reading.

    def _read(self, batch: Batch, *, final: bool) -> None:
        """Scan the whole lines after the position; `final`: the file will not grow any
        more (it was rotated away), so a last line without its newline counts too."""
        if self.file is None or (self.scanner is None and not self._detect(batch)):
            return
        scanner = self.scanner
        if scanner is None:
            return
        budget = POLL_BYTES
        while budget > 0:
            data = os.pread(self.file.fd, min(budget, 1 << 20), self.offset)
            if not data:
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                if not final and len(data) < (1 << 20):
                    return  # a line still being written
                cut = len(data)
            lines = data[:cut].split(b"\n")
            out = Chunk()
            scanner.scan(lines, self.line + 1, out)
            batch.hits.extend(out.hits)
            for kind, count in out.lines.items():
                batch.lines[kind] = batch.lines.get(kind, 0) + count
            batch.not_understood += out.not_understood
            self.offset += min(cut + 1, len(data))
            self.line += len(lines)
            budget -= cut + 1

    def poll(self) -> Batch:
        batch = Batch()
        if self.file is None and not self._open(batch):
            return batch
        if self.file is None:
            return batch
        if self._replaced():
            self._read(batch, final=True)
            self._close()
            batch.events.append("rotated")
            if not self._open(batch):
                return batch
        elif os.fstat(self.file.fd).st_size < self.offset:
            batch.events.append("truncated")
            self.offset, self.line, self.scanner, self.refused = 0, 0, None, ""
        if self.refused in ("", "missing", "unreadable"):
            self._read(batch, final=False)
        if self.file is not None:
            batch.position = Position(
                self.file.device, self.file.inode, self.offset, self.line, self.format
            )
        return batch
