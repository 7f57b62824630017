"""The readiness pages through Django's test client: the establishment's, the sector's, the
centre's read-only view of one establishment, the CSV export and the dashboard section."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.helpers import in_english, signed_in
from tests.incidents.support import declare_directly
from tests.readiness.support import DRILLS, alert, asset, pillars_for_test
from vigie.audit.models import Action, AuditEvent
from vigie.readiness.scores import record_snapshot
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import OrgKind, Role

MINE = ("exposure", "incidents")
EN = {"accept-language": "en"}
FR = {"accept-language": "fr"}


def _index(org: Organisation) -> str:
    return reverse("readiness:index", kwargs={"org": org.slug})


def _sector(org: Organisation) -> str:
    return reverse("readiness:sector", kwargs={"org": org.slug})


def _one(centre: Organisation, establishment: Organisation) -> str:
    return reverse(
        "readiness:establishment", kwargs={"org": centre.slug, "establishment": establishment.slug}
    )


def _export(org: Organisation) -> str:
    return reverse("readiness:export", kwargs={"org": org.slug})


# --- The establishment's page ------------------------------------------------------------------


def test_the_director_sees_the_score_the_pillars_and_their_reasons(
    est_a: Organisation, make_user: Callable[..., Any]
) -> None:
    director = make_user("a.director", est_a, Role.DIRECTOR)
    now = timezone.now()
    asset(est_a)
    alert(est_a, "act", now - timedelta(days=3))
    with pillars_for_test(keep=MINE):
        response = in_english(signed_in(director)).get(_index(est_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="pillar-exposure"' in page
    assert 'data-testid="pillar-incidents"' in page
    assert "Act alerts past their response deadline: 1" in page
    assert "No incident open." in page
    assert reverse("vulns:alerts", kwargs={"org": est_a.slug}) in page
    assert reverse("incidents:list", kwargs={"org": est_a.slug}) in page
    # exposure 75 × 3 + incidents 100 × 2 = 425 / 5 = 85
    assert response.context["summary"]["overall"] == 85
    assert "No snapshot yet" in page


def test_a_pillar_registered_by_another_app_shows_with_localised_reasons(
    est_a: Organisation, a_viewer: Any
) -> None:
    """Dates in the reader's zone and language (23:30 UTC is 00:30 the next day in Paris,
    23:30 in UTC), numbers grouped and with the decimal mark of the language."""
    a_viewer.language, a_viewer.time_zone = "en", "UTC"
    a_viewer.save()
    with pillars_for_test(DRILLS, keep=MINE):
        english = signed_in(a_viewer).get(_index(est_a), headers=EN).content.decode()
        a_viewer.language, a_viewer.time_zone = "fr", "Europe/Paris"
        a_viewer.save()
        french = signed_in(a_viewer).get(_index(est_a), headers=FR).content.decode()
    assert 'data-testid="pillar-drills"' in english
    assert "Late drills: 1,234, since 31 January 2025, 23:30." in english
    assert "Drill ratio 2.5." in english
    assert reverse("tenancy:dashboard", kwargs={"org": est_a.slug}) in english
    assert "Late drills: 1\xa0234, since 1 février 2025 00:30." in french
    assert "Drill ratio 2,5." in french


def test_reasons_are_sorted_by_points_lost_positive_facts_apart(
    est_a: Organisation, a_viewer: Any
) -> None:
    with pillars_for_test(DRILLS, keep=()):
        response = signed_in(a_viewer).get(_index(est_a))
    (card,) = response.context["cards"]
    assert [line.code for line in card.lost] == ["drills.late", "drills.later_version"]
    assert [line.code for line in card.kept] == ["drills.done"]
    assert card.score == 60


def test_an_unknown_reason_code_shows_its_code(est_a: Organisation, a_viewer: Any) -> None:
    with pillars_for_test(DRILLS, keep=()):
        response = signed_in(a_viewer).get(_index(est_a))
    assert response.status_code == 200
    assert "<code>drills.later_version</code>" in response.content.decode()


def test_a_text_that_does_not_fit_its_parameters_shows_the_code(
    est_a: Organisation, a_viewer: Any
) -> None:
    from django.utils.translation import gettext_lazy as _

    from vigie.readiness.pillars import PillarSpec

    odd = PillarSpec(
        code="odd",
        label=_("Odd"),
        order=99,
        provider=lambda org, now: [DRILLS.provider(org, now)[0]],
        reason_texts={"drills.late": _("Needs %(missing)s.")},
    )
    with pillars_for_test(odd, keep=()):
        response = signed_in(a_viewer).get(_index(est_a))
    assert "<code>drills.late</code>" in response.content.decode()


def test_the_page_works_with_every_registered_pillar(est_a: Organisation, a_admin: Any) -> None:
    response = signed_in(a_admin).get(_index(est_a))
    assert response.status_code == 200
    codes = [card.code for card in response.context["cards"]]
    assert codes[0] == "exposure"
    assert codes[-1] == "incidents"


def test_the_trend_and_the_last_snapshot_date(est_a: Organisation, a_viewer: Any) -> None:
    now = timezone.now()
    with pillars_for_test(keep=MINE):
        record_snapshot(est_a, now - timedelta(weeks=2))
        asset(est_a, created_at=now - timedelta(weeks=1, days=1))
        record_snapshot(est_a, now - timedelta(weeks=1))
        record_snapshot(est_a, now)
        response = signed_in(a_viewer).get(_index(est_a))
    page = response.content.decode()
    assert 'data-testid="chart-readiness-overall"' in page
    assert 'data-testid="chart-readiness-pillars"' in page
    trend = response.context["trend"]
    # 40 (no inventory: 0 × 3 + 100 × 2) then 100.
    assert [row[1] for row in trend.overall.rows] == [["40"], ["100"], ["100"]]
    assert trend.change == 0
    assert 'data-testid="last-snapshot"' in page


def test_a_centre_opening_the_establishment_page_goes_to_its_sector(
    centre: Organisation, centre_analyst: Any
) -> None:
    response = signed_in(centre_analyst).get(_index(centre))
    assert response.status_code == 302
    assert response["Location"] == _sector(centre)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("a_admin", 200), ("a_viewer", 200), ("b_admin", 404), ("centre_analyst", 404)],
)
def test_who_may_read_the_establishment_page(
    request: pytest.FixtureRequest, est_a: Organisation, who: str, expected: int
) -> None:
    user = request.getfixturevalue(who)
    with pillars_for_test(keep=MINE):
        assert signed_in(user).get(_index(est_a)).status_code == expected


def test_anonymous_readers_are_sent_to_sign_in(est_a: Organisation, client: Any) -> None:
    for url in (_index(est_a), _sector(est_a), _export(est_a)):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_the_pages_are_read_only(est_a: Organisation, a_admin: Any) -> None:
    assert signed_in(a_admin).post(_index(est_a)).status_code == 405


# --- The centre's pages ------------------------------------------------------------------------


@pytest.fixture
def other_centre_establishment(db: Any) -> Organisation:
    other = Organisation.objects.create(kind=OrgKind.CENTRE, name="Autre centre", slug="autre")
    return Organisation.objects.create(
        kind=OrgKind.ESTABLISHMENT, name="CH Gamma", slug="ch-gamma", centre=other
    )


def test_the_sector_lists_only_the_centres_establishments_weakest_first(
    centre: Organisation,
    est_a: Organisation,
    est_b: Organisation,
    other_centre_establishment: Organisation,
    centre_analyst: Any,
) -> None:
    asset(est_b)  # B has an inventory and no alert: 100; A has none: 40
    declare_directly(est_a, phase="triage", declared_at=timezone.now() - timedelta(hours=1))
    with pillars_for_test(keep=MINE):
        response = signed_in(centre_analyst).get(_sector(centre))
        by_name = signed_in(centre_analyst).get(_sector(centre) + "?sort=name")
        by_exposure = signed_in(centre_analyst).get(_sector(centre) + "?sort=exposure")
    assert response.status_code == 200
    page = response.content.decode()
    assert [row["organisation"].slug for row in response.context["rows"]] == [
        "chu-alpha",
        "clinique-beta",
    ]
    assert "ch-gamma" not in page
    assert response.context["overall_average"] == 69  # (38 + 100) / 2
    assert 'data-testid="sector-means"' in page
    assert _one(centre, est_a) in page
    assert [r["organisation"].slug for r in by_name.context["rows"]] == [
        "chu-alpha",
        "clinique-beta",
    ]
    assert by_exposure.context["sort"] == "exposure"


def test_the_sector_trend_is_the_mean_of_the_snapshots(
    centre: Organisation, est_a: Organisation, est_b: Organisation, centre_analyst: Any
) -> None:
    now = timezone.now()
    asset(est_b)
    with pillars_for_test(keep=MINE):
        record_snapshot(est_a, now)
        record_snapshot(est_b, now)
        response = signed_in(centre_analyst).get(_sector(centre))
    assert [row[1] for row in response.context["trend"].overall.rows] == [["70"]]


def test_the_centre_reads_one_establishments_reasons_without_links(
    centre: Organisation, est_a: Organisation, centre_analyst: Any
) -> None:
    with pillars_for_test(keep=MINE):
        response = in_english(signed_in(centre_analyst)).get(_one(centre, est_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert "No asset in the inventory" in page
    assert reverse("vulns:alerts", kwargs={"org": est_a.slug}) not in page
    assert all(card.url == "" for card in response.context["cards"])


def test_an_establishment_of_another_centre_is_not_found(
    centre: Organisation, other_centre_establishment: Organisation, centre_analyst: Any
) -> None:
    client = signed_in(centre_analyst)
    assert client.get(_one(centre, other_centre_establishment)).status_code == 404
    assert client.get(_one(centre, centre)).status_code == 404


@pytest.mark.parametrize("who", ["a_admin", "a_viewer"])
def test_the_sector_pages_are_not_found_for_an_establishment(
    request: pytest.FixtureRequest, est_a: Organisation, est_b: Organisation, who: str
) -> None:
    client = signed_in(request.getfixturevalue(who))
    assert client.get(_sector(est_a)).status_code == 404
    assert client.get(_export(est_a)).status_code == 404
    assert client.get(_one(est_a, est_b)).status_code == 404


def test_the_sector_pages_are_not_found_for_a_non_member(
    centre: Organisation, est_a: Organisation, a_admin: Any
) -> None:
    client = signed_in(a_admin)
    assert client.get(_sector(centre)).status_code == 404
    assert client.get(_one(centre, est_a)).status_code == 404


def test_the_csv_export_of_the_sector_table(
    centre: Organisation, est_a: Organisation, est_b: Organisation, centre_analyst: Any
) -> None:
    est_b.name = "=HYPERLINK(evil)"
    est_b.save()
    asset(est_b)
    with pillars_for_test(keep=MINE):
        response = signed_in(centre_analyst).get(_export(centre))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0] == ["establishment", "slug", "overall", "level", "exposure", "incidents"]
    assert rows[1] == ["CHU Alpha", "chu-alpha", "40", "at_risk", "0", "100"]
    assert rows[2] == ["'=HYPERLINK(evil)", "clinique-beta", "100", "good", "100", "100"]
    assert rows[3] == ["mean", "", "70", "fragile", "50", "100"]
    assert AuditEvent.objects.filter(action=Action.EXPORT, organisation=centre).exists()


# --- The dashboard -----------------------------------------------------------------------------


def test_the_dashboard_shows_the_score_and_the_weakest_pillar(
    est_a: Organisation, a_viewer: Any
) -> None:
    a_viewer.language = "en"
    a_viewer.save()
    with pillars_for_test(keep=MINE):
        response = signed_in(a_viewer).get(
            reverse("tenancy:dashboard", kwargs={"org": est_a.slug}), headers=EN
        )
    page = response.content.decode()
    assert 'data-testid="readiness-dashboard"' in page
    assert "Weakest pillar: Exposure (0/100)." in page
    assert _index(est_a) in page


def test_the_centres_dashboard_shows_the_sector_mean_of_the_snapshots(
    centre: Organisation, est_a: Organisation, est_b: Organisation, centre_analyst: Any
) -> None:
    client = signed_in(centre_analyst)
    url = reverse("tenancy:dashboard", kwargs={"org": centre.slug})
    with pillars_for_test(keep=MINE):
        assert 'data-testid="readiness-dashboard"' not in client.get(url).content.decode()
        record_snapshot(est_a)
        page = client.get(url).content.decode()
    assert 'data-testid="readiness-dashboard"' in page
    assert _sector(centre) in page
