"""`vigie sensor send` and `vigie sensor status`.

    vigie sensor send [--platform URL] [--organisation SLUG] [--token-file PATH]
    vigie sensor status

`send` sends what is due in the local queue now (for cron after a `scan`, or to flush after
an outage; `watch` sends by itself): exit 0 when nothing due stayed behind, 1 when some
sightings stay queued (the platform away, the token refused), 2 when no platform is
configured. `status` shows the queue per state, its oldest sighting waiting, the last error,
and each log `watch` follows with the position reached.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any, TextIO

from vigie.sensor.config import (
    ConfigError,
    SensorConfig,
    add_platform_options,
    config_error_text,
    config_from_args,
)
from vigie.sensor.i18n import gettext as _
from vigie.sensor.queue import SightingQueue
from vigie.sensor.sender import KEEP_SENT_S, SendReport, send_due

__all__ = ["error_text", "register", "run", "run_send", "run_status"]


def register(actions: Any) -> None:
    send: argparse.ArgumentParser = actions.add_parser(
        "send", help=_("Send the sightings queued on this machine now.")
    )
    add_platform_options(send)
    send.set_defaults(run=run_send)
    status: argparse.ArgumentParser = actions.add_parser(
        "status", help=_("Show the sensor's queue and the logs it follows.")
    )
    add_platform_options(status)
    status.set_defaults(run=run_status)


def error_text(code: str) -> str:
    """A sender's or the platform's error code, in words (the code itself when unknown)."""
    texts = {
        "unreachable": _("the platform cannot be reached"),
        "timeout": _("the platform did not answer in time"),
        "bad_scheme": _("the platform URL must start with http:// or https://"),
        "http_401": _("the token was refused (401): check the token file"),
        "unauthenticated": _("the token was refused (401): check the token file"),
        "http_403": _("the token's owner may not report sightings for this establishment"),
        "forbidden": _("the token's owner may not report sightings for this establishment"),
        "http_404": _("no such establishment on the platform: check VIGIE_SENSOR_ORGANISATION"),
        "not_found": _("no such establishment on the platform: check VIGIE_SENSOR_ORGANISATION"),
        "http_429": _("the platform asked to slow down"),
        "idempotency_key_reused": _("the platform already has another report under this key"),
        "insufficient_scope": _("the token is read-only: make one with --scope write"),
        "too_many_requests": _("the platform asked to slow down"),
        "invalid": _("the platform refused the sighting as invalid"),
    }
    if code in texts:
        return texts[code]
    if code.startswith("http_5"):
        return _("the platform failed (%(code)s)") % {"code": code}
    return code


def _config(args: argparse.Namespace, err: TextIO) -> SensorConfig | None:
    try:
        return config_from_args(args)
    except ConfigError as error:
        err.write(f"vigie sensor: {config_error_text(error)}\n")
        return None


def describe_report(report: SendReport) -> str:
    return _(
        "Sent %(sent)s sightings (%(replayed)s already known to the platform), "
        "%(rejected)s refused, %(left)s still queued"
    ) % {
        "sent": report.sent,
        "replayed": report.replayed,
        "rejected": report.rejected,
        "left": report.retry,
    }


SEND_BATCH = 500


def _send_all_due(queue: SightingQueue, config: SensorConfig) -> SendReport:
    """Rounds of `send_due` while full rounds go through (a queue filled by a long outage
    holds more than one round); the sum of them."""
    rounds = [send_due(queue, config, limit=SEND_BATCH)]
    while (
        rounds[-1].due >= SEND_BATCH
        and not rounds[-1].stopped_code
        and rounds[-1].sent + rounds[-1].rejected > 0
    ):
        rounds.append(send_due(queue, config, limit=SEND_BATCH))
    last = rounds[-1]
    return SendReport(
        sent=sum(r.sent for r in rounds),
        replayed=sum(r.replayed for r in rounds),
        retry=sum(r.retry for r in rounds),
        rejected=sum(r.rejected for r in rounds),
        stopped_code=last.stopped_code,
        stopped_status=last.stopped_status,
        tried=sum(r.tried for r in rounds),
        due=sum(r.due for r in rounds),
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The interface of the `vigie sensor` subcommand modules: `send`."""
    return run_send(args, out, err)


def run_send(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    del out
    config = _config(args, err)
    if config is None:
        return 2
    if not config.can_send:
        err.write(
            "vigie sensor: "
            + _(
                "no platform configured: set VIGIE_SENSOR_PLATFORM, VIGIE_SENSOR_ORGANISATION "
                "and VIGIE_SENSOR_TOKEN_FILE"
            )
            + "\n"
        )
        return 2
    if not config.queue_path.exists():
        err.write(_("Nothing queued.") + "\n")
        return 0
    with SightingQueue(config.queue_path) as queue:
        report = _send_all_due(queue, config)
    err.write(describe_report(report) + "\n")
    if report.stopped_code:
        err.write(
            "vigie sensor: "
            + _("sending paused: %(reason)s; the sightings stay queued")
            % {"reason": error_text(report.stopped_code)}
            + "\n"
        )
    return 1 if report.retry else 0


def _when(moment: float | None) -> str:
    if moment is None:
        return "-"
    return datetime.fromtimestamp(moment).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def run_status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config = _config(args, err)
    if config is None:
        return 2
    platform = config.platform or _("none configured")
    out.write(_("Platform: %(platform)s") % {"platform": platform} + "\n")
    if config.platform and not config.can_send:
        out.write("  " + _("incomplete: the establishment's slug or the token is missing") + "\n")
    if not config.queue_path.exists():
        out.write(_("Queue: empty (nothing was ever queued here)") + "\n")
        return 0
    with SightingQueue(config.queue_path) as queue:
        summary = queue.summary()
        positions = queue.positions()
    counts = summary.counts
    out.write(
        _("Queue: %(pending)s waiting, %(sent)s sent (last %(days)s days), %(rejected)s refused")
        % {
            "pending": counts.get("pending", 0),
            "sent": counts.get("sent", 0),
            "rejected": counts.get("rejected", 0),
            "days": int(KEEP_SENT_S // 86400),
        }
        + "\n"
    )
    if summary.oldest_pending is not None:
        out.write(
            "  "
            + _("oldest waiting since %(when)s; next attempt %(next)s")
            % {"when": _when(summary.oldest_pending), "next": _when(summary.next_attempt)}
            + "\n"
        )
    if summary.last_sent_at is not None:
        out.write("  " + _("last sent %(when)s") % {"when": _when(summary.last_sent_at)} + "\n")
    if summary.last_error:
        out.write(
            "  "
            + _("last error %(when)s: %(reason)s")
            % {"when": _when(summary.last_error_at), "reason": error_text(summary.last_error)}
            + "\n"
        )
    if positions:
        out.write(_("Logs followed:") + "\n")
    now = time.time()
    for path, position in positions.items():
        out.write(
            "  "
            + _("%(path)s (%(format)s): line %(line)s, byte %(offset)s, read %(ago)s s ago")
            % {
                "path": path,
                "format": position.format or "?",
                "line": position.line,
                "offset": position.offset,
                "ago": int(max(0.0, now - position.updated_at)),
            }
            + "\n"
        )
    return 0
