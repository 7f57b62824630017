"""`python -m vigie.sensor scan ...`: the sensor without any installed script."""

from vigie.sensor.cli import main

raise SystemExit(main())
