"""Vulnerability feed readers and downloaders (framework-free).

Reading (format recognised from content; `.gz` read transparently):
    load_feeds(paths) / load_feed_file(path) -> FeedContent(vulns, kev, epss, vex, errors, ...)
    FeedFile(path) streams one file's items.
Downloading:
    NvdApiClient (CVE API 2.0, incremental by lastModified), CsafFetcher (ROLIE feed or
    changes.csv), both over HttpClient; failures raise FeedError.
"""

from vigie.engines.feeds.csaf import CsafResult, parse_csaf
from vigie.engines.feeds.csaf_fetch import CsafFetcher, FetchResult
from vigie.engines.feeds.cve5 import parse_cve5_record
from vigie.engines.feeds.cyclonedx_vex import parse_cyclonedx_vex
from vigie.engines.feeds.detect import (
    FeedContent,
    FeedFile,
    FeedItem,
    Skipped,
    iter_feed_paths,
    kind_of,
    load_feed_file,
    load_feeds,
)
from vigie.engines.feeds.http_client import FeedError, HttpClient, HttpResponse
from vigie.engines.feeds.nvd import NvdOverride, apply_nvd_overrides, parse_nvd_cve
from vigie.engines.feeds.nvd_api import NVD_CVE_API, NvdApiClient
from vigie.engines.feeds.rolie import (
    ChangedFile,
    RolieEntry,
    parse_changes_csv,
    parse_index_txt,
    parse_rolie_feed,
)

__all__ = [
    "NVD_CVE_API",
    "ChangedFile",
    "CsafFetcher",
    "CsafResult",
    "FeedContent",
    "FeedError",
    "FeedFile",
    "FeedItem",
    "FetchResult",
    "HttpClient",
    "HttpResponse",
    "NvdApiClient",
    "NvdOverride",
    "RolieEntry",
    "Skipped",
    "apply_nvd_overrides",
    "iter_feed_paths",
    "kind_of",
    "load_feed_file",
    "load_feeds",
    "parse_changes_csv",
    "parse_csaf",
    "parse_cve5_record",
    "parse_cyclonedx_vex",
    "parse_index_txt",
    "parse_nvd_cve",
    "parse_rolie_feed",
]
