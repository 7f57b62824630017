"""`vigie sensor scan` on real logs of every format it reads, the matching semantics with
near misses, and bad input. Runs the command in-process (`vigie.sensor.cli.main`) and once as
a real subprocess with Django made unimportable."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vigie.sensor.cli import main
from vigie.sensor.matcher import IndicatorSet, url_key

DATA = Path(__file__).resolve().parent.parent / "data" / "sensor"


def run(
    tmp_path: Path, indicators: str, *logs: Path | str, extra: tuple[str, ...] = ()
) -> tuple[int, list[dict[str, object]], str]:
    source = tmp_path / "indicators.csv"
    source.write_text(indicators)
    out, err = io.StringIO(), io.StringIO()
    status = main(["scan", "--indicators", str(source), *extra, *map(str, logs)], out, err)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    return status, rows, err.getvalue()


def test_zeek_dns_tsv_reports_each_line_with_its_physical_number(tmp_path: Path) -> None:
    log = DATA / "zeek_dns_head.log.gz"
    status, rows, err = run(tmp_path, "type,value\ndomain,wrccdc.org\n", log)
    assert status == 0
    text = gzip.decompress(log.read_bytes()).decode().split("\n")
    expected = [
        n
        for n, line in enumerate(text, 1)
        if not line.startswith("#")
        and line.count("\t") > 9
        and (line.split("\t")[9].endswith(".wrccdc.org") or ".wrccdc.org," in line.split("\t")[21])
    ]
    assert [r["line"] for r in rows] == expected
    first = rows[0]
    assert first["file"] == str(log)
    assert first["indicator"] == "wrccdc.org"
    assert first["type"] == "domain"
    assert first["observed"] == "ise.wrccdc.org"
    assert first["field"] == "query"
    assert first["log_type"] == "dns"
    assert "dns 3000" in err
    assert "not understood: 0" in err


def test_zeek_dns_json_and_ssl_tsv(tmp_path: Path) -> None:
    status, rows, _ = run(
        tmp_path,
        "type,value\ndomain,cdn.mozilla.net\nipv4,134.71.3.16\n",
        DATA / "zeek_dns_head.json",
        DATA / "zeek_ssl_head.log",
        extra=("--no-warning-lists",),
    )  # mozilla.net is a top site
    assert status == 0
    json_rows = [r for r in rows if r["file"].endswith(".json") and r["type"] == "ipv4"]
    assert {r["field"] for r in json_rows} == {"answers"}  # 134.71.3.16 is an answer
    assert all(r["observed"] == "134.71.3.16" for r in json_rows)
    ssl_rows = [
        r
        for r in rows
        if r["file"].endswith("ssl_head.log") and r["indicator"] == "cdn.mozilla.net"
    ]
    assert ssl_rows
    assert all(r["field"] == "server_name" for r in ssl_rows)
    assert all(str(r["observed"]).endswith(".cdn.mozilla.net") for r in ssl_rows)
    servers = [
        r for r in rows if r["file"].endswith("ssl_head.log") and r["indicator"] == "134.71.3.16"
    ]
    assert servers
    assert {r["field"] for r in servers} == {"id.resp_h"}
    assert {r["log_type"] for r in ssl_rows} == {"tls"}


def test_suricata_eve_dns_and_http(tmp_path: Path) -> None:
    log = DATA / "surevego_eve.json"
    events = [json.loads(line) for line in log.read_text().splitlines()]
    status, rows, _ = run(
        tmp_path,
        "type,value\ndomain,fastly.net\ndomain,deb.debian.org\n",
        log,
        extra=("--no-warning-lists",),
    )  # both are top sites
    assert status == 0
    dns = [r for r in rows if r["indicator"] == "fastly.net"]
    assert dns
    assert all(str(r["observed"]).endswith("fastly.net") for r in dns)
    assert [r["line"] for r in dns] == [
        n for n, e in enumerate(events, 1) if "fastly.net" in json.dumps(e.get("dns", {}))
    ]
    http = [r for r in rows if r["indicator"] == "deb.debian.org" and r["log_type"] == "http"]
    assert http
    assert {r["field"] for r in http} == {"http.hostname"}


def test_eve_current_dns_format_and_tls_sni(tmp_path: Path) -> None:
    log = tmp_path / "eve.json"
    log.write_text(
        "\n".join(
            json.dumps(e)
            for e in [
                {
                    "timestamp": "2025-01-30T16:12:27.008407+0100",
                    "event_type": "dns",
                    "src_ip": "10.0.0.2",
                    "dest_ip": "10.0.0.53",
                    "dns": {"version": 3, "type": "request", "queries": [{"rrname": "x.evil.com"}]},
                },
                {
                    "timestamp": "2025-01-30T16:12:27.1+0100",
                    "event_type": "dns",
                    "src_ip": "10.0.0.53",
                    "dest_ip": "10.0.0.2",
                    "dns": {
                        "version": 3,
                        "type": "response",
                        "queries": [{"rrname": "ok.example"}],
                        "answers": [{"rrname": "ok.example", "rdata": "x.evil.com"}],
                    },
                },
                {
                    "timestamp": "2025-01-30T16:12:28+0100",
                    "event_type": "dns",
                    "src_ip": "10.0.0.53",
                    "dest_ip": "10.0.0.2",
                    "dns": {
                        "version": 2,
                        "type": "answer",
                        "rrname": "ok.example",
                        "grouped": {"A": ["203.0.113.9"]},
                    },
                },
                {
                    "timestamp": "2025-01-30T16:12:29+0100",
                    "event_type": "tls",
                    "src_ip": "10.0.0.2",
                    "dest_ip": "198.51.100.1",
                    "tls": {"sni": "login.evil.com"},
                },
                {
                    "timestamp": "2025-01-30T16:12:30+0100",
                    "event_type": "fileinfo",
                    "src_ip": "10.0.0.9",
                    "dest_ip": "10.0.0.2",
                    "fileinfo": {"filename": "/a.exe", "sha256": "AB" * 32},
                },
            ]
        )
        + "\n"
    )
    status, rows, _ = run(
        tmp_path,
        f"type,value\ndomain,evil.com\ncidr,203.0.113.0/24\nsha256,{'ab' * 32}\n",
        log,
        extra=("--no-warning-lists",),  # 203.0.113.0/24 is on the RFC 5737 list
    )
    assert status == 0
    assert [(r["line"], r["field"]) for r in rows] == [
        (1, "dns.queries.rrname"),
        (2, "dns.answers.rdata"),
        (3, "dns.grouped.A"),
        (4, "tls.sni"),
        (5, "fileinfo.sha256"),
    ]


def test_squid_bind_and_firewall_lines(tmp_path: Path) -> None:
    firewall = tmp_path / "kern.log"
    firewall.write_text(
        "Jan 14 05:33:49 gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:00 SRC=192.0.2.77 "
        "DST=10.1.2.3 LEN=40 PROTO=TCP SPT=4000 DPT=445\n"
        "Jan 14 05:33:50 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.78 DST=10.1.2.3\n"
        "Jan 14 05:33:51 gw kernel: something else entirely\n"
    )
    status, rows, err = run(
        tmp_path,
        "type,value\ndomain,pkfsp.ru\nipv4,82.207.95.42\ndomain,redginseng.com.ua\n"
        "ipv4,192.0.2.77\n",
        DATA / "fail2ban_squid_access.log",
        DATA / "fail2ban_named-refused.log",
        firewall,
        extra=("--no-warning-lists",),  # 192.0.2.0/24 is on the RFC 5737 list
    )
    assert status == 0
    by_file = {(Path(str(r["file"])).name, r["field"], r["observed"]) for r in rows}
    assert ("fail2ban_squid_access.log", "host", "pkfsp.ru") in by_file
    assert ("fail2ban_named-refused.log", "client", "82.207.95.42") in by_file
    assert ("fail2ban_named-refused.log", "query", "redginseng.com.ua") in by_file
    assert ("kern.log", "SRC", "192.0.2.77") in by_file
    assert len([r for r in rows if r["file"] == str(firewall)]) == 1
    assert "not understood: 1" in err  # the third firewall line


def test_near_misses_are_not_sightings() -> None:
    indicators = IndicatorSet()
    indicators.add("domain", "evil.com")
    indicators.add("cidr", "198.51.100.0/25")
    indicators.add("ipv6", "2001:db8::/64")
    indicators.add("ipv4", "203.0.113.7")
    indicators.add("sha256", "a" * 64)
    indicators.add("url", "http://evil.org/gate.php")
    for name in (
        b"evil.com.example.org",
        b"notevil.com",
        b"evil.co",
        b"evil.community",
        b"com",
        b"xevil.com",
    ):
        assert indicators.domain(name) == -1, name
    for name in (b"evil.com", b"a.evil.com", b"A.B.EVIL.COM."):
        assert indicators.domain(name) >= 0, name
    assert indicators.address(b"198.51.100.127") >= 0
    assert indicators.address(b"198.51.100.128") == -1  # one past the /25
    assert indicators.address(b"198.51.99.255") == -1
    assert indicators.address(b"2001:0db8:0000:0000:ffff::1") >= 0
    assert indicators.address(b"2001:db8:0:1::1") == -1
    assert indicators.address(b"203.0.113.8") == -1
    assert indicators.file_hash(b"A" * 64) >= 0
    assert indicators.file_hash(b"a" * 63 + b"b") == -1
    assert indicators.url(b"HTTP://EVIL.ORG:80/gate%2Ephp?x=1") >= 0
    assert indicators.url(b"http://evil.org/Gate.php") == -1
    assert indicators.url(b"http://evil.org:8080/gate.php") == -1


def test_url_key_normalises_case_ports_and_percent_encoding() -> None:
    assert url_key("HTTPS://Example.COM:443") == "https://example.com/"
    assert url_key("http://a.example/%7euser/%2f%41") == "http://a.example/~user/%2FA"
    assert url_key("http://user:pw@a.example/x#frag") == "http://a.example/x"
    assert url_key("not a url") is None


def test_bad_input_is_reported_and_the_rest_still_scanned(tmp_path: Path) -> None:
    binary = tmp_path / "core.bin"
    binary.write_bytes(b"\x7fELF\x00\x00\x01" * 100)
    whole = gzip.compress((DATA / "fail2ban_squid_access.log").read_bytes() * 2000)
    truncated = tmp_path / "access.log.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    indicators = "type,value\ndomain,pkfsp.ru\nnot-a-type,x\nipv4,999.1.1.1\n"
    status, rows, err = run(tmp_path, indicators, binary, truncated, tmp_path / "missing.log")
    assert status == 1
    assert f"{binary}: binary file" in err
    assert f"{truncated}: compressed file cut short" in err
    assert "missing.log: cannot be read" in err
    assert "indicators.csv:3 [type]: unknown indicator type “not-a-type”" in err
    assert "indicators.csv:4 [value]: “999.1.1.1” is not a valid ipv4 value" in err
    assert rows
    assert all(r["file"] == str(truncated) for r in rows)
    assert "Traceback" not in err


def test_lines_not_understood_are_counted_not_fatal(tmp_path: Path) -> None:
    log = tmp_path / "dns.log"
    header = gzip.decompress((DATA / "zeek_dns_head.log.gz").read_bytes()).split(b"\n")[:10]
    log.write_bytes(b"\n".join(header) + b"\ngarbage\twith\ttoo few fields\n")
    status, rows, err = run(tmp_path, "type,value\ndomain,wrccdc.org\n", log)
    assert status == 0
    assert [r["line"] for r in rows] == [9, 10]
    assert "not understood: 1" in err


def test_warning_lists_suppress_false_positives_with_the_reason(tmp_path: Path) -> None:
    log = tmp_path / "kern.log"
    log.write_text("Jan 14 05:33:49 gw kernel: IN=eth0 SRC=10.0.0.5 DST=8.8.8.8\n")
    status, rows, err = run(tmp_path, "type,value\nipv4,8.8.8.8\n", log)
    assert status == 0
    assert rows == []
    assert "suppressed by warning list" in err
    assert "8.8.8.8" in err
    status, rows, _ = run(
        tmp_path, "type,value\nipv4,8.8.8.8\n", log, extra=("--no-warning-lists",)
    )
    assert [r["observed"] for r in rows] == ["8.8.8.8"]


def test_dry_run_shows_only_indicator_counts_and_times(tmp_path: Path) -> None:
    status, rows, err = run(
        tmp_path,
        "type,value\ndomain,wrccdc.org\n",
        DATA / "zeek_dns_head.log.gz",
        extra=("--dry-run",),
    )
    assert status == 0
    sent = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(sent) == 1
    assert sent[0]["value"] == "wrccdc.org"
    assert sent[0]["log_type"] == "dns"
    assert sent[0]["count"] == len(rows)
    assert set(sent[0]) == {
        "indicator_id",
        "type",
        "value",
        "log_type",
        "count",
        "first_seen",
        "last_seen",
    }
    assert sent[0]["first_seen"].startswith("2018-03-24")


@pytest.mark.parametrize("source", ["stix", "misp", "plain"])
def test_indicator_files_of_every_format_load(tmp_path: Path, source: str) -> None:
    files = {
        "stix": json.dumps(
            {
                "type": "bundle",
                "id": "bundle--6b0a7d2e-9a0f-4bb1-8a0e-2f1f1f1f1f1f",
                "objects": [
                    {
                        "type": "indicator",
                        "spec_version": "2.1",
                        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                        "created": "2024-01-01T00:00:00Z",
                        "modified": "2024-01-01T00:00:00Z",
                        "pattern": "[domain-name:value = 'wrccdc.org']",
                        "pattern_type": "stix",
                        "valid_from": "2024-01-01T00:00:00Z",
                    }
                ],
            }
        ),
        "misp": json.dumps(
            {
                "Event": {
                    "info": "t",
                    "uuid": "5f4a9b3c-1111-4222-8333-444455556666",
                    "Attribute": [
                        {
                            "type": "domain",
                            "value": "wrccdc.org",
                            "to_ids": True,
                            "category": "Network activity",
                            "uuid": "5f4a9b3c-1111-4222-8333-777788889999",
                        }
                    ],
                }
            }
        ),
        "plain": "# a list\nwrccdc.org\n",
    }
    path = tmp_path / "ind.txt"
    path.write_text(files[source])
    out, err = io.StringIO(), io.StringIO()
    status = main(["scan", "--indicators", str(path), str(DATA / "zeek_dns_head.log.gz")], out, err)
    assert status == 0, err.getvalue()
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows
    assert rows[0]["indicator"] == "wrccdc.org"
    if source == "stix":
        assert rows[0]["indicator_id"] == "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"


def test_the_command_runs_without_django(tmp_path: Path) -> None:
    source = tmp_path / "ind.csv"
    source.write_text("type,value\ndomain,wrccdc.org\n")
    # Django is made unimportable: the sensor must not need it.
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'django' or name.startswith('django.'):\n"
        "            raise ImportError('django is not installed here')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from vigie.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "sensor",
            "scan",
            "--indicators",
            str(source),
            "--format",
            "table",
            str(DATA / "zeek_dns_head.log.gz"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "wrccdc.org\tquery=ise.wrccdc.org" in done.stdout


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "“nonsense” is not a valid ipv4 value"), ("fr", "n’est pas une valeur ipv4 valide")],
)
def test_bad_indicator_lines_are_said_in_the_readers_language(
    tmp_path: Path, language: str, expected: str
) -> None:
    source = tmp_path / "ind.csv"
    source.write_text("type,value\nipv4,nonsense\ndomain,wrccdc.org\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vigie.sensor",
            "scan",
            "--indicators",
            str(source),
            str(DATA / "zeek_ssl_head.log"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "LANGUAGE": language},
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if ":3" in line or ":2" in line)
    assert f"{source}:2" in line
    assert expected in line
    assert "bad_value" not in done.stderr
