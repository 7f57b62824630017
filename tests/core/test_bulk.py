"""update_rows writes what the ORM would write, in one statement per shape of row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vigie.core.bulk import update_rows
from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation
from vigie.vulns.models import Vulnerability


def test_update_rows_writes_json_dates_nulls_and_auto_now_like_the_orm(db: Any) -> None:
    vulns = Vulnerability.objects.bulk_create(
        [Vulnerability(vuln_id=f"CVE-2026-{n:04d}", cvss_score=5.0) for n in range(40)]
    )
    vulns = list(Vulnerability.objects.order_by("vuln_id"))
    before = {v.pk: v.updated_at for v in vulns}
    published = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    for n, vuln in enumerate(vulns):
        vuln.title = f"Titre « {n} » ; DROP TABLE x; --"
        vuln.cwes = [f"CWE-{n}", {"nested": [n, None, "é"]}]
        vuln.references = []
        vuln.published = published if n % 2 else None
        vuln.cvss_score = None if n % 3 == 0 else n / 10
        vuln.rejected = n == 7

    with CaptureQueriesContext(connection) as queries:
        updated = update_rows(
            Vulnerability,
            vulns,
            ["title", "cwes", "references", "published", "cvss_score", "rejected", "updated_at"],
        )

    assert updated == 40
    # Rows differ only in which of published / cvss_score are NULL: four shapes, four statements.
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 4, statements
    assert all(" times: UPDATE " in sql for sql in statements)
    for n, stored in enumerate(Vulnerability.objects.order_by("vuln_id")):
        assert stored.title == f"Titre « {n} » ; DROP TABLE x; --"
        assert stored.cwes == [f"CWE-{n}", {"nested": [n, None, "é"]}]
        assert stored.references == []
        assert stored.published == (published if n % 2 else None)
        assert stored.cvss_score == (None if n % 3 == 0 else n / 10)
        assert stored.rejected is (n == 7)
        assert stored.updated_at > before[stored.pk]


def test_update_rows_sets_and_clears_foreign_keys(est_a: Organisation) -> None:
    device = Asset.objects.create(organisation=est_a, external_id="pump", name="Pump")
    parts = [
        Asset.objects.create(organisation=est_a, external_id=f"fw-{n}", name=f"Firmware {n}")
        for n in range(3)
    ]
    parts[0].parent_id = device.pk
    parts[1].parent_id = device.pk
    parts[2].parent_id = None

    update_rows(Asset, parts, ["parent"])

    assert {a.external_id: a.parent_id for a in Asset.objects.exclude(pk=device.pk)} == {
        "fw-0": device.pk,
        "fw-1": device.pk,
        "fw-2": None,
    }


def test_update_rows_refuses_a_name_that_is_not_a_column(db: Any) -> None:
    vuln = Vulnerability.objects.create(vuln_id="CVE-2026-0001")
    with pytest.raises(TypeError, match="not a column"):
        update_rows(Vulnerability, [vuln], ["records"])


def test_update_rows_with_nothing_to_do_runs_no_query(db: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert update_rows(Vulnerability, [], ["title"]) == 0
    assert queries.captured_queries == []
