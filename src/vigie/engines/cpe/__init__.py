"""CPE 2.3 names and NVD configuration semantics.

* `names`           parse and compare CPE names (NISTIR 7695/7696), by hand for speed
* `configurations`  compile NVD configurations into criteria (`compile_configurations`)
* `evaluate`        the semantics of one criterion and of AND/OR/negated trees
* `index`           `VulnIndex` (batch: an inventory against every record) and
                    `InventoryIndex` (incremental: one new record against every inventory)
* `suggest`         CPE suggestions for assets named in words, from the dictionary in `data/`

The CPE name API is re-exported here, so `from vigie.engines.cpe import parse_cpe` keeps working.
"""

from vigie.engines.cpe.names import (
    ANY,
    ATTRIBUTES,
    NA,
    Cpe,
    CpeError,
    Logical,
    Relation,
    Value,
    Wildcard,
    compare_attribute,
    compare_names,
    format_cpe,
    name_superset,
    parse_cpe,
)

__all__ = [
    "ANY",
    "ATTRIBUTES",
    "NA",
    "Cpe",
    "CpeError",
    "Logical",
    "Relation",
    "Value",
    "Wildcard",
    "compare_attribute",
    "compare_names",
    "format_cpe",
    "name_superset",
    "parse_cpe",
]
