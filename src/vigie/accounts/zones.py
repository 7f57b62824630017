"""Time zones people read dates in: France's, overseas territories included.

A hospital in Réunion or Guadeloupe reads its deadlines at its own clock: pages activate the
signed-in user's zone (UserTimeZoneMiddleware) and messages render in the recipient's
(`zone_of`), so "lundi 7 décembre, 14:19" means the same instant everywhere.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Metropolitan France first, then the overseas departments and collectivities.
TIME_ZONES = [
    ("Europe/Paris", _("Metropolitan France (Paris)")),
    ("America/Guadeloupe", _("Guadeloupe")),
    ("America/Martinique", _("Martinique")),
    ("America/Cayenne", _("French Guiana (Cayenne)")),
    ("Indian/Reunion", _("Réunion")),
    ("Indian/Mayotte", _("Mayotte")),
    ("America/Miquelon", _("Saint-Pierre-et-Miquelon")),
    ("Pacific/Noumea", _("New Caledonia (Nouméa)")),
    ("Pacific/Tahiti", _("French Polynesia (Tahiti)")),
    ("Pacific/Wallis", _("Wallis and Futuna")),
    ("UTC", _("UTC")),
]
ZONE_NAMES = frozenset(name for name, _label in TIME_ZONES)


def zone_of(user: object) -> zoneinfo.ZoneInfo:
    """The zone a person reads dates in: theirs when valid, otherwise the platform's."""
    name = getattr(user, "time_zone", "") or settings.TIME_ZONE
    if name not in ZONE_NAMES:
        name = settings.TIME_ZONE
    return zoneinfo.ZoneInfo(name)


@contextmanager
def reading_as(user: object) -> Iterator[None]:
    """Render dates (templates, `timezone.localtime`) in `user`'s zone inside the block."""
    with timezone.override(zone_of(user)):
        yield
