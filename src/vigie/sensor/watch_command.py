"""`vigie sensor watch`: follow live logs and report sightings to the platform within seconds.

    vigie sensor watch [--indicators PATH ...] [--platform URL] [--organisation SLUG]
                       [--token-file PATH] [--interval SECONDS] [--once] [--dry-run]
                       [--format jsonl|table|none] LOG [LOG ...]

Each poll reads the new whole lines of every log (`follow.FollowedLog`), and stores in ONE
transaction of the local queue the sightings found (aggregated per indicator and log type:
count, first and last seen; never a log line) and the position reached in the file. So a
kill -9 at any moment loses nothing and counts nothing twice: lines after the stored
position are read again, and the sightings before it are already queued. A sender thread
sends what is queued, with idempotency keys and backoff, while the platform is reachable.

Indicators come from `--indicators` files, or else from the store `vigie sensor pull`
fills, reloaded when a pull changes it. SIGTERM or SIGINT ends the watch after the poll under
way (exit 0).
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from types import FrameType
from typing import Any, TextIO

from vigie.sensor.config import (
    ConfigError,
    SensorConfig,
    add_platform_options,
    config_error_text,
    config_from_args,
)
from vigie.sensor.follow import Batch, FollowedLog, Position
from vigie.sensor.i18n import gettext as _
from vigie.sensor.logs.base import Hit
from vigie.sensor.matcher import IndicatorSet
from vigie.sensor.output import aggregate, describe, hit_writer
from vigie.sensor.queue import SightingQueue
from vigie.sensor.sender import send_due
from vigie.sensor.sources import add_indicator_options, add_warning_list_options, load_for_matching

__all__ = ["register", "run"]

STORE_CHECK_SECONDS = 30.0  # how often the indicator store is checked for a new pull
SUMMARY_SECONDS = 60.0  # how often a summary line is written on stderr


def register(actions: Any) -> None:
    watch: argparse.ArgumentParser = actions.add_parser(
        "watch", help=_("Follow live logs and report sightings to the platform.")
    )
    add_indicator_options(watch, required=False)
    add_warning_list_options(watch)
    add_platform_options(watch)
    watch.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help=_("seconds between two reads of the logs"),
    )
    watch.add_argument(
        "--once",
        action="store_true",
        help=_("read what the logs hold now, send, and stop"),
    )
    watch.add_argument(
        "--dry-run",
        action="store_true",
        help=_("show the sightings that would be sent, queue and send nothing"),
    )
    watch.add_argument("--format", choices=("jsonl", "table", "none"), default="jsonl")
    watch.add_argument("logs", nargs="+", metavar="LOG")
    watch.set_defaults(run=run)


def _event_text(code: str) -> str:
    texts = {
        "rotated": _("rotated: the old file was read to its end, the new one is followed"),
        "truncated": _("truncated: read again from the start"),
        "restarted_elsewhere": _("not the file last followed: read from its start"),
        "binary_file": _("binary file, not a log: not followed"),
        "compressed_file": _("compressed file: scan it with vigie sensor scan"),
        "unknown_format": _("no line in a log format the sensor reads: not followed"),
        "missing": _("does not exist (yet): waiting for it"),
        "unreadable": _("cannot be read: waiting"),
    }
    return texts.get(code, code)


class _Sender(threading.Thread):
    """Sends what is queued, at once when woken, else every few seconds (the backoff of
    each sighting decides whether it is due). Its own connection: SQLite's are per thread."""

    def __init__(self, config: SensorConfig, err: TextIO) -> None:
        super().__init__(name="vigie-sensor-sender", daemon=True)
        self.config = config
        self.err = err
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.last_stop_code = ""

    def run(self) -> None:
        queue = SightingQueue(self.config.queue_path)
        try:
            while not self.stopping.is_set():
                self._round(queue)
                self.wake.wait(5.0)
                self.wake.clear()
            self._round(queue)  # what the last poll queued
        finally:
            queue.close()

    def _round(self, queue: SightingQueue) -> None:
        report = send_due(queue, self.config)
        if report.sent or report.rejected:
            self.err.write(
                _("Sent %(sent)s sightings (%(rejected)s refused by the platform)")
                % {"sent": report.sent, "rejected": report.rejected}
                + "\n"
            )
        code = report.stopped_code or ""
        if code and code != self.last_stop_code:
            self.err.write(
                "vigie sensor: "
                + _("sending paused (%(code)s): sightings stay queued") % {"code": code}
                + "\n"
            )
        self.last_stop_code = code


class _Watch:
    def __init__(self, args: argparse.Namespace, config: SensorConfig, out: TextIO, err: TextIO):
        self.args, self.config, self.out, self.err = args, config, out, err
        self.stop = threading.Event()
        self.indicators = IndicatorSet()
        self.store_stamp = 0.0
        self.followers: list[FollowedLog] = []
        self.queue: SightingQueue | None = None
        self.sender: _Sender | None = None
        self.totals = {"lines": 0, "hits": 0}

    def _store_stamp(self) -> float:
        try:
            return self.config.indicators_path.stat().st_mtime
        except OSError:
            return 0.0

    def load(self) -> bool:
        self.store_stamp = self._store_stamp()
        indicators, ok = load_for_matching(self.args, self.config, self.err)
        self.indicators = indicators
        for follower in self.followers:
            follower.use(indicators)
        return ok

    def _write_hits(self, path: str, hits: list[Hit]) -> None:
        if self.args.format != "none" and hits:
            hit_writer(self.args.format, self.out, path, self.indicators)(hits)
            self.out.flush()

    def _record(self, follower: FollowedLog, batch: Batch) -> None:
        for code in batch.events:
            self.err.write(f"vigie sensor: {follower.path}: {_event_text(code)}\n")
        self._write_hits(follower.path, batch.hits)
        self.totals["lines"] += sum(batch.lines.values())
        self.totals["hits"] += len(batch.hits)
        if self.args.dry_run:
            for item in aggregate(batch.hits, self.indicators, time.time()):
                self.err.write(_("would send: %(item)s") % {"item": describe(item)} + "\n")
            return
        if self.queue is None or batch.position is None:
            return
        position = batch.position
        with self.queue.transaction() as conn:
            if batch.hits:
                self.queue.enqueue(aggregate(batch.hits, self.indicators, time.time()), conn)
            self.queue.save_position(
                conn,
                follower.path,
                position.device,
                position.inode,
                position.offset,
                position.line,
                position.format,
            )
        if batch.hits and self.sender is not None:
            self.sender.wake.set()

    def poll(self) -> None:
        for follower in self.followers:
            batch = follower.poll()
            if batch.moved:
                self._record(follower, batch)

    def run(self) -> int:
        if not self.load() and self.args.indicators:
            return 1
        if not self.args.dry_run:
            self.config.ensure_state_dir()
            self.queue = SightingQueue(self.config.queue_path)
        saved: dict[str, Position] = {}
        if self.queue is not None:
            saved = {
                path: Position(p.device, p.inode, p.offset, p.line, p.format)
                for path, p in self.queue.positions().items()
            }
        self.followers = [
            FollowedLog(path, self.indicators, saved.get(path)) for path in self.args.logs
        ]
        if self.queue is not None and self.config.can_send:
            self.sender = _Sender(self.config, self.err)
            self.sender.start()
        elif not self.args.dry_run:
            self.err.write(
                _("No platform configured: sightings are queued here until one is.") + "\n"
            )
        last_summary = last_check = time.monotonic()
        try:
            while True:
                self.poll()
                if self.args.once or self.stop.is_set():
                    break
                now = time.monotonic()
                if not self.args.indicators and now - last_check >= STORE_CHECK_SECONDS:
                    last_check = now
                    if self._store_stamp() != self.store_stamp:
                        self.load()
                if now - last_summary >= SUMMARY_SECONDS:
                    last_summary = now
                    self._summary()
                self.stop.wait(self.args.interval)
        finally:
            for follower in self.followers:
                follower.close()
            if self.sender is not None:
                self.sender.stopping.set()
                self.sender.wake.set()
                self.sender.join(timeout=30.0)
            if self.queue is not None:
                self.queue.close()
        self._summary()
        return 0

    def _summary(self) -> None:
        self.err.write(
            _("Watching %(files)s logs: %(lines)s lines read, %(hits)s sightings")
            % {
                "files": len(self.followers),
                "lines": self.totals["lines"],
                "hits": self.totals["hits"],
            }
            + "\n"
        )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        config = config_from_args(args)
    except ConfigError as error:
        err.write(f"vigie sensor: {config_error_text(error)}\n")
        return 2
    if args.interval <= 0:
        err.write("vigie sensor: " + _("--interval must be more than 0 seconds") + "\n")
        return 2
    watch = _Watch(args, config, out, err)

    def stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        watch.stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    return watch.run()
