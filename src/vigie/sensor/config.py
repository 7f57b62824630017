"""Where the sensor keeps its state and how it reaches its platform.

Everything comes from the environment (or the command line), because the sensor runs as a
service on the establishment's machine:

* `VIGIE_HOME` (default `./var`): the sensor's files live in `VIGIE_HOME/sensor/`
  (`indicators.sqlite3`: indicators pulled; `queue.sqlite3`: sightings waiting to be sent
  and the positions reached in watched logs);
* `VIGIE_SENSOR_PLATFORM`: the platform's base URL, e.g. `https://vigie.example.org`;
* `VIGIE_SENSOR_ORGANISATION`: the establishment's slug on the platform;
* `VIGIE_SENSOR_TOKEN` or `VIGIE_SENSOR_TOKEN_FILE`: an API token of a member of the
  establishment (a file is preferred: a token in a command line shows in `ps`).

A sensor with no platform configured still scans; it then sends nothing.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vigie.sensor.i18n import gettext as _

__all__ = [
    "ConfigError",
    "SensorConfig",
    "add_platform_options",
    "config_error_text",
    "config_from_args",
]


class ConfigError(Exception):
    """`code`: token_file_unreadable, bad_platform_url."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class SensorConfig:
    home: Path
    platform: str = ""  # base URL, no trailing slash
    organisation: str = ""
    token: str = ""

    @property
    def state_dir(self) -> Path:
        return self.home / "sensor"

    @property
    def indicators_path(self) -> Path:
        return self.state_dir / "indicators.sqlite3"

    @property
    def queue_path(self) -> Path:
        return self.state_dir / "queue.sqlite3"

    @property
    def can_send(self) -> bool:
        return bool(self.platform and self.organisation and self.token)

    @property
    def taxii_discovery(self) -> str:
        return f"{self.platform}/taxii2/"

    @property
    def sightings_url(self) -> str:
        return f"{self.platform}/api/v1/organisations/{self.organisation}/sightings"

    def ensure_state_dir(self) -> Path:
        # The state holds indicators shared under TLP and what was seen: owner only.
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.state_dir

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        platform: str | None = None,
        organisation: str | None = None,
        token_file: str | None = None,
    ) -> SensorConfig:
        env = os.environ if environ is None else environ
        home = Path(env.get("VIGIE_HOME") or Path.cwd() / "var")
        base = platform if platform is not None else env.get("VIGIE_SENSOR_PLATFORM", "")
        base = base.strip().rstrip("/")
        if base and not base.lower().startswith(("http://", "https://")):
            raise ConfigError("bad_platform_url", url=base)
        token = env.get("VIGIE_SENSOR_TOKEN", "").strip()
        path = token_file if token_file is not None else env.get("VIGIE_SENSOR_TOKEN_FILE", "")
        if path:
            try:
                token = Path(path).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                raise ConfigError(
                    "token_file_unreadable", path=path, reason=str(error)[:200]
                ) from None
        slug = (
            organisation if organisation is not None else env.get("VIGIE_SENSOR_ORGANISATION", "")
        )
        return cls(home=home, platform=base, organisation=slug.strip(), token=token)


def add_platform_options(parser: argparse.ArgumentParser) -> None:
    """The options that name the platform, for the commands that talk to it (the environment
    gives the defaults; the token is read from a file, never from the command line)."""
    parser.add_argument("--platform", metavar="URL", help=_("the platform's base URL"))
    parser.add_argument(
        "--organisation", metavar="SLUG", help=_("the establishment's slug on the platform")
    )
    parser.add_argument(
        "--token-file", metavar="PATH", help=_("file holding the API token of a member")
    )


def config_from_args(args: argparse.Namespace) -> SensorConfig:
    return SensorConfig.from_env(
        platform=getattr(args, "platform", None),
        organisation=getattr(args, "organisation", None),
        token_file=getattr(args, "token_file", None),
    )


def config_error_text(error: ConfigError) -> str:
    texts = {
        "token_file_unreadable": _("the token file %(path)s cannot be read (%(reason)s)"),
        "bad_platform_url": _("the platform URL must start with http:// or https:// (%(url)s)"),
    }
    return texts.get(error.code, error.code) % error.params
