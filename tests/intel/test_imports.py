"""Importing indicator files into an organisation's collection: dedupe, sources, TLP merge,
warning lists, problems in the reader's language, the audit entry."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.vulns.support import access_of
from vigie.audit.models import AuditEvent
from vigie.intel.imports import import_indicators
from vigie.intel.models import Indicator, IndicatorImport, IndicatorSource, Tlp
from vigie.intel.problems import problem_text
from vigie.intel.search import active_only
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db

CSV = b"""type,value,tlp,tags,source
domain,Evil.Example.,,ransomware:lockbit,CERT Sante
ip,203.0.113.7,green,,
sha256,E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B856,amber,,
ipv4,not-an-address,,,
domain,evil.example,clear,c2,Other feed
"""


@pytest.fixture
def analyst_access(centre_analyst: Any, centre: Organisation) -> Any:
    return access_of(centre_analyst, centre)


def _import(access: Any, data: bytes, name: str = "iocs.csv", tlp: str = Tlp.AMBER) -> Any:
    return import_indicators(access=access, data=data, file_name=name, source="", default_tlp=tlp)


def test_a_csv_is_normalised_deduplicated_and_keeps_each_source(analyst_access: Any) -> None:
    job = _import(analyst_access, CSV)
    assert job.file_format == "csv"
    rows = {(r.type, r.value): r for r in Indicator.objects.all()}
    assert set(rows) >= {("domain", "evil.example"), ("ipv4", "203.0.113.7")}
    evil = rows[("domain", "evil.example")]
    # Two lines, two sources, one indicator: as shareable as its least restrictive source.
    assert evil.tlp == Tlp.CLEAR
    assert set(evil.tags) == {"ransomware:lockbit", "c2"}
    assert set(IndicatorSource.objects.filter(indicator=evil).values_list("source", "tlp")) == {
        ("CERT Sante", Tlp.AMBER),
        ("Other feed", Tlp.CLEAR),
    }
    assert rows[("ipv4", "203.0.113.7")].tlp == Tlp.GREEN
    assert job.counts["created"] == len(rows)
    assert job.counts["problems"] >= 1


def test_importing_the_same_file_again_changes_nothing(analyst_access: Any) -> None:
    _import(analyst_access, CSV)
    before = Indicator.objects.count(), IndicatorSource.objects.count()
    again = _import(analyst_access, CSV)
    assert (Indicator.objects.count(), IndicatorSource.objects.count()) == before
    assert again.counts["created"] == 0
    assert again.counts["unchanged"] == before[0]


def test_a_bad_line_is_reported_with_its_line_in_the_readers_language(
    analyst_access: Any,
) -> None:
    job = _import(analyst_access, CSV)
    [bad] = [p for p in job.problems if p["line"] == 5]
    with translation.override("fr"):
        text = problem_text(bad)
    assert "ligne 5" in text
    assert "not-an-address" in text
    with translation.override("en"):
        assert "line 5" in problem_text(bad)


def test_values_on_a_warning_list_are_kept_flagged_and_left_out_of_blocklists(
    analyst_access: Any,
) -> None:
    job = _import(analyst_access, b"8.8.8.8\n10.20.30.40\n77.90.185.20\n", name="list.txt")
    assert job.file_format == "plain"
    resolver = Indicator.objects.get(value="8.8.8.8")
    assert resolver.suppressed
    assert resolver.warnings
    assert resolver.warnings[0]["list"]
    assert Indicator.objects.get(value="10.20.30.40").suppressed  # RFC 1918
    active = set(active_only(Indicator.objects.all()).values_list("value", flat=True))
    assert active == {"77.90.185.20"}
    assert job.counts["flagged"] == 2


def test_red_indicators_name_the_person_who_imported_them(
    analyst_access: Any, centre_analyst: Any
) -> None:
    _import(analyst_access, b"type,value\ndomain,only-for-you.example\n", tlp=Tlp.RED)
    row = Indicator.objects.get(value="only-for-you.example")
    assert row.tlp == Tlp.RED
    assert list(row.recipients.all()) == [centre_analyst]


def test_a_file_that_is_not_text_is_refused_with_its_reason_and_stores_nothing(
    analyst_access: Any,
) -> None:
    job = _import(analyst_access, bytes(range(256)) * 40, name="blob.bin")
    assert Indicator.objects.count() == 0
    assert [p["code"] for p in job.problems] == ["not_text"]


def test_a_file_over_the_size_limit_is_refused_before_reading(
    analyst_access: Any, settings: Any
) -> None:
    settings.VIGIE_INDICATOR_FILE_MAX_BYTES = 1024
    with pytest.raises(ValidationError):
        _import(analyst_access, b"1.2.3.4\n" * 500)
    assert IndicatorImport.objects.count() == 0


def test_establishment_members_cannot_publish_intelligence(
    a_admin: Any, est_a: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        _import(access_of(a_admin, est_a), b"1.2.3.4\n")


def test_the_import_is_in_the_audit_log(analyst_access: Any, centre_analyst: Any) -> None:
    job = _import(analyst_access, CSV)
    event = AuditEvent.objects.get(action="intel.indicators_imported")
    assert event.actor == centre_analyst
    assert event.target_id == str(job.pk)
    assert event.details["created"] == job.counts["created"]
