"""Ordering of real version strings: NVD bounds and CPE dictionary versions."""

from __future__ import annotations

import itertools

import pytest

from vigie.engines.versions import compare_versions, version_key


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        # numeric segments compare as numbers
        ("1.9", "1.10"),
        ("2.8.13", "2.8.123"),
        ("0.9.8", "0.10"),
        ("9.8", "10.0"),
        # OpenSSL letter releases (CVE-2014-0224 bounds 0.9.8za, 1.0.0m, 1.0.1h)
        ("1.0.2", "1.0.2k"),
        ("1.0.2k", "1.0.2l"),
        ("0.9.8y", "0.9.8z"),
        ("0.9.8z", "0.9.8za"),
        ("0.9.8za", "0.9.8zh"),
        ("1.0.1g", "1.0.1h"),
        ("1.0.0l", "1.0.0m"),
        ("1.0.2zh", "1.0.3"),
        # gSOAP CVE-2019-7659: 2.8.123e is far above the 2.8.75 fix
        ("2.8.75", "2.8.123e"),
        ("2.8.123", "2.8.123e"),
        ("2.8.123e", "2.8.124"),
        # patch levels: sudo, OpenSSH, FreeBSD
        ("1.9.5", "1.9.5p1"),
        ("1.9.5p1", "1.9.5p2"),
        ("1.9.5p2", "1.9.6"),
        ("8.5", "8.5p1"),
        ("8.4p1", "8.5"),
        ("13.2-p2", "13.2-p11"),
        ("1.9.5p1", "1.9.5.1"),
        # pre-releases below the release
        ("1.0rc1", "1.0"),
        ("1.0rc1", "1.0rc2"),
        ("1.0rc2", "1.0rc10"),
        ("14.0-rc3", "14.0-rc4"),
        ("14.0-rc4", "14.0"),
        ("14.0-beta5", "14.0-rc3"),
        ("1.0a1", "1.0b1"),
        ("1.0b2", "1.0rc1"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-beta"),
        ("2.0.0-SNAPSHOT", "2.0.0"),
        ("1.0.dev1", "1.0a1"),
        ("3.11.0alpha1", "3.11.0"),
        ("6.8-rc3", "6.8"),
        ("1.21.0-0", "1.21.4"),
        # builds: Citrix 13.1 build 49.15 < build 51.15; sudo 10.3.2-10 (BeyondTrust)
        ("13.1-49.15", "13.1-51.15"),
        ("13.1", "13.1-49.15"),
        ("13.1-51.15", "14.1-4.42"),
        ("10.3.2-9", "10.3.2-10"),
        ("12.5.3-035", "13.0"),
        ("12.5.2", "12.5.3-035"),
        # dates
        ("2021-03-02", "2021-03-15"),
        ("2020-12-31", "2021-01-01"),
        ("20210302", "20210315"),
        # Medtronic-style firmware letters
        ("2.4", "2.4a"),
        ("2.4a", "2.4b"),
        ("2.4b", "2.5"),
        # leading v, case
        ("v1.2", "1.3"),
        ("1.2", "V1.3"),
    ],
)
def test_real_versions_order(lower: str, higher: str) -> None:
    assert compare_versions(lower, higher) == -1
    assert compare_versions(higher, lower) == 1
    assert version_key(lower) < version_key(higher)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.0", "1.0.0"),
        ("v2.1", "2.1"),
        ("2.0rc1", "2.0.0-rc1"),
        ("1.0-final", "1.0"),
        ("1.0.GA", "1.0"),
        ("1.9.5p1", "1.9.5patch1"),
        ("1.9.5-P1", "1.9.5p1"),
        ("1.0.2K", "1.0.2k"),
        ("21.0.7.3", "21.0.7.3"),
        ("", ""),
    ],
)
def test_equivalent_spellings_compare_equal(a: str, b: str) -> None:
    assert compare_versions(a, b) == 0
    assert version_key(a) == version_key(b)


def test_lone_letters_are_suffixes_but_a_number_makes_them_pre_releases() -> None:
    # OpenSSL 1.0.1a is a release after 1.0.1; Python 1.0a1 is an alpha before 1.0.
    assert compare_versions("1.0.1a", "1.0.1") == 1
    assert compare_versions("1.0a1", "1.0") == -1
    assert compare_versions("1.0.1b", "1.0.1a") == 1


def test_openssl_letter_releases_sort_like_the_project_publishes_them() -> None:
    published = ["0.9.8", "0.9.8a", "0.9.8y", "0.9.8z", "0.9.8za", "0.9.8zh", "1.0.0",
                 "1.0.0a", "1.0.0t", "1.0.1", "1.0.1g", "1.0.1h", "1.0.1u", "1.0.2",
                 "1.0.2k", "1.0.2zh", "1.1.0", "1.1.1", "1.1.1w", "3.0.0-alpha1",
                 "3.0.0-beta2", "3.0.0", "3.0.4", "3.0.5", "3.0.14"]  # fmt: skip
    shuffled = published[:]
    shuffled.reverse()
    shuffled[::2] = shuffled[::2][::-1]
    assert sorted(shuffled, key=version_key) == published


def test_keys_of_any_two_strings_compare_without_type_error() -> None:
    odd = ["", "*", "-", "abc", "1.0", "1.0a", "v", "..", "1_2", "@remix-run/deno@1.10.0",
           "2024-07-27", "r0.13", "1:6-6", "m4/m5", "8.02+15.10.20150603.1-0ubuntu1",
           "3.0.195.21", "master", "x", "14.0:rc4-p1", "1.1.0~beta1", "💥", "0", "00"]  # fmt: skip
    for a, b in itertools.product(odd, repeat=2):
        result = compare_versions(a, b)
        assert result in (-1, 0, 1)
        assert result == -compare_versions(b, a)
    assert sorted(odd, key=version_key)  # sorting mixed strings works


def test_order_is_transitive_on_a_real_sample() -> None:
    sample = ["1.8.2", "1.8.31", "1.8.32", "1.9.0", "1.9.4p2", "1.9.5", "1.9.5p1", "1.9.5p2",
              "1.9.5patch1", "2.8.74", "2.8.75", "2.8.123e", "13.1-49.15", "13.1-51.15",
              "14.0-rc4", "14.0", "8.5p1", "9.8", "0.9.8za", "1.0.1h", "2.4a", "v3"]  # fmt: skip
    keys = {v: version_key(v) for v in sample}
    for a, b, c in itertools.product(sample, repeat=3):
        if keys[a] <= keys[b] <= keys[c]:
            assert keys[a] <= keys[c]


def test_version_key_is_a_flat_tuple_ending_with_the_end_marker() -> None:
    key = version_key("1.0rc1")
    assert isinstance(key, tuple)
    assert all(not isinstance(item, tuple) for item in key)
    assert key[-2:] == (1, 0)
