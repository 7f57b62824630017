"""`vigie sensor pull`: fetch the indicators the establishment may see into the local store.

    vigie sensor pull [--platform URL] [--organisation SLUG] [--token-file PATH]
                      [--collection ID ...] [--full]
    vigie sensor pull --file PATH [--file PATH ...]

Over TAXII 2.1: discovery, then the API root of the organisation (every root when none is
configured), then its readable collections (or the ones named), each read from where the last
pull stopped (`added_after`), page by page, every page committed with its position, so an
interrupted pull resumes. `--full` forgets those positions and what they brought. `--file`
loads a local STIX, MISP, CSV or plain file instead, replacing what that file loaded before:
for a sensor that cannot reach its platform.

On stderr: per source what was read and what changed, and the position reached. Exit 0 when
every source was read, 1 when one could not be (unreachable, refused, not TAXII), 2 on a usage
or configuration error.
"""

from __future__ import annotations

import argparse
import gzip
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from vigie.engines.indicators import read_indicator_file
from vigie.sensor.config import (
    ConfigError,
    SensorConfig,
    add_platform_options,
    config_error_text,
    config_from_args,
)
from vigie.sensor.i18n import gettext as _
from vigie.sensor.i18n import language
from vigie.sensor.store import IndicatorStore, PageCounts, StoreError
from vigie.sensor.taxii_client import CollectionInfo, TaxiiClient, TaxiiClientError

__all__ = ["register", "run", "store_error_text", "taxii_error_text"]

PAGE_SIZE = 1000  # the most our server sends in one page
PROGRESS_EVERY = 10  # pages between two progress lines on a long pull
PROBLEMS_SHOWN = 20  # per file; the others are counted


def register(actions: Any) -> None:
    """Add the subcommand to the `vigie sensor` parser."""
    pull = actions.add_parser(
        "pull", help=_("Fetch indicators from the platform (TAXII) into the local store.")
    )
    add_platform_options(pull)
    pull.add_argument(
        "--collection",
        action="append",
        metavar="ID",
        help=_("pull only this TAXII collection (repeatable); default: every readable one"),
    )
    pull.add_argument(
        "--file",
        action="append",
        type=Path,
        metavar="PATH",
        help=_("load this indicator file into the store instead of pulling from the platform"),
    )
    pull.add_argument(
        "--full",
        action="store_true",
        help=_("forget what earlier pulls brought and fetch everything again"),
    )
    pull.set_defaults(run=run)


def taxii_error_text(error: TaxiiClientError) -> str:
    params = error.params
    code = error.code
    if code == "http_error" and params.get("status") in (401, 403):
        text = _("the platform refused the token (HTTP %(status)s) at %(url)s")
    else:
        text = {
            "unreachable": _("the platform cannot be reached at %(url)s (%(reason)s)"),
            "http_error": _("the platform answered HTTP %(status)s at %(url)s"),
            "bad_media_type": _("not a TAXII 2.1 answer at %(url)s (%(media_type)s)"),
            "too_large": _("answer larger than %(limit)s bytes at %(url)s"),
            "bad_json": _("the answer is not JSON at %(url)s (%(reason)s)"),
            "bad_envelope": _("the answer is not a TAXII envelope at %(url)s"),
            "too_many_pages": _("more than %(limit)s pages at %(url)s"),
            "bad_scheme": _("the URL must start with http:// or https:// (%(url)s)"),
        }.get(code, code + " (%(url)s)")
    line = text % _Params(params)
    title = params.get("title")
    return f"{line}: {title}" if title and code == "http_error" else line


class _Params(dict[str, Any]):
    """An error's parameters, with `?` for one a message names and the error lacks."""

    def __missing__(self, key: str) -> str:
        return "?"


def store_error_text(error: StoreError) -> str:
    texts = {
        "unreadable": _("the indicator store %(path)s cannot be used (%(reason)s)"),
        "newer_schema": _(
            "the indicator store %(path)s was written by a newer sensor (schema %(version)s)"
        ),
        "failed": _("the indicator store %(path)s failed (%(reason)s)"),
    }
    return texts.get(error.code, error.code) % _Params(error.params)


def _say(err: TextIO, text: str) -> None:
    err.write(f"vigie sensor: {text}\n")
    err.flush()


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    del out  # everything this command says is a report: stderr
    try:
        config = config_from_args(args)
    except ConfigError as error:
        _say(err, config_error_text(error))
        return 2
    if args.file and (args.collection or args.full):
        _say(err, _("--file loads a local file: it cannot be combined with --collection or --full"))
        return 2
    if not args.file and not config.platform:
        _say(
            err,
            _(
                "no platform configured: set VIGIE_SENSOR_PLATFORM or give --platform "
                "(or load a local file with --file)"
            ),
        )
        return 2
    try:
        config.ensure_state_dir()
        store = IndicatorStore.open(config.indicators_path)
    except StoreError as error:
        _say(err, store_error_text(error))
        return 1
    except OSError as error:
        _say(
            err,
            _("the indicator store %(path)s cannot be used (%(reason)s)")
            % {"path": str(config.indicators_path), "reason": error.strerror or str(error)},
        )
        return 1
    with store:
        if args.file:
            # Every file is loaded, even after one that cannot be read.
            loaded = [_pull_file(store, path, err) for path in args.file]
            return 0 if all(loaded) else 1
        return _pull_taxii(store, config, args, err)


# Local files.


def _pull_file(store: IndicatorStore, path: Path, err: TextIO) -> bool:
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        reason = getattr(error, "strerror", None) or str(error)
        _say(err, f"{path}: {_('cannot be read')} ({reason})")
        return False
    read = read_indicator_file(data, path.name)
    for problem in read.problems[:PROBLEMS_SHOWN]:
        where = f":{problem.line}" if problem.line else ""
        params = ", ".join(f"{k}={v}" for k, v in sorted(problem.params.items()))
        _say(err, f"{path}{where}: {problem.code} {params}".rstrip())
    if len(read.problems) > PROBLEMS_SHOWN:
        _say(err, f"{path}: … (+{len(read.problems) - PROBLEMS_SHOWN})")
    if not read.records and read.problems:
        # Not an indicator file after all (bad JSON, not a bundle...): what it loaded last
        # time stays, rather than being replaced by nothing.
        _say(
            err,
            _("%(file)s: no indicator read; the store keeps its previous load") % {"file": path},
        )
        return False
    try:
        counts = store.replace_file(path, read, datetime.now(UTC))
    except StoreError as error:
        _say(err, store_error_text(error))
        return False
    err.write(
        _(
            "%(file)s (%(format)s): %(loaded)s indicators stored (%(expired)s expired), "
            "replacing %(replaced)s from its last load"
        )
        % {
            "file": path,
            "format": read.format,
            "loaded": counts.loaded,
            "expired": counts.expired,
            "replaced": counts.replaced,
        }
        + "\n"
    )
    return True


# TAXII.


def _root_slug(url: str) -> str:
    return urllib.parse.urlsplit(url).path.rstrip("/").rpartition("/")[2]


def _collections(
    client: TaxiiClient, config: SensorConfig, wanted: list[str] | None, err: TextIO
) -> list[CollectionInfo] | None:
    """The collections to pull, or None (said on `err`) when the choice cannot be made."""
    roots = client.api_roots()
    if config.organisation:
        roots = [root for root in roots if _root_slug(root) == config.organisation]
        if not roots:
            _say(
                err,
                _("the platform has no TAXII API root for the organisation %(slug)s at %(url)s")
                % {"slug": config.organisation, "url": client.discovery},
            )
            return None
    found = [c for root in roots for c in client.collections(root)]
    if not wanted:
        return [c for c in found if c.can_read]
    chosen = [c for c in found if c.id in wanted]
    missing = [name for name in wanted if name not in {c.id for c in chosen}]
    if missing:
        _say(
            err,
            _("no such TAXII collection at %(url)s: %(ids)s")
            % {"url": client.discovery, "ids": ", ".join(missing)},
        )
        return None
    return chosen


def _pull_taxii(
    store: IndicatorStore, config: SensorConfig, args: argparse.Namespace, err: TextIO
) -> int:
    client = TaxiiClient(config.taxii_discovery, token=config.token, accept_language=language())
    try:
        collections = _collections(client, config, args.collection, err)
    except TaxiiClientError as error:
        _say(err, taxii_error_text(error))
        return 1
    if collections is None:
        return 1
    status = 0
    for collection in collections:
        # One collection failing (a timeout, a page refused) does not stop the others; what
        # it committed stays, and its next pull resumes there.
        try:
            _pull_collection(store, client, collection, full=args.full, err=err)
        except TaxiiClientError as error:
            _say(err, taxii_error_text(error))
            status = 1
        except StoreError as error:
            _say(err, store_error_text(error))
            return 1
    return status


def _pull_collection(
    store: IndicatorStore,
    client: TaxiiClient,
    collection: CollectionInfo,
    *,
    full: bool,
    err: TextIO,
) -> None:
    source = store.source("taxii", collection.url, collection.title)
    if full:
        source = store.reset(source)
    resumed = source.added_after
    total = PageCounts()
    pages = client.pages(collection, added_after=resumed, limit=PAGE_SIZE)
    for number, found in enumerate(pages, 1):
        counts, source = store.apply_stix_page(
            source,
            found.objects,
            position=found.date_added_last,
            complete=not found.more,
            now=datetime.now(UTC),
        )
        total.add(counts)
        if found.more and number % PROGRESS_EVERY == 0:
            err.write(
                "  "
                + _("%(title)s: %(objects)s objects read so far (up to %(position)s)…")
                % {"title": collection.title, "objects": total.objects, "position": source.position}
                + "\n"
            )
            err.flush()
    err.write(
        _(
            "%(title)s (%(id)s): %(objects)s objects read; indicators added %(added)s, "
            "updated %(updated)s, revoked %(revoked)s, expired %(expired)s, "
            "unchanged %(unchanged)s; position %(position)s"
        )
        % {
            "title": collection.title,
            "id": collection.id,
            "objects": total.objects,
            "added": total.added,
            "updated": total.updated,
            "revoked": total.revoked,
            "expired": total.expired,
            "unchanged": total.unchanged,
            "position": source.position or "-",
        }
        + "\n"
    )
    if total.not_matched or total.invalid:
        err.write(
            "  "
            + _("%(not_matched)s patterns not matchable by value, %(invalid)s objects refused")
            % {"not_matched": total.not_matched, "invalid": total.invalid}
            + "\n"
        )
    err.flush()
