"""Typed readers for environment variables that fail loudly.

Every setting of the platform comes from the environment through these helpers. A variable
`NAME_FILE` may hold the path of a file whose content is the value (Docker/Kubernetes secrets),
so secrets never have to sit in the process environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


class ConfigurationError(RuntimeError):
    """A setting is present but unusable; the message names the variable and what is expected."""


def _raw(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    file_name = env.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                f"{name}_FILE={file_name}: cannot read the file ({exc.strerror})"
            ) from exc
    value = env.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None else value


def env_optional(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    return _raw(name, environ)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{name}={value!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r}: expected a whole number") from None
    if minimum is not None and number < minimum:
        raise ConfigurationError(f"{name}={number}: must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ConfigurationError(f"{name}={number}: must be at most {maximum}")
    return number


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """A comma- or space-separated list."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item for item in value.replace(",", " ").split() if item]


def env_choice(
    name: str, default: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered not in choices:
        raise ConfigurationError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return lowered


def env_path(name: str, default: Path, environ: Mapping[str, str] | None = None) -> Path:
    value = _raw(name, environ)
    return (Path(value) if value is not None else default).expanduser().resolve()
