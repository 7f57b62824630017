"""The incident report as PDF: the reader's language and time zone, the TLP marking on every
page, report text printed as text, and nothing fetched from anywhere."""

from __future__ import annotations

import copy
import io
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from vigie.incidents import report_pdf
from vigie.incidents.report_pdf import pdf_filename, render_pdf

HOSTILE = '<img src="http://127.0.0.1:9/x"> <script>alert(1)</script>'


def snapshot(**incident: Any) -> dict[str, Any]:
    """A report as `vigie.incidents.reports.snapshot` writes it, built by hand."""
    return {
        "schema": "vigie-incident-report/1",
        "obligation": "nis2_notification",
        "regulation": "nis2",
        "generated_at": "2026-07-02T06:05:00+00:00",
        "establishment": {
            "name": "Centre hospitalier de Saint-Exemple",
            "finess": "750712184",
            "structure_type": "ch",
            "region": "idf",
            "ght": "GHT Exemple",
            "nis2_class": "essential",
            "ose": True,
        },
        "incident": {
            "reference": "INC-2026-0003",
            "title": "Chiffrement des serveurs du DPI",
            "description": "Note de rançon trouvée sur le serveur.",
            "category": "ransomware",
            "origin": "malicious",
            "phase": "containment",
            "severity": 1,
            "major": True,
            "tlp": "amber",
            "pap": "amber",
            "support_requested": True,
            "suspected_malicious": True,
            "cross_border": False,
            **incident,
        },
        "times": {
            "first_malicious_action": "2026-06-30T22:40:00+00:00",
            "detected": "2026-07-01T08:17:00+00:00",
            "aware": "2026-07-01T08:30:00+00:00",
            "declared": "2026-07-01T09:00:00+00:00",
            "contained": None,
            "recovered": None,
            "closed": None,
        },
        "patient_impact": {
            "degraded_mode": True,
            "degraded_from": "2026-07-01T08:45:00+00:00",
            "degraded_until": None,
            "degraded_units": "Urgences, bloc opératoire",
            "care_is_interrupted": True,
            "emergency": "diversion",
            "plan_blanc": True,
            "transfers": {
                "adult": 3,
                "paediatric": 1,
                "intensive_care": 2,
                "neonatal": 0,
                "total": 6,
            },
            "deprogrammed_interventions": 12,
            "deprogrammed_consultations": 40,
            "life_support_affected": False,
            "medical_devices_affected": True,
            "delayed_care": True,
            "endangerment": "potential",
        },
        "data_impact": {
            "availability": True,
            "integrity": False,
            "confidentiality": True,
            "personal_data": True,
            "health_data": True,
            "people_categories": "patients",
            "people_count": 1200,
            "records_count": None,
            "high_risk_to_people": False,
            "late_reasons": "",
        },
        "ransom": {
            "demanded": True,
            "paid": False,
            "amount": "250000.00",
            "currency": "EUR",
            "actor": "LockBit",
            "leak_site": False,
        },
        "affected_assets": [
            {"identifier": f"srv-dpi-{n:02d}", "name": f"Serveur DPI {n}"} for n in range(60)
        ],
        "mitigations": [
            {"step": "isolate_affected_systems", "title": "", "done": "2026-07-01T09:30:00+00:00"},
            {"step": "", "title": "Coupure du VPN", "done": "2026-07-01T10:00:00+00:00"},
        ],
        "obligations": [
            {
                "code": "nis2_early_warning",
                "regulation": "nis2",
                "due": "2026-07-02T08:30:00+00:00",
                "status": "submitted",
                "submitted": "2026-07-01T12:00:00+00:00",
            },
            {
                "code": "nis2_notification",
                "regulation": "nis2",
                "due": "2026-07-04T08:30:00+00:00",
                "status": "pending",
                "submitted": None,
            },
        ],
    }


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


class RecordingFetcher(report_pdf.NoFetching):
    made: list[RecordingFetcher] = []

    def __init__(self) -> None:
        super().__init__()
        RecordingFetcher.made.append(self)


@pytest.fixture
def fetchers(monkeypatch: pytest.MonkeyPatch) -> list[RecordingFetcher]:
    """The URL fetchers the renderer made, each with the URLs it refused."""
    RecordingFetcher.made = []
    monkeypatch.setattr(report_pdf, "NoFetching", RecordingFetcher)
    return RecordingFetcher.made


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real server on 127.0.0.1: a fetch would show up as a connection to accept."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


def test_the_french_report_names_the_establishment_case_and_marking() -> None:
    pdf = render_pdf(snapshot(), language="fr", time_zone="Europe/Paris")

    assert pdf.startswith(b"%PDF")
    text = "\n".join(pages(pdf))
    assert "750712184" in text
    assert "INC-2026-0003" in text
    assert "TLP:AMBER" in text
    assert "Entité essentielle" in text  # the NIS2 class, from the French catalogue
    assert "juillet 2026" in text  # dates in French
    assert "Essential entity" not in text
    assert "July" not in text


def test_the_english_report_is_in_english() -> None:
    text = "\n".join(pages(render_pdf(snapshot(), language="en", time_zone="Europe/Paris")))

    assert "Essential entity" in text
    assert "Transfers" in text
    assert "July 2026" in text
    assert "juillet" not in text


def test_every_page_carries_the_tlp_marking_top_and_bottom_and_its_number() -> None:
    report = snapshot(tlp="red")
    texts = pages(render_pdf(report, language="en", time_zone="Europe/Paris"))

    assert len(texts) > 1  # sixty assets do not fit on one page
    for number, text in enumerate(texts, start=1):
        assert text.count("TLP:RED") >= 2, text
        assert f"{number} / {len(texts)}" in text


@pytest.mark.parametrize(
    ("time_zone", "local", "other"),
    [
        ("Europe/Paris", "10:17", "08:17"),  # UTC+2 in summer
        ("America/Cayenne", "05:17", "10:17"),  # Guyane, UTC-3
        ("Indian/Reunion", "12:17", "10:17"),  # La Réunion, UTC+4
    ],
)
def test_times_are_shown_in_the_readers_zone(time_zone: str, local: str, other: str) -> None:
    text = "\n".join(pages(render_pdf(snapshot(), language="fr", time_zone=time_zone)))

    assert f"1 juillet 2026 {local}" in text  # detected at 08:17 UTC
    assert other not in text


def test_report_text_is_printed_as_text_and_nothing_is_fetched(
    fetchers: list[RecordingFetcher], listener: socket.socket
) -> None:
    report = snapshot(description=HOSTILE, title="<b>Titre</b>")

    pdf = render_pdf(report, language="fr", time_zone="Europe/Paris")

    text = "\n".join(pages(pdf))
    assert '<img src="http://127.0.0.1:9/x">' in text
    assert "<script>alert(1)</script>" in text
    assert "<b>Titre</b>" in text
    assert fetchers, "the renderer did not use its URL fetcher"
    assert [url for fetcher in fetchers for url in fetcher.refused] == []
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_the_renderer_refuses_every_url_even_in_its_own_markup(
    fetchers: list[RecordingFetcher], listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were markup ever to reach WeasyPrint, its images and stylesheets are not fetched."""
    port = listener.getsockname()[1]
    image = f"http://127.0.0.1:{port}/x.png"
    stylesheet = f"http://127.0.0.1:{port}/x.css"
    markup = f'<link rel="stylesheet" href="{stylesheet}"><p>Texte</p><img src="{image}">'
    monkeypatch.setattr(report_pdf, "render_to_string", lambda *args, **kwargs: markup)

    pdf = render_pdf(snapshot(), language="fr", time_zone="Europe/Paris")

    assert pdf.startswith(b"%PDF")
    refused = {url for fetcher in fetchers for url in fetcher.refused}
    assert refused == {image, stylesheet}
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_codes_of_a_newer_schema_and_missing_sections_still_render() -> None:
    report = copy.deepcopy(snapshot(category="quantum_attack", tlp="amber+strict"))
    report["obligation"] = "future_obligation"
    report["obligations"].append(
        {"code": "future_obligation", "regulation": "future", "due": "not a time", "status": "new"}
    )
    del report["ransom"], report["patient_impact"]["transfers"]

    text = "\n".join(pages(render_pdf(report, language="en", time_zone="UTC")))

    assert "quantum_attack" in text
    assert "future_obligation" in text
    assert "TLP:AMBER+STRICT" in text
    assert render_pdf({}, language="fr", time_zone="Europe/Paris").startswith(b"%PDF")


def test_the_file_name_holds_the_reference_and_the_obligation_only() -> None:
    assert pdf_filename(snapshot()) == "INC-2026-0003-nis2_notification.pdf"
    hostile = snapshot(reference='../INC 2026/"0003"\r\n')
    hostile["obligation"] = "nis2_final;rm -rf"
    name = pdf_filename(hostile)
    assert name == "INC_2026_0003_-nis2_final_rm_-rf.pdf"
    assert pdf_filename({}) == "incident-report.pdf"
