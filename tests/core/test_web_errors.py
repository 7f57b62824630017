"""Pages refuse bad requests with clear pages and the right status; security headers are set."""

from __future__ import annotations

from typing import Any

from django.test import Client, override_settings


def test_unknown_page_is_a_friendly_404_without_internals(a_admin: Any, client_for: Any) -> None:
    response = client_for(a_admin).get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Traceback" not in body
    assert "<main" in body


@override_settings(VIGIE_MAX_REQUEST_BYTES=2048)
def test_oversized_form_post_gets_413_page(a_admin: Any, client_for: Any) -> None:
    response = client_for(a_admin).post("/o/chu-alpha/members/", {"email": "x" * 10_000})
    assert response.status_code == 413
    # The limit is stated in the reader's language (French by default: "Mo").
    assert "Mo" in response.content.decode()


def test_missing_csrf_token_gets_a_clear_403_page(a_admin: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(a_admin)
    response = client.post("/o/chu-alpha/members/", {"email": "x@example.org", "role": "viewer"})
    assert response.status_code == 403
    assert "reload" in response.content.decode() or "recharge" in response.content.decode()


def test_every_page_sends_strict_security_headers(db: Any) -> None:
    response = Client().get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]


def test_wrong_method_on_a_page_is_405(a_admin: Any, client_for: Any) -> None:
    assert client_for(a_admin).delete("/o/chu-alpha/").status_code == 405


def test_hostile_strings_are_escaped_in_pages(a_admin: Any, client_for: Any) -> None:
    a_admin.first_name = "<script>alert(1)</script>"
    a_admin.save()
    page = client_for(a_admin).get("/o/chu-alpha/members/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_french_is_the_default_and_english_is_available(db: Any) -> None:
    assert Client().get("/accounts/login/")["Content-Language"] == "fr"
    english = Client(headers={"Accept-Language": "en"}).get("/accounts/login/")
    assert english["Content-Language"] == "en"


def test_language_switch_is_remembered_in_the_profile(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    response = client.post("/language/", {"language": "en", "next": "/o/chu-alpha/"})
    assert response["Location"] == "/o/chu-alpha/"
    a_admin.refresh_from_db()
    assert a_admin.language == "en"
    assert client.get("/o/chu-alpha/")["Content-Language"] == "en"
    # An unknown language or a foreign redirect are ignored.
    bad = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert bad["Location"] == "/"
