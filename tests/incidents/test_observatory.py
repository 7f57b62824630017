"""The incidents observatory: exact counts for the centre, small counts hidden for the sector
view an establishment reads, its own counts exact, and the CSV export as the page."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.helpers import signed_in
from vigie.incidents.deadlines import clocks_of
from vigie.incidents.models import Incident, Submission
from vigie.incidents.observatory import Observatory, month_starts, observatory, scope_for
from vigie.tenancy.access import org_access
from vigie.tenancy.models import Organisation, Region, StructureType
from vigie.tenancy.roles import OrgKind

_numbers = itertools.count(1)


def declare(organisation: Organisation, count: int = 1, **fields: Any) -> list[Incident]:
    values: dict[str, Any] = {
        "title": "Incident",
        "category": "ransomware",
        "declared_at": timezone.now() - timedelta(days=1),
        **fields,
    }
    return [
        Incident.objects.create(organisation=organisation, number=next(_numbers), **values)
        for _ in range(count)
    ]


def seen_by(user: Any, slug: str, **kwargs: Any) -> Observatory:
    return observatory(scope_for(org_access(user, slug)), now=timezone.now(), **kwargs)


def counts(result: Observatory, code: str) -> dict[str, int | None]:
    return {cell.key: cell.count for cell in result.breakdown(code).cells}


def csv_of(client: Client, slug: str, query: str = "") -> list[dict[str, str]]:
    response = client.get(reverse("observatory:export", kwargs={"org": slug}) + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.getvalue().decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def other_centre_establishment(db: Any) -> Organisation:
    other = Organisation.objects.create(kind=OrgKind.CENTRE, name="Autre centre", slug="autre")
    return Organisation.objects.create(
        kind=OrgKind.ESTABLISHMENT,
        name="Hôpital Gamma",
        slug="hopital-gamma",
        structure_type=StructureType.CH,
        region=Region.BRE,
        centre=other,
    )


# --- The centre ---------------------------------------------------------------------------------


def test_the_centre_sees_exact_small_counts(
    centre_analyst: Any, est_a: Organisation, est_b: Organisation
) -> None:
    declare(est_a, 2, category="ransomware")
    declare(est_b, 1, category="phishing", degraded_mode=True)
    result = seen_by(centre_analyst, "centre")
    assert result.exact
    assert result.incidents == 3
    assert result.structures == 2
    assert counts(result, "category")["ransomware"] == 2
    assert counts(result, "category")["phishing"] == 1
    assert counts(result, "structure_type") == {StructureType.CHU: 2, StructureType.CLINIC: 1}
    assert counts(result, "region") == {Region.IDF: 2, Region.ARA: 1}
    assert counts(result, "operational_impact")["degraded_mode"] == 1


def test_an_establishment_of_another_centres_community_is_not_counted(
    centre_analyst: Any, est_a: Organisation, other_centre_establishment: Organisation
) -> None:
    declare(est_a, 1)
    declare(other_centre_establishment, 7)
    result = seen_by(centre_analyst, "centre")
    assert result.incidents == 1
    assert result.structures == 1
    assert Region.BRE not in counts(result, "region")


def test_operational_impact_counts_each_incident_once_worst_first(
    centre_analyst: Any, est_a: Organisation
) -> None:
    declare(est_a, 1, care_is_interrupted=True, degraded_mode=True)
    declare(est_a, 2, degraded_mode=True)
    declare(est_a, 3)
    impact = counts(seen_by(centre_analyst, "centre"), "operational_impact")
    assert impact == {"care_is_interrupted": 1, "degraded_mode": 2, "none": 3}


def test_data_impact_endangerment_support_and_major_are_counted(
    centre_analyst: Any, est_a: Organisation
) -> None:
    declare(est_a, 2, availability=True, health_data=True, endangerment="actual", major=True)
    declare(est_a, 1, confidentiality=True, endangerment="potential", support_requested=True)
    result = seen_by(centre_analyst, "centre")
    data = counts(result, "data_impact")
    assert data["availability"] == 2
    assert data["health_data"] == 2
    assert data["confidentiality"] == 1
    assert data["integrity"] == 0
    assert counts(result, "endangerment") == {"none": 0, "potential": 1, "actual": 2}
    assert counts(result, "support_requested") == {"yes": 1, "no": 2}
    assert counts(result, "major") == {"yes": 2, "no": 1}


def test_volumes_per_month_cover_the_last_24_months_and_per_year_all(
    centre_analyst: Any, est_a: Organisation
) -> None:
    starts = month_starts(timezone.now())
    assert len(starts) == 24
    declare(est_a, 2, declared_at=starts[-1] + timedelta(minutes=1))
    declare(est_a, 1, declared_at=starts[-4] + timedelta(days=2))
    long_ago = starts[0] - timedelta(days=200)
    declare(est_a, 1, declared_at=long_ago)
    result = seen_by(centre_analyst, "centre")
    months = counts(result, "month")
    assert months[f"{starts[-1]:%Y-%m}"] == 2
    assert months[f"{starts[-4]:%Y-%m}"] == 1
    assert sum(v or 0 for v in months.values()) == 3
    assert counts(result, "year")[str(timezone.localtime(long_ago).year)] == 1
    assert result.incidents == 4


def test_the_year_filter_counts_that_year_only(centre_analyst: Any, est_a: Organisation) -> None:
    this_year = timezone.localtime().year
    declare(est_a, 2, declared_at=timezone.now() - timedelta(days=800))
    declare(est_a, 3)
    year = timezone.localtime(timezone.now() - timedelta(days=800)).year
    result = seen_by(centre_analyst, "centre", year=year)
    assert result.incidents == 2
    assert len(result.months.cells) == (12 if year < this_year else timezone.localtime().month)
    assert counts(result, "year")[str(year)] == 2  # the years stay all listed, for context


def test_response_times_are_medians_in_hours_with_how_many_incidents_they_cover(
    centre_analyst: Any, est_a: Organisation
) -> None:
    start = timezone.now() - timedelta(days=10)
    for hours in (2, 4, 10):
        declare(
            est_a,
            1,
            first_malicious_at=start,
            detected_at=start + timedelta(hours=hours),
            aware_at=start + timedelta(hours=hours + 1),
            recovered_at=start + timedelta(hours=hours + 49),
        )
    # Contained with no awareness time: measured from detection.
    declare(est_a, 1, detected_at=start, contained_at=start + timedelta(hours=6))
    declare(est_a, 1)  # no times: not measured
    response = {row.code: row for row in seen_by(centre_analyst, "centre").response}
    assert (response["detect"].hours, response["detect"].incidents) == (4.0, 3)
    assert (response["contain"].hours, response["contain"].incidents) == (6.0, 1)
    assert (response["recover"].hours, response["recover"].incidents) == (48.0, 3)


def test_deadlines_met_is_the_share_of_due_reports_submitted_in_time(
    centre_analyst: Any, est_a: Organisation
) -> None:
    now = timezone.now()
    aware = now - timedelta(days=10)
    (incident,) = declare(est_a, 1, aware_at=aware)
    Submission.objects.create(
        incident=incident,
        code="ars_cert_sante",
        channel="ARS",
        submitted_at=aware + timedelta(hours=1),
        language="fr",
        snapshot={},
    )
    statuses = [o.status.value for o in clocks_of(incident, now)]
    deadlines = seen_by(centre_analyst, "centre").deadlines
    assert deadlines.met == statuses.count("submitted") == 1
    assert deadlines.due == sum(
        statuses.count(s) for s in ("submitted", "submitted_late", "overdue")
    )
    assert deadlines.due > 1  # est_a is a NIS2 essential entity: its NIS2 reports are overdue


# --- An establishment: the sector, suppressed, and its own -------------------------------------


def test_the_sector_view_hides_counts_under_5_and_the_total_cannot_give_one_back(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    declare(est_b, 3, category="ransomware")
    declare(est_b, 10, category="phishing")
    declare(est_b, 6, category="malware")
    result = seen_by(a_admin, "chu-alpha")
    assert not result.exact
    category = result.breakdown("category")
    published = {cell.key: cell.count for cell in category.cells}
    assert published["ransomware"] is None
    assert published["phishing"] == 10
    assert category.total == 19
    # One hidden cell would be the total less the others: a second one is hidden with it.
    assert len(category.hidden) >= 2
    assert all(cell.count is None or cell.count == 0 or cell.count >= 5 for cell in category.cells)
    assert published["malware"] is None
    # Every breakdown holds to the rule.
    for breakdown in (result.years, result.months, *result.breakdowns):
        assert all(c.count is None or c.count == 0 or c.count >= 5 for c in breakdown.cells)


def test_the_sector_view_hides_a_small_total_and_a_single_structure(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    declare(est_b, 3)
    result = seen_by(a_admin, "chu-alpha")
    assert result.incidents is None
    assert result.structures is None


def test_the_establishment_sees_its_own_exact_counts_next_to_the_sector(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    declare(est_a, 2, category="ransomware")
    declare(est_a, 5, category="phishing")
    declare(est_b, 6, category="ransomware")
    declare(est_b, 10, category="malware")
    result = seen_by(a_admin, "chu-alpha")
    own = {cell.key: cell.own for cell in result.breakdown("category").cells}
    assert own["ransomware"] == 2
    assert own["phishing"] == 5
    assert result.own_incidents == 7
    # The sector includes the establishment's own incidents.
    assert counts(result, "category")["ransomware"] == 8
    assert counts(result, "category")["phishing"] == 5
    assert result.incidents == 23


def test_a_sector_cell_that_is_only_its_own_small_count_is_hidden_too(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    declare(est_a, 1, category="defacement")
    declare(est_b, 10, category="phishing")
    declare(est_b, 6, category="malware")
    result = seen_by(a_admin, "chu-alpha")
    # A sector count of 1 would point at the reader itself, for anyone shown the page.
    assert counts(result, "category")["defacement"] is None
    assert {c.key: c.own for c in result.breakdown("category").cells}["defacement"] == 1


def test_subtracting_its_own_count_gives_no_small_count_of_the_others_back(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    declare(est_a, 5, category="ransomware")
    declare(est_b, 1, category="ransomware")
    declare(est_b, 20, category="phishing")
    result = seen_by(a_admin, "chu-alpha")
    # 6 in the sector is not small, but 6 less its own 5 would tell the other's one incident.
    assert counts(result, "category")["ransomware"] is None
    assert {c.key: c.own for c in result.breakdown("category").cells}["ransomware"] == 5


def test_the_sector_medians_are_hidden_when_few_other_incidents_are_measured(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    start = timezone.now() - timedelta(days=3)
    times = {"first_malicious_at": start, "detected_at": start + timedelta(hours=3)}
    declare(est_b, 2, **times)
    declare(est_a, 4, **times)
    detect = next(row for row in seen_by(a_admin, "chu-alpha").response if row.code == "detect")
    assert detect.hours is None
    assert detect.incidents is None
    assert (detect.own_hours, detect.own_incidents) == (3.0, 4)


def test_the_sector_medians_are_shown_over_enough_incidents(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    start = timezone.now() - timedelta(days=3)
    for hours in (1, 2, 3, 4, 5):
        declare(est_b, 1, first_malicious_at=start, detected_at=start + timedelta(hours=hours))
    detect = next(row for row in seen_by(a_admin, "chu-alpha").response if row.code == "detect")
    assert (detect.hours, detect.incidents) == (3.0, 5)


# --- Pages and export ---------------------------------------------------------------------------


def test_the_page_renders_for_the_centre_with_exact_counts(
    centre_analyst: Any, est_a: Organisation
) -> None:
    declare(est_a, 2)
    response = signed_in(centre_analyst).get(reverse("observatory:index", kwargs={"org": "centre"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="chart-category"' in html
    assert 'data-testid="chart-month"' in html
    assert 'data-testid="suppression-note"' in html
    assert "observatory/export.csv" in html


def test_the_page_renders_for_an_establishment_without_naming_another(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    declare(est_a, 1)
    declare(est_b, 3, category="ransomware")
    declare(est_b, 12, category="phishing")
    response = signed_in(a_admin).get(reverse("observatory:index", kwargs={"org": "chu-alpha"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert est_b.name not in html
    assert est_b.slug not in html
    assert 'data-testid="own-vs-sector"' in html
    assert "afin qu'aucun établissement ne puisse être reconnu" in html
    assert 'data-testid="hidden-category"' in html


def test_the_year_filter_is_a_get_form(centre_analyst: Any, est_a: Organisation) -> None:
    declare(est_a, 2)
    year = timezone.localtime().year
    response = signed_in(centre_analyst).get(
        reverse("observatory:index", kwargs={"org": "centre"}), {"year": str(year)}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="get"' in html
    assert f'<option value="{year}" selected>' in html


def test_anonymous_readers_are_sent_to_sign_in(est_a: Organisation) -> None:
    for name in ("observatory:index", "observatory:export"):
        response = Client().get(reverse(name, kwargs={"org": "chu-alpha"}))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_non_member_gets_not_found(b_admin: Any, est_a: Organisation) -> None:
    response = signed_in(b_admin).get(reverse("observatory:index", kwargs={"org": "chu-alpha"}))
    assert response.status_code == 404


def test_the_csv_export_of_the_centre_has_exact_counts(
    centre_analyst: Any, est_a: Organisation
) -> None:
    declare(est_a, 2, category="ransomware")
    rows = csv_of(signed_in(centre_analyst), "centre")
    assert list(rows[0]) == ["breakdown", "key", "label", "count", "suppressed"]
    row = next(r for r in rows if (r["breakdown"], r["key"]) == ("category", "ransomware"))
    assert (row["count"], row["suppressed"]) == ("2", "no")
    total = next(r for r in rows if r["breakdown"] == "incidents")
    assert total["count"] == "2"


def test_the_csv_export_of_an_establishment_suppresses_as_the_page(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    declare(est_a, 1, category="ransomware")
    declare(est_b, 3, category="ransomware")
    declare(est_b, 10, category="phishing")
    declare(est_b, 6, category="malware")
    rows = csv_of(signed_in(a_admin), "chu-alpha")
    cells = {(r["breakdown"], r["key"]): r for r in rows}
    hidden = cells[("category", "ransomware")]
    assert (hidden["count"], hidden["suppressed"]) == ("", "yes")
    assert cells[("category", "phishing")]["count"] == "10"
    assert cells[("category", "malware")]["suppressed"] == "yes"
    assert cells[("incidents", "total")]["count"] == "20"
    # Its own figures, exact.
    assert cells[("own_category", "ransomware")]["count"] == "1"
    # No published count under 5 but its own.
    for row in rows:
        if row["count"] and not row["breakdown"].startswith("own_"):
            value = float(row["count"])
            if row["breakdown"] != "response_median_hours":
                assert value == 0 or value >= 5, row
    assert est_b.name not in str(rows)


def test_the_csv_export_neutralises_spreadsheet_formulas(
    centre_analyst: Any, centre: Organisation, make_user: Callable[..., Any]
) -> None:
    odd = Organisation.objects.create(
        kind=OrgKind.ESTABLISHMENT,
        name="Odd",
        slug="odd",
        structure_type="=HYPERLINK(1)",
        centre=centre,
    )
    declare(odd, 1)
    rows = csv_of(signed_in(centre_analyst), "centre")
    row = next(r for r in rows if r["breakdown"] == "structure_type")
    assert row["key"] == "'=HYPERLINK(1)"
    assert row["label"] == "'=HYPERLINK(1)"


def test_the_export_follows_the_year_filter(centre_analyst: Any, est_a: Organisation) -> None:
    old: datetime = timezone.now() - timedelta(days=800)
    declare(est_a, 2, declared_at=old)
    declare(est_a, 3)
    year = timezone.localtime(old).year
    rows = csv_of(signed_in(centre_analyst), "centre", f"?year={year}")
    assert next(r for r in rows if r["breakdown"] == "incidents")["count"] == "2"


def test_the_sector_deadlines_share_is_hidden_over_few_other_reports(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    aware = timezone.now() - timedelta(days=10)
    declare(est_b, 1, aware_at=aware)  # a few overdue reports of one other establishment
    declare(est_a, 1, aware_at=aware)
    deadlines = seen_by(a_admin, "chu-alpha").deadlines
    assert deadlines.met is None
    assert deadlines.due is None
    assert deadlines.own_due is not None
    assert deadlines.own_due > 0
    assert deadlines.own_met == 0
    html = signed_in(a_admin).get(reverse("observatory:index", kwargs={"org": "chu-alpha"}))
    assert 'data-testid="deadlines-hidden"' in html.content.decode()
