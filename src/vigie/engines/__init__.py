"""Framework-free cores: CPE semantics, advisories, prioritisation, feed and inventory readers.

Nothing under this package imports Django: the engines run in the offline CLI, in benchmarks
and inside the platform alike (tests/test_architecture.py enforces it). The tree, by concern:

    records.py      plain records exchanged with the platform (AssetRecord, VulnRecord, Match...)
    versions.py     one lenient order for every version string (shared by CPE and advisories)
    cpe/            CPE 2.3 names and NVD configuration semantics, batch and incremental indexes
    advisories/     products named without CPE: vendor and product names, version expressions,
                    medical-device matching, purl ranges
    prioritise/     SSVC decisions, VEX
    feeds/          NVD, CVE 5, CSAF, KEV, EPSS, VEX readers; HTTP, NVD API and ROLIE clients
    inventory/      CSV, CycloneDX and SPDX inventory readers
    matching.py     every matcher in one call (the platform and `vigie vulns match` share it)
    match_keys.py   lookup keys shared by assets and records (the platform's two key tables)
    offline.py      `vigie vulns match`: files in, rows out, no database

Modules that lived directly in this package before it was split keep their old import paths
(`vigie.engines.nvd_match`, `vigie.engines.device_match`, ...): `_legacy` maps them to the new
modules, so users' scripts need no change.
"""

from vigie.engines import _legacy

_legacy.install()
