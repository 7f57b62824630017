"""Environment readers, database URLs, secret keys and the system checks that guard them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from vigie.conf.database import database_from_url
from vigie.conf.env import ConfigurationError, env_bool, env_int, env_list, env_str
from vigie.conf.secret_key import is_insecure, load_or_generate


def test_bool_accepts_common_spellings_and_rejects_others() -> None:
    assert env_bool("X", environ={"X": "yes"}) is True
    assert env_bool("X", environ={"X": "0"}) is False
    assert env_bool("X", default=True, environ={}) is True
    with pytest.raises(ConfigurationError, match="X='maybe'"):
        env_bool("X", environ={"X": "maybe"})


def test_int_names_the_variable_and_the_bounds() -> None:
    with pytest.raises(ConfigurationError, match="PORT='eighty': expected a whole number"):
        env_int("PORT", 1, environ={"PORT": "eighty"})
    with pytest.raises(ConfigurationError, match="must be at least 1"):
        env_int("PORT", 1, minimum=1, environ={"PORT": "0"})


def test_list_splits_on_commas_and_spaces() -> None:
    assert env_list("H", [], environ={"H": "a.example, b.example c.example"}) == [
        "a.example",
        "b.example",
        "c.example",
    ]


def test_secret_may_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    assert env_str("K", environ={"K_FILE": str(secret)}) == "from-a-file"
    with pytest.raises(ConfigurationError, match="cannot read"):
        env_str("K", environ={"K_FILE": str(tmp_path / "missing")})


def test_postgres_url_becomes_django_settings() -> None:
    config = database_from_url(
        "postgres://vigie:p%40ss@db.example:5433/vigie?sslmode=require", Path(".")
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "vigie",
        "vigie",
        "p@ss",
        "db.example",
        "5433",
    )
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_unsupported_database_url_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="unsupported scheme 'mysql'"):
        database_from_url("mysql://x/y", Path("."))
    with pytest.raises(ConfigurationError, match="database name is missing"):
        database_from_url("postgres://host/", Path("."))


def test_embedded_default_is_sqlite_under_vigie_home(tmp_path: Path) -> None:
    config = database_from_url(None, tmp_path)
    assert config["NAME"] == str(tmp_path / "vigie.sqlite3")


def test_generated_secret_key_is_private_and_stable(tmp_path: Path) -> None:
    key = load_or_generate(tmp_path)
    assert len(key) >= 50
    assert not is_insecure(key)
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    assert load_or_generate(tmp_path) == key


@pytest.mark.parametrize("key", ["django-insecure-abc" * 5, "changeme", "a" * 60])
def test_default_or_weak_keys_are_insecure(key: str) -> None:
    assert is_insecure(key)


def _ids(**overrides: object) -> set[str]:
    with override_settings(**overrides):
        return {
            message.id for message in run_checks() if message.id and message.id.startswith("vigie")
        }


def test_checks_refuse_a_missing_key_when_debug_is_off() -> None:
    assert "vigie.E001" in _ids(DEBUG=False, VIGIE_SECRET_KEY_MISSING=True)


def test_checks_refuse_a_default_key_when_debug_is_off() -> None:
    assert "vigie.E002" in _ids(
        DEBUG=False, VIGIE_SECRET_KEY_MISSING=False, SECRET_KEY="django-insecure-" + "x" * 50
    )
    assert "vigie.E002" not in _ids(DEBUG=True, SECRET_KEY="django-insecure-" + "x" * 50)


def test_checks_refuse_wildcard_hosts_and_a_fast_hasher_in_production() -> None:
    assert "vigie.E003" in _ids(DEBUG=False, ALLOWED_HOSTS=["*"])
    assert "vigie.E004" in _ids(VIGIE_TESTING=False)


def test_checks_warn_about_default_mail_settings_in_production() -> None:
    ids = _ids(
        DEBUG=False,
        VIGIE_EMBEDDED=False,
        VIGIE_TESTING=False,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        DEFAULT_FROM_EMAIL="Vigie <vigie@localhost>",
    )
    assert {"vigie.W004", "vigie.W005"} <= ids
