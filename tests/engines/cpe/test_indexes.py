"""The two indexes: incremental updates, scopes, and agreement with the index-free reference."""

from __future__ import annotations

import csv
import json
import pickle
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import FrozenInstanceError, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.engines.cpe.test_nvd_semantics import (
    ALARIS,
    ALARIS_CONFIGS,
    CURATED,
    GSOAP,
    GSOAP_CONFIGS,
    SUDO,
    SUDO_CONFIGS,
    asset,
    config,
    crit,
    node,
)
from vigie.engines.cpe import index as index_module
from vigie.engines.cpe.configurations import CompiledVuln, compile_configurations
from vigie.engines.cpe.evaluate import new_match
from vigie.engines.cpe.index import InventoryIndex, VulnIndex, match_brute_force
from vigie.engines.cpe.names import ANY, NA, CpeError, Wildcard, format_cpe, parse_cpe
from vigie.engines.records import AssetRecord, Match, VulnRecord

DATA = Path(__file__).resolve().parents[2] / "data" / "nvd"

Summary = set[tuple[str, str, str]]
T = TypeVar("T")


class Repeatable:
    """Seeded choices for test data: a 64-bit LCG, the same on every run and platform."""

    def __init__(self, seed: int) -> None:
        self.state = seed

    def next(self) -> int:
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % 2**64
        return self.state >> 33

    def random(self) -> float:
        return self.next() / 2**31

    def choice(self, items: Sequence[T]) -> T:
        return items[self.next() % len(items)]

    def shuffle(self, items: list[T]) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = self.next() % (i + 1)
            items[i], items[j] = items[j], items[i]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        pool = list(items)
        self.shuffle(pool)
        return pool[:k]


def summary(matches: Iterable[Match]) -> Summary:
    return {(m.asset, m.vulnerability, m.confidence) for m in matches}


def all_fixture_vulns() -> dict[str, list[dict[str, Any]]]:
    """Every configuration in tests/data/nvd, the curated cases and two synthetic ones."""
    vulns: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(DATA.glob("*/*.json")):
        doc = json.loads(path.read_text())
        cve = doc["item"]["cve"] if "item" in doc else doc["cve"]
        vulns[f"{cve['id']}/{path.stem}"] = cve.get("configurations", [])
    with (DATA / "anchore-overrides.jsonl").open() as f:
        for line in f:
            rec = json.loads(line)
            vulns[rec["_annotation"]["cve_id"]] = rec["cve"].get("configurations") or []
    vulns.update(CURATED)
    vulns["CVE-TEST-NEGATE"] = [
        config(
            node(crit("cpe:2.3:a:golang:go:*:*:*:*:*:*:*:*", versionEndExcluding="1.21")),
            node(
                crit("cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*", vulnerable=False), negate=True
            ),
            operator="AND",
        )
    ]
    vulns["CVE-TEST-AND-NODE"] = [
        config(
            node(
                crit("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", versionEndExcluding="9.8"),
                crit("cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", vulnerable=False),
                operator="AND",
            )
        )
    ]
    return vulns


def variants(criterion: str, bounds: Iterable[str]) -> list[str]:
    """Installed CPEs around a criterion: at and beside its bounds, unknown, NA, updates."""
    try:
        cpe = parse_cpe(criterion)
    except CpeError:
        return []
    if not isinstance(cpe.vendor, str) or not isinstance(cpe.product, str):
        return []
    versions = {"*", "-", "0.1", "99.0"}
    for b in bounds:
        versions |= {b, b + ".1", b + "a", b + "-1", b.rsplit(".", 1)[0]}
    if isinstance(cpe.version, str):
        versions |= {cpe.version, "v" + cpe.version, cpe.version + ".0", cpe.version + "p1"}
    updates = {"*", "-", "p1"}
    if isinstance(cpe.update, str):
        updates.add(cpe.update)
    out = []
    for version in sorted(versions):
        for update in sorted(updates):
            values = list(cpe)
            values[3] = _value(version)
            values[4] = _value(update)
            out.append(format_cpe(type(cpe)(*values)))
    tail = list(cpe)
    tail[3] = "1.0"
    tail[5:] = [ANY] * 6  # other attributes not given
    out.append(format_cpe(type(cpe)(*tail)))
    return out


def _value(text: str) -> Any:
    return {"*": ANY, "-": NA}.get(text, text)


def random_inventory(vulns: dict[str, list[dict[str, Any]]], seed: int) -> list[AssetRecord]:
    names: list[str] = []
    for cfgs in vulns.values():
        for cfg in cfgs:
            for n in cfg.get("nodes", []):
                for m in n.get("cpeMatch", []):
                    bounds = [v for k, v in m.items() if k.startswith("version")]
                    names.extend(variants(m["criteria"], bounds))
    with (DATA / "cpe-sample.csv").open(newline="") as f:
        names.extend(row["cpe23"] for row in csv.DictReader(f))
    names.append("cpe:2.3:a:soap::lite_project:soap::lite:*:*:*:*:*:perl:*:*")
    rng = Repeatable(seed)
    rng.shuffle(names)
    assets: list[AssetRecord] = []
    i = 0
    while i < len(names):
        size = rng.choice((1, 1, 1, 2, 3, 5))
        root = f"r{i}"
        for j in range(size):
            if i >= len(names):
                break
            cpes = (
                (names[i],)
                if rng.random() > 0.05 or i + 1 >= len(names)
                else (names[i], names[i + 1])
            )
            i += len(cpes)
            assets.append(
                AssetRecord(
                    id=root if j == 0 else f"{root}-{j}",
                    name=root,
                    cpes=cpes,
                    parent=None if j == 0 else (root if rng.random() < 0.7 else assets[-1].id),
                )
            )
    return assets


def test_both_indexes_agree_with_the_reference_on_every_fixture() -> None:
    vulns = all_fixture_vulns()
    compiled = [compile_configurations(v, c) for v, c in vulns.items()]
    assets = random_inventory(vulns, seed=1)
    reference = summary(match_brute_force(compiled, assets))
    assert len(reference) > 300  # the inventory is built to hit, and it does

    index = VulnIndex()
    for vuln_id, cfgs in vulns.items():
        index.put(vuln_id, cfgs)
    assert summary(index.match(assets)) == reference

    inventory = InventoryIndex()
    inventory.put_many("chu-a", assets)
    inventory.put_many("chu-b", reversed(assets))
    by_scope: dict[Hashable, Summary] = {"chu-a": set(), "chu-b": set()}
    for comp in compiled:
        for scope, m in inventory.match_compiled(comp):
            by_scope[scope].add((m.asset, m.vulnerability, m.confidence))
    assert by_scope["chu-a"] == reference
    assert by_scope["chu-b"] == reference


def test_match_asset_gives_the_batch_result_for_that_asset() -> None:
    vulns = all_fixture_vulns()
    index = VulnIndex()
    for vuln_id, cfgs in vulns.items():
        index.put(vuln_id, cfgs)
    assets = random_inventory(vulns, seed=2)
    batch = summary(index.match(assets))
    by_root: dict[str, list[AssetRecord]] = {}
    for a in assets:
        by_root.setdefault(a.id.split("-")[0], []).append(a)
    rng = Repeatable(2)
    for a in rng.sample(assets, 300):
        tree = by_root[a.id.split("-")[0]]
        mine = summary(index.match_asset(a, tree))
        assert mine == {t for t in batch if t[0] == a.id}


def test_vuln_index_add_replace_remove() -> None:
    index = VulnIndex()
    assets = [
        asset("s", "cpe:2.3:a:sudo_project:sudo:1.8.31:*:*:*:*:*:*:*"),
        asset("g", "cpe:2.3:a:genivia:gsoap:2.8.74:*:*:*:*:*:*:*"),
    ]
    index.put(SUDO, SUDO_CONFIGS)
    index.put(GSOAP, GSOAP_CONFIGS)
    assert len(index) == 2
    assert summary(index.match(assets)) == {("s", SUDO, "high"), ("g", GSOAP, "high")}
    # replace: the fix moved down, 2.8.74 is no longer affected
    index.put(
        GSOAP,
        [
            config(
                node(crit("cpe:2.3:a:genivia:gsoap:*:*:*:*:*:*:*:*", versionEndExcluding="2.8.70"))
            )
        ],
    )
    assert len(index) == 2
    assert summary(index.match(assets)) == {("s", SUDO, "high")}
    assert index.remove(SUDO)
    assert not index.remove(SUDO)
    assert SUDO not in index
    assert list(index.match(assets)) == []
    got = index.get(GSOAP)
    assert isinstance(got, CompiledVuln)
    assert got.id == GSOAP


def test_inventory_scopes_keep_equal_ids_apart() -> None:
    inventory = InventoryIndex()
    inventory.put("chu-a", asset("srv-1", "cpe:2.3:a:sudo_project:sudo:1.8.31:*:*:*:*:*:*:*"))
    inventory.put("chu-b", asset("srv-1", "cpe:2.3:a:sudo_project:sudo:1.9.6:*:*:*:*:*:*:*"))
    hits = [(scope, m.asset) for scope, m in inventory.match_vulnerability(SUDO, SUDO_CONFIGS)]
    assert hits == [("chu-a", "srv-1")]
    # chu-b upgrades nothing, chu-a upgrades: the same id is updated in its own scope only
    inventory.put("chu-a", asset("srv-1", "cpe:2.3:a:sudo_project:sudo:1.9.6:*:*:*:*:*:*:*"))
    assert list(inventory.match_vulnerability(SUDO, SUDO_CONFIGS)) == []
    inventory.put("chu-b", asset("srv-1", "cpe:2.3:a:sudo_project:sudo:1.9.2:*:*:*:*:*:*:*"))
    hits = [(scope, m.asset) for scope, m in inventory.match_vulnerability(SUDO, SUDO_CONFIGS)]
    assert hits == [("chu-b", "srv-1")]
    assert len(inventory) == 2
    assert inventory.remove("chu-b", "srv-1")
    assert not inventory.remove("chu-b", "srv-1")
    assert list(inventory.match_vulnerability(SUDO, SUDO_CONFIGS)) == []
    assert ("chu-a", "srv-1") in inventory


def test_inventory_tree_changes_are_seen_by_the_next_cve() -> None:
    inventory = InventoryIndex()
    pump = asset("pump", "cpe:2.3:h:bd:alaris_8015_pc_unit:-:*:*:*:*:*:*:*")
    fw = asset(
        "fw", "cpe:2.3:o:bd:alaris_8015_pc_unit_firmware:9.33.1:*:*:*:*:*:*:*", parent="pump"
    )
    inventory.put("chu-a", fw)
    assert list(inventory.match_vulnerability(ALARIS, ALARIS_CONFIGS)) == []  # no hardware yet
    inventory.put("chu-a", pump)
    assert [m.asset for _, m in inventory.match_vulnerability(ALARIS, ALARIS_CONFIGS)] == ["fw"]
    inventory.put("chu-b", pump)  # same hardware id in another establishment
    assert [s for s, _ in inventory.match_vulnerability(ALARIS, ALARIS_CONFIGS)] == ["chu-a"]
    inventory.remove("chu-a", "pump")
    assert list(inventory.match_vulnerability(ALARIS, ALARIS_CONFIGS)) == []
    assert inventory.remove_scope("chu-a") == 1
    assert inventory.remove_scope("chu-b") == 1
    assert len(inventory) == 0


def test_inventory_after_random_updates_equals_a_fresh_build() -> None:
    vulns = all_fixture_vulns()
    compiled = [compile_configurations(v, c) for v, c in vulns.items()]
    assets = random_inventory(vulns, seed=3)
    rng = Repeatable(3)
    live = InventoryIndex()
    current: dict[tuple[str, str], AssetRecord] = {}
    for step in range(6000):
        scope = rng.choice(("chu-a", "chu-b", "chu-c"))
        a = rng.choice(assets)
        action = rng.random()
        if action < 0.6:
            live.put(scope, a)
            current[(scope, a.id)] = a
        elif action < 0.8:
            other = rng.choice(assets)  # the same id now carries other CPEs
            changed = AssetRecord(id=a.id, name=a.name, cpes=other.cpes, parent=a.parent)
            live.put(scope, changed)
            current[(scope, a.id)] = changed
        else:
            assert live.remove(scope, a.id) == ((scope, a.id) in current)
            current.pop((scope, a.id), None)
        if step % 1500 == 0:
            live.settle()
    fresh = InventoryIndex()
    for (scope, _), a in sorted(current.items()):
        fresh.put(scope, a)
    assert len(live) == len(fresh) == len(current)
    for comp in compiled:
        got = {(s, m.asset, m.confidence) for s, m in live.match_compiled(comp)}
        want = {(s, m.asset, m.confidence) for s, m in fresh.match_compiled(comp)}
        assert got == want, comp.id


def test_criteria_with_product_patterns_are_found_by_vendor() -> None:
    pattern = parse_cpe("cpe:2.3:a:wpgeodirectory:events_calendar*:*:*:*:*:*:wordpress:*:*")
    assert isinstance(pattern.product, Wildcard)
    vulns = {
        "CVE-P": [
            config(
                node(
                    crit(
                        "cpe:2.3:a:wpgeodirectory:events_calendar*:*:*:*:*:*:wordpress:*:*",
                        versionEndIncluding="2.3.28",
                    ),
                    crit("cpe:2.3:a:wpgeodirectory:events_calendar:2.0:*:*:*:*:wordpress:*:*"),
                )
            )
        ]
    }
    assets = [
        asset("a", "cpe:2.3:a:wpgeodirectory:events_calendar:2.0:*:*:*:*:wordpress:*:*"),
        asset("b", "cpe:2.3:a:wpgeodirectory:events_calendar_pro:1.0:*:*:*:*:wordpress:*:*"),
    ]
    index = VulnIndex()
    index.put("CVE-P", vulns["CVE-P"])
    assert summary(index.match(assets)) == {("a", "CVE-P", "high"), ("b", "CVE-P", "high")}
    inventory = InventoryIndex()
    inventory.put_many("x", assets)
    assert {m.asset for _, m in inventory.match_vulnerability("CVE-P", vulns["CVE-P"])} == {
        "a",
        "b",
    }
    index.remove("CVE-P")
    assert list(index.match(assets)) == []


def test_match_records_made_by_the_fast_constructor_are_ordinary_matches() -> None:
    parts = (("cpe_installed", {"version": "1"}),)
    fields = ("a-1", "CVE-1", "nvd", "high", "why", "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*", "< 2", parts)
    fast = new_match(*fields)
    plain = Match(
        asset="a-1",
        vulnerability="CVE-1",
        source="nvd",
        confidence="high",
        reason="why",
        criterion="cpe:2.3:a:x:y:*:*:*:*:*:*:*:*",
        version_range="< 2",
        reasons=parts,
    )
    assert type(fast) is Match
    assert fast == plain
    assert fast.reasons == plain.reasons
    assert hash(fast) == hash(plain)
    assert repr(fast) == repr(plain)
    assert replace(fast, vulnerability="CVE-2") == replace(plain, vulnerability="CVE-2")
    assert pickle.loads(pickle.dumps(fast)) == plain  # noqa: S301 (bytes made just above)
    with pytest.raises(FrozenInstanceError):
        fast.__setattr__("asset", "other")  # the frozen class's own refusal, not mypy's


def test_put_many_builds_the_index_put_builds() -> None:
    vulns = all_fixture_vulns()
    one_by_one = VulnIndex()
    single = [one_by_one.put(v, c) for v, c in vulns.items()]
    together = VulnIndex()
    many = together.put_many(vulns.items())
    assert [c.problems for c in many] == [c.problems for c in single]
    assert len(together) == len(one_by_one)
    assets = random_inventory(vulns, seed=4)
    assert summary(together.match(assets)) == summary(one_by_one.match(assets))
    records = VulnIndex()
    records.put_records(
        [
            VulnRecord(id=SUDO, source="nvd", configurations=SUDO_CONFIGS),
            VulnRecord(id=GSOAP, source="nvd", rejected=True, configurations=GSOAP_CONFIGS),
        ]
    )
    assert SUDO in records
    assert GSOAP not in records


def test_batch_result_does_not_depend_on_how_matches_are_handed_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vulns = all_fixture_vulns()
    index = VulnIndex()
    index.put_many(vulns.items())
    assets = random_inventory(vulns, seed=5)
    whole = list(index.match(assets))
    monkeypatch.setattr(index_module, "_CHUNK", 1)  # hand out after every key
    assert sorted(map(repr, index.match(assets))) == sorted(map(repr, whole))


def test_an_asset_with_two_versions_of_one_product_gets_one_match() -> None:
    sudo = "cpe:2.3:a:sudo_project:sudo"
    both = asset("host", f"{sudo}:1.8.30:*:*:*:*:*:*:*", f"{sudo}:1.8.31:*:*:*:*:*:*:*")
    one_crit = {"CVE-ONE": [config(node(crit(f"{sudo}:*:*:*:*:*:*:*:*", versionEndExcluding="2")))]}
    index = VulnIndex()
    index.put_many(one_crit.items())
    assert [m.asset for m in index.match([both])] == ["host"]
    inventory = InventoryIndex()
    inventory.put("chu-a", both)
    assert [m.asset for _, m in inventory.match_vulnerability("CVE-ONE", one_crit["CVE-ONE"])] == [
        "host"
    ]
    # Replaced by a single version, removed, put again: still one match, then none.
    inventory.put("chu-a", asset("host", f"{sudo}:1.8.30:*:*:*:*:*:*:*"))
    inventory.put("chu-a", asset("other", f"{sudo}:1.8.29:*:*:*:*:*:*:*"))
    got = sorted(m.asset for _, m in inventory.match_vulnerability("CVE-ONE", one_crit["CVE-ONE"]))
    assert got == ["host", "other"]
    inventory.remove("chu-a", "host")
    inventory.remove("chu-a", "other")
    assert list(inventory.match_vulnerability("CVE-ONE", one_crit["CVE-ONE"])) == []


def test_range_criterion_takes_only_its_part_when_a_product_has_several() -> None:
    cfgs = [config(node(crit("cpe:2.3:o:acme:box:*:*:*:*:*:*:*:*", versionEndExcluding="3.0")))]
    got = {
        m.asset: m.confidence
        for _, m in _inventory(
            asset("os", "cpe:2.3:o:acme:box:2.0:*:*:*:*:*:*:*"),
            asset("app", "cpe:2.3:a:acme:box:2.0:*:*:*:*:*:*:*"),
            asset("unknown-part", "cpe:2.3:*:acme:box:2.0:*:*:*:*:*:*:*"),
            asset("hardware", "cpe:2.3:h:acme:box:2.0:*:*:*:*:*:*:*"),
        ).match_vulnerability("CVE-PART", cfgs)
    }
    assert got == {"os": "high", "unknown-part": "medium"}


def test_inventory_matches_are_made_as_the_caller_takes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[tuple[str, ...]] = []
    real = index_module.new_match

    def counting(*fields: str) -> Match:
        made.append(fields)
        return real(*fields)

    monkeypatch.setattr(index_module, "new_match", counting)
    gsoap = "cpe:2.3:a:genivia:gsoap"  # [2.7.0, 2.8.75)
    inventory = _inventory(*(asset(f"g{i}", f"{gsoap}:2.7.{i}:*:*:*:*:*:*:*") for i in range(1500)))
    found = iter(inventory.match_vulnerability(GSOAP, GSOAP_CONFIGS))
    assert next(found)[1].vulnerability == GSOAP
    assert 0 < len(made) < 1500  # made a lot at a time, not all before the first one
    assert len(list(found)) == 1499
    assert len(made) == 1500


def _inventory(*assets: AssetRecord) -> InventoryIndex:
    inventory = InventoryIndex()
    inventory.put_many("chu-a", assets)
    return inventory


def test_inventory_follows_a_firmware_moved_to_another_device() -> None:
    inventory = InventoryIndex()
    fw = "cpe:2.3:o:bd:alaris_8015_pc_unit_firmware:9.33.1:*:*:*:*:*:*:*"
    inventory.put("chu-a", asset("pump", "cpe:2.3:h:bd:alaris_8015_pc_unit:-:*:*:*:*:*:*:*"))
    inventory.put("chu-a", asset("rack", "cpe:2.3:h:acme:rack:-:*:*:*:*:*:*:*"))
    inventory.put("chu-a", asset("fw", fw, parent="pump"))

    def alerted() -> list[str]:
        return [m.asset for _, m in inventory.match_vulnerability(ALARIS, ALARIS_CONFIGS)]

    assert alerted() == ["fw"]
    inventory.put("chu-a", asset("fw", fw, parent="rack"))  # moved: no Alaris hardware there
    assert alerted() == []
    inventory.put("chu-a", asset("fw", fw, parent="pump"))
    assert alerted() == ["fw"]
    inventory.put("chu-a", asset("pump", "cpe:2.3:h:bd:alaris_8015_pc_unit:-:*:*:*:*:*:*:*"))
    assert alerted() == ["fw"]  # the device replaced in place keeps its firmware
    inventory.remove("chu-a", "fw")
    assert alerted() == []


def test_inventory_platform_conditions_are_read_in_trees_of_any_size() -> None:
    # Big trees (more CPEs than the condition's key holds) read the condition's key instead of
    # the trees' members; both ways give the reference's answer.
    vulns = all_fixture_vulns()
    compiled = [compile_configurations(v, c) for v, c in vulns.items()]
    assets = random_inventory(vulns, seed=6)
    flat = [AssetRecord(id=a.id, name=a.name, cpes=a.cpes, parent="root") for a in assets]
    flat.append(AssetRecord(id="root", name="root", cpes=()))
    reference = summary(match_brute_force(compiled, flat))
    inventory = InventoryIndex()
    inventory.put_many("chu-a", flat)
    got = {
        (m.asset, m.vulnerability, m.confidence)
        for c in compiled
        for _, m in inventory.match_compiled(c)
    }
    assert got == reference


def test_plain_and_platform_configurations_of_one_cve_keep_the_first_true_one() -> None:
    git = crit("cpe:2.3:a:git-scm:git:*:*:*:*:*:*:*:*", versionEndExcluding="2.17.1")
    windows = crit("cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*", vulnerable=False)
    plain = config(node(git))
    on_windows = config(node(git), node(windows), operator="AND")
    host = asset("host", "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*")
    tool = asset("git", "cpe:2.3:a:git-scm:git:2.10.0:*:*:*:*:*:*:*", parent="host")
    for cfgs, condition in (([plain, on_windows], False), ([on_windows, plain], True)):
        compiled = compile_configurations("CVE-MIXED", cfgs)
        reference = match_brute_force([compiled], [host, tool])
        index = VulnIndex()
        index.put_compiled(compiled)
        inventory = _inventory(host, tool)
        for found in (
            reference,
            list(index.match([host, tool])),
            [m for _, m in inventory.match_compiled(compiled)],
        ):
            assert [(m.asset, m.confidence) for m in found] == [("git", "high")]
            assert ("condition cpe:2.3:o:microsoft:windows" in found[0].reason) is condition
