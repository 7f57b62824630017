"""The API tokens page says what tokens are for today, and promises nothing that does not exist."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("language", ["fr", "en"])
def test_tokens_page_describes_the_rest_api_and_promises_no_taxii(
    a_admin: Any, client_for: Any, language: str
) -> None:
    page = client_for(a_admin).get("/accounts/tokens/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    text = page.content.decode()
    assert "TAXII" not in text
    assert "/api/v1/" in text
    assert ("API REST" if language == "fr" else "REST API") in text
