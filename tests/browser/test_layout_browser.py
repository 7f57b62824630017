"""Long values never widen the page, in a real browser, on a desktop and on a phone, in French
and in English: a long CVSS vector, an asset name as long as the inventory allows, a CPE of
thousands of characters, the CSV header hint and an opened import warning all stay inside their
cards, and the charts' labels stay inside their drawing (cut with an ellipsis, the full label in
a tooltip)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.helpers import signed_in
from tests.vulns.exposure_support import alert_on
from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation
from vigie.vulns.models import Alert, Vulnerability

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}

# A CVSS 4.0 vector with every supplemental and environmental metric: one unbroken word.
LONG_VECTOR = (
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A/CR:H/IR:H/AR:H"
    "/MAV:N/MAC:L/MAT:N/MPR:N/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:S/S:P/AU:Y/R:U/V:C"
    "/RE:H/U:Red"
)
LONG_UNIT = "Réanimation-polyvalente-et-surveillance-continue-pédiatrique-bâtiment-B-niveau-3"

# Everything on a page must stay within its card; a table or a block that scrolls on its own
# (overflow other than visible) is a box of its own, checked as a whole.
OVERFLOWS = r"""() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${window.innerWidth}`);
  }
  const own = (el) => getComputedStyle(el).overflowX !== "visible";
  const name = (node) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    const text = (node.textContent || "").trim().slice(0, 40).replace(/\s+/g, " ");
    return `${el.tagName.toLowerCase()}${el.className ? "." + el.className : ""} «${text}»`;
  };
  // What sticks out of the window (the outermost such element, outside any scrolling box).
  for (const el of document.body.querySelectorAll("*")) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.right <= window.innerWidth + 1) continue;
    let inside = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (own(up) || up.getBoundingClientRect().right > window.innerWidth + 1) {
        inside = true;
        break;
      }
    }
    if (!inside) problems.push(`${name(el)} ends at ${rect.right}, past the window`);
  }
  for (const card of document.querySelectorAll(".card, .chart, .stat, .filters")) {
    if (card.getClientRects().length === 0 || card.closest("svg")) continue;
    const box = card.getBoundingClientRect();
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      let inner = false;
      for (let up = node.parentElement; up && up !== card; up = up.parentElement) {
        if (own(up) || up.tagName.toLowerCase() === "svg") { inner = true; break; }
      }
      if (inner) continue;
      let rect;
      if (node.nodeType === 3) {
        if (!node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        rect = range.getBoundingClientRect();
      } else {
        rect = node.getBoundingClientRect();
      }
      if (rect.width === 0 && rect.height === 0) continue;
      if (rect.right > box.right + 1 || rect.left < box.left - 1) {
        problems.push(`${name(node)} leaves ${name(card)}: ${rect.left}-${rect.right} ` +
                      `outside ${box.left}-${box.right}`);
      }
    }
    if (!own(card) && card.scrollWidth > card.clientWidth + 1) {
      problems.push(
        `${name(card)} is wider inside than out: ${card.scrollWidth} > ${card.clientWidth}`);
    }
  }
  return problems;
}"""

# Every label of a chart is drawn inside its SVG (its viewBox, or its own box without one); a
# label cut short ends with an ellipsis and carries the full label as its <title>.
CHART_LABELS = """() => {
  const problems = [];
  const svgs = [...document.querySelectorAll("figure.chart svg")];
  for (const svg of svgs) {
    if (svg.getClientRects().length === 0) continue;
    const vb = svg.viewBox.baseVal;
    const frame = vb && vb.width > 0
      ? {x: vb.x, y: vb.y, width: vb.width, height: vb.height}
      : {x: 0, y: 0, width: svg.getBoundingClientRect().width,
         height: svg.getBoundingClientRect().height};
    for (const text of svg.querySelectorAll("text")) {
      const bb = text.getBBox();
      const shown = [...text.childNodes].filter((n) => n.nodeName !== "title")
        .map((n) => n.textContent).join("").trim();
      // A pixel or two of a glyph's overhang (the accent of an Î) is the font's, not the chart's.
      if (bb.x < frame.x - 2 || bb.x + bb.width > frame.x + frame.width + 2 ||
          bb.y < frame.y - 2 || bb.y + bb.height > frame.y + frame.height + 2) {
        problems.push(`«${shown}» at ${bb.x},${bb.y} ${bb.width}x${bb.height} ` +
                      `leaves ${frame.width}x${frame.height}`);
      }
      if (shown.endsWith("…")) {
        const title = text.querySelector("title");
        const full = title ? title.textContent : "";
        if (!full || full.length <= shown.length || !full.startsWith(shown.slice(0, -1).trim())) {
          problems.push(`«${shown}» is cut without its full label`);
        }
      }
    }
  }
  return {count: svgs.length, problems};
}"""


def _context(browser: Any, live_server: Any, user: Any, language: str, viewport: str) -> Any:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR" if language == "fr" else "en-GB",
        viewport={"width": width, "height": height},
    )
    user.language = language
    user.save()
    client = signed_in(user)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": host,
                "path": "/",
            },
            {"name": "vigie-language", "value": language, "domain": host, "path": "/"},
        ]
    )
    return context


def _check(page: Any, url: str, *, charts: bool = False) -> list[str]:
    problems = [f"{url}: {p}" for p in page.evaluate(OVERFLOWS)]
    if charts:
        found = page.evaluate(CHART_LABELS)
        assert found["count"] > 0, f"{url} shows no chart"
        problems += [f"{url}: {p}" for p in found["problems"]]
    return problems


@pytest.fixture
def long_data(est_a: Organisation) -> dict[str, Any]:
    name_limit = Asset._meta.get_field("name").max_length
    assert name_limit is not None
    long_name = "Pompe-à-perfusion-" + "x" * (name_limit - len("Pompe-à-perfusion-"))
    pump = Asset.objects.create(
        organisation=est_a,
        external_id="pump-" + "y" * 250,
        name=long_name,
        kind="medical-device",
        vendor="BD",
        product="Alaris",
        version="9.1",
        location=LONG_UNIT,
        criticality="life-sustaining",
        owner="biomedical-" + "z" * 150,
        cpes=["cpe:2.3:h:bd:alaris:9.1:" + "w" * 3000 + ":*:*:*:*:*:*"],
    )
    short = Asset.objects.create(
        organisation=est_a, external_id="pacs", name="PACS", kind="server", location="Radiologie"
    )
    alert = alert_on(est_a, "CVE-2026-4242", "act", [pump, short])
    Vulnerability.objects.filter(pk=alert.vulnerability_id).update(
        title="Dépassement de tampon dans le module " + "Q" * 200,
        description="Une requête " + "R" * 600 + " contourne l’authentification.",
        cvss_version="4.0",
        cvss_vector=LONG_VECTOR,
        cvss_score=9.8,
        references=["https://example.org/" + "a" * 400],
    )
    alert_on(est_a, "CVE-2026-4243", "attend", [short], age=dt.timedelta(days=20))
    return {"pump": pump, "alert": Alert.objects.get(pk=alert.pk)}


def _warning_sbom(folder: Path) -> Path:
    """A CycloneDX file that is valid but has warnings with long values."""
    path = folder / ("sbom-" + "n" * 120 + ".cdx.json")
    path.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "version": 1,
                "components": [
                    {
                        "bom-ref": "pump-firmware",
                        "type": "firmware-" + "t" * 400,
                        "name": "Firmware",
                        "version": "9.1",
                        "cpe": "cpe:2.3:" + "c" * 500,
                    }
                ],
            }
        )
    )
    return path


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_long_values_stay_inside_their_cards_on_establishment_pages(
    browser: Any,
    live_server: Any,
    a_admin: Any,
    long_data: dict[str, Any],
    language: str,
    viewport: str,
    tmp_path: Path,
) -> None:
    context = _context(browser, live_server, a_admin, language, viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    base = "/o/chu-alpha"
    problems: list[str] = []
    try:
        for url, charts in [
            (f"{base}/", True),
            (f"{base}/alerts/", False),
            (f"{base}/alerts/{long_data['alert'].pk}/", False),
            (f"{base}/inventory/", False),
            (f"{base}/inventory/assets/{long_data['pump'].pk}/", False),
            (f"{base}/inventory/import/", False),
            (f"{base}/alerts/settings/", False),
        ]:
            page.goto(url)
            assert page.locator("h1").count() == 1, url
            if url == f"{base}/alerts/{long_data['alert'].pk}/":
                page.locator("details summary").first.click()  # the references
            problems += _check(page, url, charts=charts)
        # An import whose file has warnings, the warnings opened.
        page.goto(f"{base}/inventory/import/")
        page.set_input_files("#id_file", str(_warning_sbom(tmp_path)))
        with page.expect_navigation():
            page.locator("form.card button[type=submit]").click()
        warnings = page.get_by_test_id("import-warning-table")
        page.locator("details.card > summary").click()
        assert warnings.is_visible()
        assert "t" * 100 in warnings.inner_text()
        problems += _check(page, "import preview")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_long_values_stay_inside_their_cards_on_the_centre_pages(
    browser: Any,
    live_server: Any,
    centre_analyst: Any,
    long_data: dict[str, Any],
    language: str,
    viewport: str,
) -> None:
    context = _context(browser, live_server, centre_analyst, language, viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    try:
        for url in ["/o/centre/", "/o/centre/establishments/chu-alpha/"]:
            page.goto(url)
            assert page.locator("h1").count() == 1, url
            problems += _check(page, url, charts=True)
        assert long_data["pump"].name[:40] in page.get_by_test_id("exposure-assets").inner_text()
    finally:
        context.close()
    assert not problems, "\n".join(problems)
