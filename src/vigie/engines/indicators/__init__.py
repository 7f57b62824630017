"""Threat indicators: reading STIX 2.1, MISP, CSV and plain lists into normalised records, and
checking them against MISP warning lists. Framework-free (no Django): the platform stores the
records, the sensor matches them, and both render the problem codes in their own words.

The contract is docs INTERFACES, section "Indicators".
"""

from vigie.engines.indicators.csv_reader import read_csv
from vigie.engines.indicators.detect import read_indicator_file
from vigie.engines.indicators.misp import read_misp_event
from vigie.engines.indicators.model import (
    TLP_BY_MARKING_ID,
    TLP_ORDER,
    IndicatorProblemError,
    IndicatorRecord,
    IndicatorType,
    Problem,
    ReadResult,
    Tlp,
    most_restrictive,
    tlp_from_text,
    type_from_name,
)
from vigie.engines.indicators.normalise import (
    infer_and_normalise,
    infer_type,
    normalise,
    refang,
)
from vigie.engines.indicators.plain import read_plain
from vigie.engines.indicators.stix import read_stix_bundle
from vigie.engines.indicators.warninglists import (
    WarningHit,
    WarningIndex,
    WarningList,
    load_warning_list,
    load_warning_lists,
)

__all__ = [
    "TLP_BY_MARKING_ID",
    "TLP_ORDER",
    "IndicatorProblemError",
    "IndicatorRecord",
    "IndicatorType",
    "Problem",
    "ReadResult",
    "Tlp",
    "WarningHit",
    "WarningIndex",
    "WarningList",
    "infer_and_normalise",
    "infer_type",
    "load_warning_list",
    "load_warning_lists",
    "most_restrictive",
    "normalise",
    "read_csv",
    "read_indicator_file",
    "read_misp_event",
    "read_plain",
    "read_stix_bundle",
    "refang",
    "tlp_from_text",
    "type_from_name",
]
