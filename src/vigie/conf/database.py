"""Database settings from `VIGIE_DATABASE_URL`, or the embedded SQLite file under VIGIE_HOME."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from vigie.conf.env import ConfigurationError


def database_from_url(url: str | None, home: Path) -> dict[str, Any]:
    """Django DATABASES["default"] for a URL; None means the embedded SQLite database."""
    if url is None:
        return _sqlite(home / "vigie.sqlite3")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigurationError(
                "VIGIE_DATABASE_URL: the database name is missing "
                "(expected postgres://user:password@host:5432/vigie)"
            )
        options = dict(parse_qsl(parts.query))
        config: dict[str, Any] = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": int(options.pop("conn_max_age", "60")),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
            "ATOMIC_REQUESTS": False,
        }
        return config
    if scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = unquote(parts.path)
        if path.startswith("/"):
            path = path[1:]
        if not path:
            raise ConfigurationError("VIGIE_DATABASE_URL: sqlite URL without a file path")
        return _sqlite(Path(path))
    raise ConfigurationError(
        f"VIGIE_DATABASE_URL: unsupported scheme {scheme!r} (use postgres:// or sqlite:///)"
    )


def _sqlite(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # WAL lets the web server read while the worker writes; IMMEDIATE transactions avoid
        # "database is locked" upgrades from read to write locks in the middle of a transaction.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
    }
