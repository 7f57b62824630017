"""Type names, canonical values and TLP spellings of docs INTERFACES ("Indicators")."""

from __future__ import annotations

import pytest

from vigie.engines.indicators import (
    TLP_BY_MARKING_ID,
    TLP_ORDER,
    IndicatorProblemError,
    IndicatorType,
    Tlp,
    infer_and_normalise,
    infer_type,
    normalise,
    tlp_from_text,
    type_from_name,
)

T = IndicatorType


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("domain", T.DOMAIN),
        ("hostname", T.DOMAIN),
        ("domain-name", T.DOMAIN),
        ("fqdn", T.DOMAIN),
        ("ipv4", T.IPV4),
        ("ip", T.IPV4),
        ("ipv4-addr", T.IPV4),
        ("ip-src", T.IPV4),
        ("ip-dst", T.IPV4),
        ("ipv6", T.IPV6),
        ("ipv6-addr", T.IPV6),
        ("cidr", T.CIDR),
        ("ip-range", T.CIDR),
        ("network", T.CIDR),
        ("url", T.URL),
        ("uri", T.URL),
        ("link", T.URL),
        ("md5", T.MD5),
        ("sha1", T.SHA1),
        ("sha256", T.SHA256),
        ("sha-1", T.SHA1),
        ("sha-256", T.SHA256),
        ("file-md5", T.MD5),
        ("file-sha1", T.SHA1),
        ("file-sha256", T.SHA256),
        ("email", T.EMAIL),
        ("email-addr", T.EMAIL),
        ("email-src", T.EMAIL),
        ("email-dst", T.EMAIL),
    ],
)
def test_every_interfaces_alias_names_its_type(name: str, expected: IndicatorType) -> None:
    assert type_from_name(name) is expected
    assert type_from_name(f"  {name.upper()} ") is expected


def test_an_unknown_type_name_gives_none() -> None:
    assert type_from_name("regkey") is None
    assert type_from_name("") is None


@pytest.mark.parametrize(
    ("type_", "value", "expected"),
    [
        (T.DOMAIN, "  Example.COM. ", (T.DOMAIN, "example.com")),
        (T.DOMAIN, "münchen.de", (T.DOMAIN, "xn--mnchen-3ya.de")),
        (T.DOMAIN, "пример.рф", (T.DOMAIN, "xn--e1afmkfd.xn--p1ai")),
        (T.DOMAIN, "evil[.]example[.]com", (T.DOMAIN, "evil.example.com")),
        (T.DOMAIN, "_dmarc.example.com", (T.DOMAIN, "_dmarc.example.com")),
        (T.DOMAIN, "*.example.com", (T.DOMAIN, "example.com")),
        (T.DOMAIN, "1.2.3.4", (T.IPV4, "1.2.3.4")),
        (T.IPV4, "10.1.2.3", (T.IPV4, "10.1.2.3")),
        (T.IPV4, "10.1.2.3/8", (T.IPV4, "10.0.0.0/8")),
        (T.IPV4, "10.1.2.3/32", (T.IPV4, "10.1.2.3")),
        (T.IPV4, "192.168.1[.]1", (T.IPV4, "192.168.1.1")),
        (T.IPV4, "2001:DB8::1", (T.IPV6, "2001:db8::1")),
        (T.IPV6, "2001:0DB8:0000:0000:0000:0000:0000:0001", (T.IPV6, "2001:db8::1")),
        (T.IPV6, "2001:db8::1/128", (T.IPV6, "2001:db8::1")),
        (T.IPV6, "2001:db8:0:0:1::/48", (T.IPV6, "2001:db8::/48")),
        (T.IPV6, "::ffff:1.2.3.4", (T.IPV6, "::ffff:102:304")),
        (T.CIDR, "10.1.2.3/8", (T.CIDR, "10.0.0.0/8")),
        (T.CIDR, "10.1.2.3", (T.CIDR, "10.1.2.3/32")),
        (T.CIDR, "2001:DB8::/32", (T.CIDR, "2001:db8::/32")),
        (T.URL, "HTTP://Example.COM/Path?Q=A", (T.URL, "http://example.com/Path?Q=A")),
        (T.URL, "hxxps://evil[.]example/x", (T.URL, "https://evil.example/x")),
        (T.URL, "http://user@Host.example:8080/", (T.URL, "http://user@host.example:8080/")),
        (T.URL, "http://[2001:DB8::1]:80/a", (T.URL, "http://[2001:db8::1]:80/a")),
        (T.URL, "https://bücher.example/", (T.URL, "https://xn--bcher-kva.example/")),
        (T.MD5, "D41D8CD98F00B204E9800998ECF8427E", (T.MD5, "d41d8cd98f00b204e9800998ecf8427e")),
        (
            T.SHA1,
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
            (T.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ),
        (T.EMAIL, "Jean.Dupont@Hopital.FR", (T.EMAIL, "Jean.Dupont@hopital.fr")),
        (T.EMAIL, "phish[@]evil[.]example", (T.EMAIL, "phish@evil.example")),
    ],
)
def test_values_normalise_to_one_canonical_spelling(
    type_: IndicatorType, value: str, expected: tuple[IndicatorType, str]
) -> None:
    assert normalise(type_, value) == expected


@pytest.mark.parametrize(
    ("type_", "value", "reason"),
    [
        (T.DOMAIN, "not a domain", "not_a_domain"),
        (T.DOMAIN, "a" * 64 + ".com", "not_a_domain"),
        (T.DOMAIN, "-bad.com", "not_a_domain"),
        (T.DOMAIN, "   ", "empty"),
        (T.IPV4, "256.1.1.1", "not_an_address"),
        (T.IPV4, "010.1.1.1", "not_an_address"),
        (T.IPV4, "10.0.0.0/33", "not_an_address"),
        (T.IPV6, "2001:db8::g", "not_an_address"),
        (T.CIDR, "example.com", "not_a_network"),
        (T.URL, "example.com/path", "not_absolute"),
        (T.URL, "http:///path", "bad_host"),
        (T.URL, "http://exa mple.com/", "bad_character"),
        (T.MD5, "d41d8cd98f00b204e9800998ecf8427", "not_a_hash"),
        (T.SHA256, "z" * 64, "not_a_hash"),
        (T.EMAIL, "nobody", "not_an_email"),
        (T.EMAIL, "a@not a domain", "not_a_domain"),
    ],
)
def test_unusable_values_raise_bad_value_with_a_reason_code(
    type_: IndicatorType, value: str, reason: str
) -> None:
    with pytest.raises(IndicatorProblemError) as caught:
        normalise(type_, value)
    assert caught.value.code == "bad_value"
    assert caught.value.params["type"] == type_.value
    assert caught.value.params["reason"] == reason


def test_a_long_bad_value_is_cut_in_the_problem_parameters() -> None:
    with pytest.raises(IndicatorProblemError) as caught:
        normalise(T.MD5, "x" * 5000)
    assert len(str(caught.value.params["value"])) <= 201


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8.8.8.8", T.IPV4),
        ("10.0.0.0/8", T.CIDR),
        ("2001:db8::1", T.IPV6),
        ("2001:db8::/32", T.CIDR),
        ("d41d8cd98f00b204e9800998ecf8427e", T.MD5),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", T.SHA1),
        ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", T.SHA256),
        ("http://example.com/a", T.URL),
        ("hxxp://example[.]com/a", T.URL),
        ("a@example.com", T.EMAIL),
        ("example.com", T.DOMAIN),
        ("example.com/path/x.php", T.URL),
        (".xyz", T.DOMAIN),
        ("localhost", None),
        ("/just/a/path", None),
        ("", None),
    ],
)
def test_plain_values_infer_their_type_from_their_shape(
    value: str, expected: IndicatorType | None
) -> None:
    assert infer_type(value) is expected


def test_a_scheme_less_trail_becomes_an_http_url() -> None:
    assert infer_and_normalise("Evil.example/Gate.php") == (T.URL, "http://evil.example/Gate.php")


def test_a_value_of_no_known_shape_is_an_unknown_type() -> None:
    with pytest.raises(IndicatorProblemError) as caught:
        infer_and_normalise("localhost")
    assert caught.value.code == "unknown_type"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TLP:AMBER+STRICT", Tlp.AMBER_STRICT),
        ("amber+strict", Tlp.AMBER_STRICT),
        ("  tlp:white ", Tlp.CLEAR),
        ("WHITE", Tlp.CLEAR),
        ("TLP:CLEAR", Tlp.CLEAR),
        ("tlp:green", Tlp.GREEN),
        ("Amber", Tlp.AMBER),
        ("TLP: RED", Tlp.RED),
        ("tlp:ex:chr", None),
        ("purple", None),
    ],
)
def test_tlp_reads_from_the_spellings_people_use(text: str, expected: Tlp | None) -> None:
    assert tlp_from_text(text) is expected


def test_tlp_order_runs_from_least_to_most_restrictive() -> None:
    assert TLP_ORDER == (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)


def test_tlp_marking_ids_cover_tlp_1_and_tlp_2() -> None:
    from stix2.v21 import common

    assert TLP_BY_MARKING_ID[common.TLP_WHITE.id] is Tlp.CLEAR
    assert TLP_BY_MARKING_ID[common.TLP_GREEN.id] is Tlp.GREEN
    assert TLP_BY_MARKING_ID[common.TLP_AMBER.id] is Tlp.AMBER
    assert TLP_BY_MARKING_ID[common.TLP_RED.id] is Tlp.RED
    amber_strict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    assert TLP_BY_MARKING_ID[amber_strict] is Tlp.AMBER_STRICT
    assert sorted(TLP_BY_MARKING_ID.values()).count(Tlp.CLEAR) == 2
    assert len(TLP_BY_MARKING_ID) == 9
