"""Indicators in a real browser, in French and in English: a centre analyst imports a file with
the keyboard, reads what it gave line by line, then an establishment sees only what TLP allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, add_totp, totp_code

pytestmark = pytest.mark.browser

TEXTS = {
    "fr": {
        "import": "Importer des indicateurs",
        "file": "Fichier d’indicateurs",
        "tlp": "Marquage TLP",
        "submit": "Importer",
        "line": "ligne 4",
        "warning": "List of RFC 1918 CIDR blocks",
        "filter": "Filtrer",
        "type": "Type",
        "domain": "Domaine",
        "export": "Exporter",
        "apply": "Appliquer",
        "text": "texte",
    },
    "en": {
        "import": "Import indicators",
        "file": "Indicator file",
        "tlp": "TLP marking",
        "submit": "Import",
        "line": "line 4",
        "warning": "List of RFC 1918 CIDR blocks",
        "filter": "Filter",
        "type": "Type",
        "domain": "Domain",
        "export": "Export",
        "apply": "Apply",
        "text": "text",
    },
}

CSV = """type,value,tlp
fqdn,c2.lockbit.example,amber
ip,10.20.30.40,green
ipv4,999.1.1.1,
domain,strict.example,amber+strict
"""


def _sign_in(page: Any, user: Any, landing: str) -> None:
    device = add_totp(user)
    page.goto("/accounts/login/")
    # Chromium applies autofocus a frame after load: wait for it, then type.
    expect(page.locator("input[name=username]")).to_be_focused()
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/login/verify/")
    page.get_by_label("Code", exact=False).fill(totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{landing}")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_analyst_imports_a_file_and_establishments_see_what_tlp_allows(
    page: Any,
    browser: Any,
    live_server: Any,
    centre_analyst: Any,
    a_admin: Any,
    tmp_path: Path,
    language: str,
) -> None:
    texts = TEXTS[language]
    for user in (centre_analyst, a_admin):
        user.language = language
        user.save()
    upload = tmp_path / "iocs.csv"
    upload.write_text(CSV)
    _sign_in(page, centre_analyst, "/o/centre/")
    page.goto("/o/centre/intel/indicators/")
    page.get_by_role("link", name=texts["import"]).click()
    page.get_by_label(texts["file"]).set_input_files(str(upload))
    page.get_by_label(texts["tlp"]).select_option("green")
    page.get_by_role("button", name=texts["submit"], exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    problems = page.get_by_test_id("import-problems").inner_text()
    assert texts["line"] in problems
    assert "999.1.1.1" in problems

    page.goto("/o/centre/intel/indicators/")
    table = page.get_by_test_id("indicator-list")
    assert table.locator("tr[data-indicator='domain:c2.lockbit.example']").count() == 1
    private = table.locator("tr[data-indicator='ipv4:10.20.30.40']")
    assert texts["warning"] in private.inner_text()

    # The establishment reads the AMBER and GREEN ones, never the centre's AMBER+STRICT.
    other = browser.new_context(base_url=live_server.url, locale=language)
    try:
        est_page = other.new_page()
        _sign_in(est_page, a_admin, "/o/chu-alpha/")
        est_page.goto("/o/chu-alpha/intel/indicators/")
        rows = est_page.get_by_test_id("indicator-list")
        assert rows.locator("tr[data-indicator='domain:c2.lockbit.example']").count() == 1
        assert rows.locator("tr[data-indicator='domain:strict.example']").count() == 0
        est_page.get_by_label(texts["type"], exact=True).select_option("domain")
        est_page.get_by_role("button", name=texts["filter"]).press("Enter")
        est_page.wait_for_url("**type=domain**")
        assert rows.locator("tr[data-indicator='ipv4:10.20.30.40']").count() == 0
        assert texts["domain"] in rows.inner_text()

        # Its resolver's blocklist: GREEN only, ticked and applied with the keyboard.
        est_page.get_by_role("link", name=texts["export"], exact=True).click()
        est_page.wait_for_url("**/export/")
        est_page.get_by_label("TLP:GREEN").focus()
        est_page.keyboard.press("Space")
        est_page.get_by_role("button", name=texts["apply"]).press("Enter")
        est_page.wait_for_url("**tlp=green**")
        domains = est_page.get_by_test_id("export-types").locator("tr[data-type='domain']")
        assert domains.locator("td.num").inner_text() == "0"
        ipv4 = est_page.get_by_test_id("export-types").locator("tr[data-type='ipv4']")
        # 10.20.30.40 is GREEN but on a false-positive warning list: never in a blocklist.
        assert ipv4.locator("td.num").inner_text() == "0"
        est_page.goto("/o/chu-alpha/intel/indicators/export/")
        with est_page.expect_download() as download:
            domains.get_by_role("link", name=texts["text"]).press("Enter")
        text = Path(download.value.path()).read_text()
        assert "c2.lockbit.example\n" in text
        assert "strict.example" not in text
        assert "# Share as TLP:AMBER, the strictest marking it holds" in text
    finally:
        other.close()
