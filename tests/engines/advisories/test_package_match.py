"""purl matching against advisory packages with `vers:` ranges."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigie.engines.advisories.package_match import PackageIndex, match_package, purl_key
from vigie.engines.inventory import read_cyclonedx
from vigie.engines.records import AssetRecord, PackageRange

DATA = Path(__file__).resolve().parents[2] / "data" / "inventory"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("pkg:pypi/Django_Rest.Framework@3.0", "pkg:pypi/django-rest-framework"),
        ("pkg:PYPI/zope.interface", "pkg:pypi/zope-interface"),
        ("pkg:npm/%40Angular/Core@1.0", "pkg:npm/%40angular/core"),
        ("pkg:github/FreeRTOS/FreeRTOS", "pkg:github/freertos/freertos"),
        ("pkg:deb/Debian/OpenSSL@1.1?arch=amd64", "pkg:deb/debian/openssl?distro=bookworm"),
        ("pkg:nuget/Newtonsoft.Json@13.0.1", "pkg:nuget/newtonsoft.json"),
        ("pkg:rpm/Fedora/curl", "pkg:rpm/fedora/curl"),
    ],
)
def test_identity_follows_per_type_case_and_name_rules(left: str, right: str) -> None:
    assert purl_key(left) == purl_key(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("pkg:maven/org.apache.commons/Commons-IO", "pkg:maven/org.apache.commons/commons-io"),
        ("pkg:gem/Rails", "pkg:gem/rails"),
        ("pkg:rpm/fedora/Curl", "pkg:rpm/fedora/curl"),
        ("pkg:pypi/django", "pkg:npm/django"),
    ],
)
def test_case_sensitive_types_and_other_types_stay_distinct(left: str, right: str) -> None:
    assert purl_key(left) != purl_key(right)


def test_version_in_range_is_high_with_the_bound_in_the_reason() -> None:
    asset = AssetRecord("a", "portal", purls=("pkg:pypi/Django@3.2.1",))
    found = match_package(asset, PackageRange("pkg:pypi/django", "vers:pypi/>=3.2|<3.2.19"))
    assert found is not None
    assert found.confidence == "high"
    assert found.version_range == ">= 3.2, < 3.2.19"
    assert found.reason == (
        "package pkg:pypi/django (inventory pkg:pypi/Django@3.2.1): version 3.2.1 within "
        ">= 3.2, < 3.2.19"
    )
    assert match_package(asset, PackageRange("pkg:pypi/django", "vers:pypi/>=4.0|<4.2")) is None


def test_version_comes_from_the_asset_when_the_purl_has_none() -> None:
    assets, _, _ = read_cyclonedx(DATA / "extended.sbom.json")
    freertos = next(a for a in assets if a.product == "FreeRTOS")
    assert freertos.purls == ("pkg:github/freertos/freertos",)
    found = match_package(
        freertos, PackageRange("pkg:github/FreeRTOS/FreeRTOS", "vers:generic/<10.4")
    )
    assert found is not None
    assert (found.version, found.confidence) == ("10.0.1", "high")


def test_unknown_or_incomparable_version_is_medium() -> None:
    nameless = AssetRecord("a", "lib", purls=("pkg:pypi/requests",))
    found = match_package(nameless, PackageRange("pkg:pypi/requests", "vers:pypi/<2.31"))
    assert found is not None
    assert found.confidence == "medium"
    assert "version unknown" in found.reason
    odd = AssetRecord("b", "lib", purls=("pkg:pypi/requests@not!a!version",))
    found = match_package(odd, PackageRange("pkg:pypi/requests", "vers:pypi/<2.31"))
    assert found is not None
    assert found.confidence == "medium"


def test_all_versions_and_non_affected_statuses() -> None:
    asset = AssetRecord("a", "x", purls=("pkg:npm/lodash@4.17.20",))
    everything = match_package(asset, PackageRange("pkg:npm/lodash", "vers:npm/*"))
    assert everything is not None
    assert everything.confidence == "high"
    assert (
        match_package(asset, PackageRange("pkg:npm/lodash", "vers:npm/*", status="fixed")) is None
    )


def test_index_matches_the_real_sbom_packages_by_identity() -> None:
    assets, _, _ = read_cyclonedx(DATA / "extended.sbom.json")
    index = PackageIndex(assets)
    wolfssl = [a for a in assets if a.product.lower() == "wolfssl"]
    assert wolfssl
    purl = wolfssl[0].purls[0].split("@")[0]
    matches = index.match(PackageRange(purl, "vers:generic/<5.6.6"))
    assert {a.id for a, _ in matches} == {a.id for a in wolfssl}
    assert index.match(PackageRange("pkg:pypi/wolfssl", "vers:generic/*")) == []
