"""`vigie sensor backups`: read a backup repository's state and send it to the platform.

    vigie sensor backups --tool restic|borg --repository REPO --set ID
                         [--check] [--platform URL] [--organisation SLUG] [--token-file PATH]

Runs `restic snapshots --json` (and `restic check` with --check) or `borg info --json --last
50` (`borg check`), then posts each output to
`POST /api/v1/organisations/{slug}/backups/{set}/status`. The repository's password is never
on the command line: restic reads RESTIC_PASSWORD_FILE (or RESTIC_PASSWORD_COMMAND), borg
BORG_PASSCOMMAND or BORG_PASSPHRASE, from the sensor's environment, passed on to the tool as
they are; nothing of them is logged. borg runs with TZ=UTC so that its times, written without
a zone, are UTC. Exit status 0 when every output was accepted, 1 when a tool failed to run or
the platform refused or could not be reached, 2 on a usage or configuration error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, TextIO

from vigie.sensor.config import (
    ConfigError,
    SensorConfig,
    add_platform_options,
    config_error_text,
    config_from_args,
)
from vigie.sensor.i18n import gettext as _

__all__ = ["commands_for", "register", "run"]

TOOL_TIMEOUT_S = 3600
MAX_OUTPUT_BYTES = 8 * 1024 * 1024
USER_AGENT = "vigie-sensor"


def register(actions: Any) -> None:
    parser: argparse.ArgumentParser = actions.add_parser(
        "backups", help=_("Send a backup repository's snapshots and checks to the platform.")
    )
    parser.add_argument("--tool", choices=("restic", "borg"), required=True)
    parser.add_argument(
        "--repository", required=True, metavar="REPO", help=_("the repository (path or URL)")
    )
    parser.add_argument(
        "--set",
        dest="set_id",
        type=int,
        required=True,
        metavar="ID",
        help=_("the backup set's number on the platform"),
    )
    parser.add_argument(
        "--check", action="store_true", help=_("also run the integrity check and send it")
    )
    add_platform_options(parser)
    parser.set_defaults(run=run)


def commands_for(tool: str, repository: str, check: bool) -> list[tuple[str, list[str]]]:
    """(kind, argv) of each command to run: the repository is an argument, never a secret."""
    if tool == "restic":
        commands = [("snapshots", ["restic", "--repo", repository, "snapshots", "--json"])]
        if check:
            commands.append(("check", ["restic", "--repo", repository, "check"]))
        return commands
    commands = [("info", ["borg", "info", "--json", "--last", "50", repository])]
    if check:
        commands.append(("check", ["borg", "check", repository]))
    return commands


def _tool_env(tool: str) -> dict[str, str]:
    env = dict(os.environ)
    if tool == "borg":
        env["TZ"] = "UTC"
    return env


class _Headers(urllib.request.BaseHandler):
    """Sets the request's headers before urllib's defaults (it would label a body
    `application/x-www-form-urlencoded`)."""

    handler_order = 100

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers

    def http_request(self, request: urllib.request.Request) -> urllib.request.Request:
        for name, value in self.headers.items():
            request.add_unredirected_header(name, value)
        return request

    https_request = http_request


def _post(config: SensorConfig, set_id: int, body: dict[str, Any]) -> tuple[int, str]:
    url = (
        f"{config.platform}/api/v1/organisations/"
        f"{urllib.parse.quote(config.organisation)}/backups/{set_id}/status"
    )
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": f"Bearer {config.token}",
        "User-Agent": USER_AGENT,
    }
    # http and https only, no redirection followed (a POST would become a GET).
    opener = urllib.request.OpenerDirector()
    for handler in (
        _Headers(headers),
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    try:
        with opener.open(url, data=json.dumps(body).encode(), timeout=60) as response:
            return int(response.status), response.read(1 << 20).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(1 << 20).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return 0, ""


def _answer_text(status: int, raw: str) -> str:
    try:
        body = json.loads(raw or "{}")
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        fields = error.get("fields") or {}
        details = "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}"
            for name, messages in fields.items()
            if isinstance(messages, list)
        )
        return f"{error.get('message', '')} {details}".strip()[:500]
    if status == 0:
        return _("the platform cannot be reached")
    return f"HTTP {status}"


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        config = config_from_args(args)
    except ConfigError as error:
        err.write(f"vigie sensor: {config_error_text(error)}\n")
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
    ok = True
    for kind, argv in commands_for(args.tool, args.repository, args.check):
        try:
            done = subprocess.run(
                argv,
                env=_tool_env(args.tool),
                capture_output=True,
                timeout=TOOL_TIMEOUT_S,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            err.write(
                "vigie sensor: "
                + _("%(tool)s could not be run (%(reason)s)")
                % {"tool": args.tool, "reason": type(error).__name__}
                + "\n"
            )
            ok = False
            continue
        output = done.stdout if kind != "check" else done.stdout + done.stderr
        if kind != "check" and done.returncode != 0:
            # The tool's own message (never the password: the tools do not print it).
            err.write(
                f"vigie sensor: {args.tool} {kind}: "
                + _("exit status %(code)s") % {"code": done.returncode}
                + f": {done.stderr.decode('utf-8', 'replace').strip()[-300:]}\n"
            )
            ok = False
            continue
        body = {
            "tool": args.tool,
            "kind": kind,
            "output": output[-MAX_OUTPUT_BYTES:].decode("utf-8", "replace"),
            "exit_code": done.returncode if kind == "check" else None,
            "source": "sensor",
        }
        status, raw = _post(config, args.set_id, body)
        if 200 <= status < 300:
            answer = json.loads(raw or "{}")
            out.write(
                _(
                    "%(kind)s sent: %(new)s new snapshots, %(known)s already known, "
                    "%(checks)s checks"
                )
                % {
                    "kind": kind,
                    "new": answer.get("snapshots_new", 0),
                    "known": answer.get("snapshots_known", 0),
                    "checks": answer.get("checks", 0),
                }
                + "\n"
            )
        else:
            err.write(f"vigie sensor: {kind}: {_answer_text(status, raw)}\n")
            ok = False
    return 0 if ok else 1
