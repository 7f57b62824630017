"""Import problems in the reader's language, counts with their plural, and the importer's
defaults (care unit, clinical criticality, exposure) for what a file leaves unknown."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from tests.inventory.test_inventory_import import GOOD, HEADER, SBOM, upload
from vigie.api.tokens import create_token
from vigie.engines.inventory.common import HINTS, MESSAGES, REASONS
from vigie.inventory import problems
from vigie.inventory.models import Asset, InventoryImport

NBSP = "\u00a0"
API = "/api/v1/organisations/chu-alpha/inventory/imports"

# Sample values with no English in them, so that any English left in a French rendering comes
# from the template.
SAMPLES: dict[str, object] = {
    "count": 3,
    "size": 300,
    "limit": 200,
    "length": 5000,
    "width": 12,
    "first_line": 2,
    "column": "abc",
    "value": "xyz",
    "allowed": "abc, def",
    "columns": "abc, def",
    "expected": "abc,def",
    "reason": "xyz",
    "detail": "xyz",
    "found": "int",
    "what": "xyz",
    "generated": "xyz-1",
    "first_at": "/x/0",
    "version": "1.2",
    "chain": "xyz -> abc",
    "start": "xyz",
    "closing": "abc",
    "cycle": [["xyz", 2], ["abc", 3]],
    "part": "q",
    "hint": "binary",
}
# Words an English template and its French translation legitimately share: formats, JSON keys,
# CPE parts and the sample values.
SHARED_WORDS = {
    "a", "o", "h", "q", "xyz", "abc", "def", "x", "id", "cpe", "uri", "csv", "utf", "latin",
    "windows", "json", "ld", "xml", "html", "rdf", "cyclonedx", "spdx", "spdxid", "bom", "ref",
    "bomformat", "specversion", "spdxversion", "metadata", "component", "components", "other",
    "sbom", "gzip", "zip", "excel", "xlsx", "xls", "pdf", "pyspdxtools", "tag", "value",
    "archive", "document", "type", "cycle", "parent", "parents", "part", "vendor", "product",
    "url", "long",
}  # fmt: skip


def sample_problems() -> list[dict[str, Any]]:
    """One stored problem per code, and one per hint and per reason."""
    stored = []
    for code, template in MESSAGES.items():
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        params = {name: SAMPLES[name] for name in names if name != "reason_text"}
        if "reason_text" in names:
            params["reason"] = "cpe_spaces"
        if code == "not_json":
            params["column"] = 7
        if code == "parent_cycle":
            params["cycle"] = SAMPLES["cycle"]
        stored.append({"code": code, "params": params, "message": "English"})
    for hint in HINTS:
        stored.append({"code": "not_inventory", "params": {"hint": hint}, "message": "English"})
    for reason, template in REASONS.items():
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        params = {"value": "xyz", "reason": reason, **{n: SAMPLES[n] for n in names}}
        stored.append({"code": "bad_identifier", "params": params, "message": "English"})
    return stored


def reading(client: Client, language: str) -> Client:
    """The client of a person who chose `language` (the login sets this cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)}


def render_in(language: str, problem: dict[str, Any]) -> str:
    with translation.override(language):
        return problems.render(problem)


def test_the_platform_translates_exactly_the_codes_of_the_engine() -> None:
    assert set(problems.MESSAGE_TEMPLATES) == set(MESSAGES)
    assert set(problems.HINT_TEMPLATES) == set(HINTS)
    assert set(problems.REASON_TEMPLATES) == set(REASONS)


@pytest.mark.parametrize("problem", sample_problems(), ids=lambda p: f"{p['code']}")
def test_every_code_renders_in_french_with_no_english_left(problem: dict[str, Any]) -> None:
    english = render_in("en", problem)
    french = render_in("fr", problem)
    assert english != "English"  # rendered from the code, not the stored fallback
    assert french != english
    assert words(french) & words(english) <= SHARED_WORDS, french
    if "value" in problem["params"]:
        assert f"«{NBSP}xyz{NBSP}»" in french
        assert "'xyz'" not in french


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("fr", 1, "et 1 autre erreur, non listée"),
        ("fr", 3, "et 3 autres erreurs, non listées"),
        ("fr", 1500, f"et 1{NBSP}500 autres erreurs, non listées"),
        ("en", 1, "and 1 more error, not listed"),
        ("en", 3, "and 3 more errors, not listed"),
        ("en", 1500, "and 1,500 more errors, not listed"),
    ],
)
def test_counts_take_their_plural_and_the_locale_grouping(
    language: str, count: int, expected: str
) -> None:
    problem = {"code": "more_errors", "params": {"count": count}, "message": "x"}
    assert render_in(language, problem) == expected


def test_a_parent_cycle_names_each_id_with_its_line_in_french() -> None:
    problem = {
        "code": "parent_cycle",
        "params": {
            "chain": "a (line 2) -> b (line 3)",
            "start": "a",
            "cycle": [["a", 2], ["b", 3]],
        },
        "message": "x",
    }
    q = f"{NBSP}»"
    assert render_in("fr", problem) == (
        f"les parents forment un cycle{NBSP}: «{NBSP}a{q} (ligne 2) → «{NBSP}b{q} (ligne 3)"
        f" → «{NBSP}a{q}"
    )


def test_rows_stored_without_a_code_show_their_english_message() -> None:
    old = {"line": 3, "field": "kind", "message": "unknown kind 'spaceship'"}
    assert render_in("fr", old) == "unknown kind 'spaceship'"
    unknown = {"code": "from_the_future", "params": {}, "message": "something new"}
    assert render_in("fr", unknown) == "something new"
    mismatched = {"code": "more_errors", "params": {}, "message": "and 3 more errors"}
    assert render_in("fr", mismatched) == "and 3 more errors"


def test_refused_file_has_no_new_count_and_its_problems_in_french(
    a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    bad = GOOD + "pump,Pompe,spaceship,BD,Alaris,1,,,,vital,internal,Réa\n"
    response = upload(client, bad)
    job = InventoryImport.objects.get()
    assert job.state == "invalid"
    assert "new" not in job.summary
    assert job.summary["errors"] == 2
    stored = {e["field"]: e for e in job.errors}
    assert stored["kind"]["code"] == "unknown_value"
    assert stored["kind"]["params"]["value"] == "spaceship"
    assert stored["kind"]["message"].startswith("unknown kind 'spaceship'")
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-new"' not in page
    assert 'data-testid="import-updated"' not in page
    assert "nouveaux" not in page
    assert f"«{NBSP}spaceship{NBSP}»" in page
    assert "unknown kind" not in page
    assert 'import-errors">2</span>' in page
    assert 'import-errors-label">erreurs</span>' in page
    assert 'data-testid="import-refused"' in page


def test_problems_and_labels_are_in_english_for_an_english_reader(
    a_admin: Any, client_for: Any
) -> None:
    client = reading(client_for(a_admin), "en")
    bad = HEADER + "pump,Pompe,spaceship,BD,Alaris,1,,,,,,\n"
    page = client.get(upload(client, bad)["Location"]).content.decode()
    assert "unknown kind “spaceship”" in page
    assert '<span class="stat-label">row</span>' in page
    assert 'data-testid="import-errors-label">error</span>' in page


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [("fr", "ligne", "lignes"), ("en", "row", "rows")],
)
def test_row_label_takes_its_plural(
    a_admin: Any, client_for: Any, language: str, one: str, two: str
) -> None:
    client = reading(client_for(a_admin), language)
    single = HEADER + "host-1,Serveur,server,,,,,,,,,\n"
    page = client.get(upload(client, single, name="one.csv")["Location"]).content.decode()
    assert f'import-rows">1</span><span class="stat-label">{one}</span>' in page
    page = client.get(upload(client, GOOD, name="two.csv")["Location"]).content.decode()
    assert f'import-rows">2</span><span class="stat-label">{two}</span>' in page


def test_sbom_import_with_defaults_sets_care_unit_criticality_and_exposure_on_all_components(
    a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    response = upload(
        client,
        SBOM.read_bytes(),
        name="device.cdx.json",
        medical_device="on",
        location="Réanimation",
        criticality="life-sustaining",
        exposure="isolated",
    )
    assert response.status_code == 302
    job = InventoryImport.objects.get()
    assert job.state == "preview", job.errors
    client.post(f"/o/chu-alpha/inventory/import/{job.pk}/commit/")
    assets = Asset.objects.all()
    assert assets.count() > 10
    assert set(assets.values_list("location", "criticality", "exposure")) == {
        ("Réanimation", "life-sustaining", "isolated")
    }


def test_csv_rows_keep_their_own_values_over_the_defaults(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    upload(client, GOOD, location="Urgences", criticality="support", exposure="internet")
    job = InventoryImport.objects.get()
    client.post(f"/o/chu-alpha/inventory/import/{job.pk}/commit/")
    host = Asset.objects.get(external_id="host-1")
    assert (host.location, host.criticality, host.exposure) == ("Imagerie", "clinical", "internal")


def test_import_form_shows_the_defaults_and_refuses_bad_ones(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    form = client.get("/o/chu-alpha/inventory/import/").content.decode()
    for field in ("location", "criticality", "exposure"):
        assert f'name="{field}"' in form
    assert "Unité de soins pour tout le fichier" in form
    assert "Laisser inconnue" in form
    refused = upload(client, GOOD, criticality="vital", location="Réa\u202eanimation")
    assert refused.status_code == 200
    page = refused.content.decode()
    assert 'id="id_criticality_error"' in page
    assert 'id="id_location_error"' in page
    assert not InventoryImport.objects.exists()


def api_headers(user: Any) -> dict[str, str]:
    _token, secret = create_token(user=user, name="cmdb sync", scope="write")
    return {"Authorization": f"Bearer {secret}"}


def test_api_import_applies_the_defaults(a_admin: Any) -> None:
    response = Client().post(
        API,
        {
            "file": SimpleUploadedFile("device.cdx.json", Path(SBOM).read_bytes()),
            "commit": "true",
            "location": "Bloc opératoire",
            "criticality": "clinical",
            "exposure": "vendor-remote",
        },
        headers=api_headers(a_admin),
    )
    assert response.status_code == 201, response.content
    assert set(Asset.objects.values_list("location", "criticality", "exposure")) == {
        ("Bloc opératoire", "clinical", "vendor-remote")
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("criticality", "vital"), ("exposure", "everywhere"), ("location", "x" * 201)],
)
def test_api_refuses_bad_defaults_in_the_one_error_format(
    a_admin: Any, field: str, value: str
) -> None:
    response = Client().post(
        API,
        {"file": SimpleUploadedFile("inv.csv", GOOD.encode()), field: value},
        headers=api_headers(a_admin),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert not InventoryImport.objects.exists()


def test_api_problems_carry_their_code_and_params_besides_the_message(a_admin: Any) -> None:
    response = Client().post(
        API,
        {"file": SimpleUploadedFile("inv.csv", (GOOD + "x,y,nope,,,,,,,,,\n").encode())},
        headers=api_headers(a_admin),
    )
    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["code"] == "unknown_value"
    assert problem["params"]["value"] == "nope"
    assert problem["message"].startswith("unknown kind 'nope'")
    assert "new" not in response.json()["summary"]
