"""Reading a log file in chunks of whole lines: plain or gzip (told by the magic bytes, not
the name), binary files refused, and a truncated `.gz` read up to where it stops.

Gzip streams are read with `read1`, so a stream cut short loses only the piece being
decompressed when the cut is met: every line before it has been scanned.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path

__all__ = ["CHUNK_BYTES", "LogReadError", "chunks", "open_log"]

CHUNK_BYTES = 1 << 20
PIECE_BYTES = 1 << 16
MAX_LINE_BYTES = 1 << 20  # a "line" longer than this is cut there (a binary blob, no newline)
_GZIP_MAGIC = b"\x1f\x8b"


class LogReadError(Exception):
    """`code`: unreadable, binary_file, truncated_gzip, bad_gzip; params say where."""

    def __init__(self, code: str, **params: str | int) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def open_log(path: Path) -> io.BufferedIOBase:
    try:
        raw = path.open("rb")
    except OSError as error:
        raise LogReadError("unreadable", reason=error.strerror or str(error)) from None
    if raw.read(2) == _GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw, mode="rb")
    raw.seek(0)
    return raw


def _pieces(stream: io.BufferedIOBase, where: list[int]) -> Iterator[bytes]:
    read1 = getattr(stream, "read1", stream.read)
    while True:
        try:
            piece = read1(PIECE_BYTES)
        except EOFError:
            raise LogReadError("truncated_gzip", line=where[0]) from None
        except (gzip.BadGzipFile, zlib.error):
            raise LogReadError("bad_gzip", line=where[0]) from None
        except OSError as error:
            raise LogReadError("unreadable", reason=error.strerror or str(error)) from None
        if not piece:
            return
        yield piece


def chunks(stream: io.BufferedIOBase) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, lines) for each chunk, newlines removed. A file whose
    first bytes hold a NUL is refused as binary (`LogReadError`)."""
    where = [1]  # the line being read, for the error of a stream cut short
    rest = b""
    pending: list[bytes] = []
    size = 0
    checked = False
    failure: LogReadError | None = None
    pieces = _pieces(stream, where)
    while True:
        try:
            piece = next(pieces)
        except StopIteration:
            break
        except LogReadError as error:
            failure = error  # scan what came before the fault, then report it
            break
        if not checked:
            if b"\x00" in (rest + piece)[:8192]:
                raise LogReadError("binary_file")
            checked = True
        pending.append(piece)
        size += len(piece)
        if size < CHUNK_BYTES:
            continue
        data = rest + b"".join(pending)
        pending, size = [], 0
        cut = data.rfind(b"\n")
        if cut < 0:
            if len(data) < MAX_LINE_BYTES:
                rest = data
                continue
            cut = len(data)
        lines = data[:cut].split(b"\n")
        rest = data[cut + 1 :]
        yield where[0], lines
        where[0] += len(lines)
    data = rest + b"".join(pending)
    if data:
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        yield where[0], lines
        where[0] += len(lines)
    if failure is not None:
        failure.params["line"] = where[0]
        raise failure
