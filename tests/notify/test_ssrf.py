"""The SSRF guard: internal addresses are refused at save time and again at every send."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.notify.conftest import Receiver
from vigie.notify import outbox, ssrf
from vigie.notify.models import Channel, Delivery, DeliveryState
from vigie.tenancy.models import Organisation

PUBLIC = "93.184.215.14"  # a global unicast address; literal, so no DNS lookup is made


@pytest.fixture(autouse=True)
def no_allowance(settings: Any) -> None:
    settings.VIGIE_WEBHOOK_ALLOWED_NETWORKS = []
    settings.VIGIE_WEBHOOK_ALLOW_HTTP = True  # so refusals below are about addresses


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://172.16.5.4/hook",
        "https://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::]/hook",
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://[ff02::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:169.254.169.254]/hook",
        "https://[2002:7f00:1::1]/hook",  # 6to4 around 127.0.0.1
        "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 around 169.254.169.254
        "http://localhost/hook",
        "http://localhost:6379/",
    ],
)
def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(ssrf.UnsafeURL) as refused:
        ssrf.check_url(url)
    assert refused.value.code == "address"


def test_a_name_resolving_to_loopback_is_refused() -> None:
    def resolver(host: str, port: int) -> list[str]:
        assert host == "receiver.example.org"
        return ["127.0.0.1"]

    with pytest.raises(ssrf.UnsafeURL) as refused:
        ssrf.check_url("https://receiver.example.org/hook", resolver=resolver)
    assert refused.value.detail == "127.0.0.1"


def test_a_name_with_one_internal_address_among_public_ones_is_refused() -> None:
    with pytest.raises(ssrf.UnsafeURL):
        ssrf.check_url(
            "https://receiver.example.org/hook", resolver=lambda h, p: [PUBLIC, "10.0.0.7"]
        )


def test_a_public_receiver_is_accepted_with_its_checked_address() -> None:
    target = ssrf.check_url(
        "https://siem.example.org:8443/in?x=1", resolver=lambda h, p: [PUBLIC, "2001:4860::8888"]
    )
    assert target.host == "siem.example.org"
    assert target.port == 8443
    assert target.request_target == "/in?x=1"
    assert target.addresses == (
        ipaddress.ip_address(PUBLIC),
        ipaddress.ip_address("2001:4860::8888"),
    )


def test_plain_http_is_refused_unless_the_operator_allows_it(settings: Any) -> None:
    settings.VIGIE_WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(ssrf.UnsafeURL) as refused:
        ssrf.check_url(f"http://{PUBLIC}/hook")
    assert refused.value.code == "scheme"
    assert ssrf.check_url(f"https://{PUBLIC}/hook").scheme == "https"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.org/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        (f"https://user:pass@{PUBLIC}/hook", "credentials"),
        ("https:///hook", "host"),
        ("https://example.org:99999/", "malformed"),
    ],
)
def test_urls_that_are_not_plain_web_receivers_are_refused(url: str, code: str) -> None:
    with pytest.raises(ssrf.UnsafeURL) as refused:
        ssrf.check_url(url)
    assert refused.value.code == code


def test_a_name_that_does_not_resolve_is_reported_as_such() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(ssrf.UnresolvableHost):
        ssrf.check_url("https://nowhere.invalid/", resolver=resolver)


def test_allowed_networks_let_an_internal_receiver_through(settings: Any) -> None:
    settings.VIGIE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32", "10.20.0.0/16"]
    assert ssrf.check_url("http://127.0.0.1:9000/hook").addresses
    assert ssrf.check_url("https://10.20.3.4/hook").addresses
    assert ssrf.check_url("https://[::ffff:127.0.0.1]/hook").addresses
    for url in ("http://127.0.0.2/hook", "https://10.21.0.1/hook", "https://[::1]/"):
        with pytest.raises(ssrf.UnsafeURL):
            ssrf.check_url(url)


def test_a_malformed_allowed_network_stops_the_platform_at_start(settings: Any) -> None:
    settings.VIGIE_WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/33"]
    with pytest.raises(SystemCheckError, match="VIGIE_WEBHOOK_ALLOWED_NETWORKS"):
        call_command("check")


def test_a_receiver_that_became_internal_is_refused_at_send_time(
    receiver: Receiver, webhook: Channel, est_a: Organisation, settings: Any
) -> None:
    # Saved while the operator allowed it; then the allowance goes (as a rebinding name would
    # move from a public address to 127.0.0.1): the send checks again and refuses.
    settings.VIGIE_WEBHOOK_ALLOWED_NETWORKS = []
    [delivery] = outbox.enqueue_for_channels(
        organisation=est_a,
        event="alert.new",
        payload={},
        email_template="vulns/mail/alert",
        email_context={},
        idempotency_key="alert.new:3",
    )
    assert outbox.deliver_due() == {"dead": 1}
    delivery = Delivery.objects.get(pk=delivery.pk)
    assert delivery.state == DeliveryState.DEAD
    assert "SSRF" in delivery.last_error
    assert receiver.requests == []
