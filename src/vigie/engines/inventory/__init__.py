"""Inventory readers: CSV (docs INTERFACES), CycloneDX JSON 1.4-1.6, SPDX 2.3 JSON.

Every reader returns `InventoryResult(assets, errors, warnings)`; callers commit nothing when
`errors` is non-empty. `load_inventory()` picks the reader from the file's content.
"""

from vigie.engines.inventory.common import InventoryLimits, InventoryResult
from vigie.engines.inventory.csv_reader import COLUMNS, read_csv_inventory
from vigie.engines.inventory.cyclonedx_reader import read_cyclonedx, read_cyclonedx_document
from vigie.engines.inventory.loader import InventoryFormat, detect_format, load_inventory
from vigie.engines.inventory.spdx_reader import read_spdx, read_spdx_document

__all__ = [
    "COLUMNS",
    "InventoryFormat",
    "InventoryLimits",
    "InventoryResult",
    "detect_format",
    "load_inventory",
    "read_csv_inventory",
    "read_cyclonedx",
    "read_cyclonedx_document",
    "read_spdx",
    "read_spdx_document",
]
