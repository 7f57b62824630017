"""Match reasons are stored as codes with parameters and shown in the reader's language.

The engine renders English (engines/reason_text.py); pages, the API and `vigie vulns match
--lang fr` render the same stored parts through gettext (vulns/reasons.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.helpers import signed_in
from vigie.engines import reason_text
from vigie.tenancy.access import OrgAccess
from vigie.vulns import reasons
from vigie.vulns.models import AlertAsset

from .support import access_of, import_csv, load_feeds

REPO = Path(__file__).resolve().parents[2]
FORTIOS_NVD = REPO / "tests" / "data" / "feeds" / "nvd" / "cve-2024-23113.json"
HEADER = "id,name,kind,vendor,product,version,cpe,purl,parent,criticality,exposure,location\n"
FIREWALL = (
    "fw-1,Pare-feu des urgences,network,Fortinet,FortiOS,7.2.5,"
    "cpe:2.3:o:fortinet:fortios:7.2.5:*:*:*:*:*:*:*,,,clinical,internet,Urgences\n"
)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def _sample(template: str) -> dict[str, Any]:
    return {name: f"«{name}»" for name in re.findall(r"%\(([a-z_]+)\)s", template)}


def test_every_engine_reason_code_has_a_platform_template_with_the_same_english() -> None:
    assert set(reasons.TEMPLATES) == set(reason_text.MESSAGES)
    with translation.override("en"):
        for code, english in reason_text.MESSAGES.items():
            assert str(reasons.TEMPLATES[code]) == english, code


def test_every_reason_code_renders_in_french_with_no_english_left() -> None:
    untranslated = []
    with translation.override("fr"):
        for code, english in reason_text.MESSAGES.items():
            if not re.search(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", english)):
                continue  # nothing but parameters (`%(criterion)s`): no words to translate
            params = _sample(english)
            french = reasons.render_part(code, params)
            if french == reason_text.render_part(code, params):
                untranslated.append(code)
            assert PLACEHOLDER.search(french) is None, code
    assert untranslated == []


def test_a_french_range_reads_as_french() -> None:
    part = (
        "cpe_versions_from_to",
        {
            "criterion": "cpe:x",
            "start": "2.4.0",
            "start_incl": True,
            "end": "2.4.59",
            "end_incl": True,
        },
    )
    with translation.override("fr"):
        assert reasons.render_part(*part) == "cpe:x versions de 2.4.0 (incluse) à 2.4.59 (incluse)"
    assert reason_text.render_part(*part) == "cpe:x versions from 2.4.0 (incl.) to 2.4.59 (incl.)"


@pytest.fixture
def firewall_alert(a_admin: Any, est_a: Any) -> AlertAsset:
    access: OrgAccess = access_of(a_admin, est_a)
    import_csv(access, HEADER + FIREWALL)
    load_feeds(FORTIOS_NVD)
    return AlertAsset.objects.select_related("alert").get(asset__external_id="fw-1")


@pytest.mark.django_db
def test_an_alert_asset_row_stores_the_reason_parts_and_the_french_page_shows_them(
    firewall_alert: AlertAsset, a_admin: Any
) -> None:
    row = firewall_alert
    codes = [part["code"] for part in row.reason_parts]
    assert codes[0].startswith("cpe_versions_")
    assert codes[-1] == "cpe_installed"
    assert row.reason_parts[-1]["params"] == {"version": "7.2.5"}
    assert row.reason == reason_text.render_reasons(reason_text.reasons_from_json(row.reason_parts))
    with translation.override("fr"):
        french = reasons.stored_reason(row.reason_parts, row.reason)
    assert "version installée : 7.2.5" in french
    assert "(incluse)" in french
    a_admin.language = "fr"
    a_admin.save()
    page = signed_in(a_admin).get(
        f"/o/chu-alpha/alerts/{row.alert_id}/", headers={"accept-language": "fr"}
    )
    html = page.content.decode()
    assert "version installée : 7.2.5" in html
    assert "; installed 7.2.5" not in html


@pytest.mark.django_db
def test_a_row_stored_before_reason_parts_shows_its_english_text(a_admin: Any) -> None:
    with translation.override("fr"):
        assert reasons.stored_reason([], "old English words") == "old English words"


@pytest.mark.django_db
def test_the_api_gives_reason_parts_and_the_reason_in_the_request_language(
    firewall_alert: AlertAsset, a_admin: Any
) -> None:
    client = signed_in(a_admin)
    url = f"/api/v1/organisations/chu-alpha/alerts/{firewall_alert.alert_id}"
    body = client.get(url, headers={"accept-language": "fr"}).json()
    asset = body["assets"][0]
    assert asset["reason_parts"] == firewall_alert.reason_parts
    assert "version installée : 7.2.5" in asset["reason"]


def _vigie(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigie.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "VIGIE_HOME": str(REPO / "var" / "test-cli")},
    )


def test_vulns_match_lang_fr_renders_reasons_in_french_and_keeps_the_parts(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(HEADER + FIREWALL, encoding="utf-8")
    common = ("vulns", "match", "--inventory", str(inventory), "--feed", str(FORTIOS_NVD))
    english = _vigie(*common)
    french = _vigie(*common, "--lang", "fr")
    assert english.returncode == 0, english.stderr
    assert french.returncode == 0, french.stderr
    en_rows, fr_rows = json.loads(english.stdout), json.loads(french.stdout)
    assert en_rows[0]["reason"].endswith("; installed 7.2.5")
    assert "version installée : 7.2.5" in fr_rows[0]["reason"]
    assert fr_rows[0]["reason_parts"] == en_rows[0]["reason_parts"]
    assert fr_rows[0]["reason_parts"][-1] == {
        "code": "cpe_installed",
        "params": {"version": "7.2.5"},
    }
    table = _vigie(*common, "--lang", "fr", "--format", "table")
    assert "version installée : 7.2.5" in table.stdout
