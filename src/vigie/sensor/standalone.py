"""`vigie` where only the sensor is installed (the `vigie-sensor` distribution): the same
`vigie sensor ...` command lines as on the platform, so scripts work on both; any other
command says that this machine has the sensor only."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from vigie.sensor.cli import main as sensor_main
from vigie.sensor.i18n import gettext as _

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["sensor"]:
        return sensor_main(given[1:])
    if given[:1] in (["--help"], ["-h"], []):
        sys.stdout.write("usage: vigie sensor {scan,pull,watch,send,status} ...\n")
        return 0 if given else 2
    sys.stderr.write(
        "vigie: " + _("only the sensor is installed on this machine: use vigie sensor ...") + "\n"
    )
    return 2
