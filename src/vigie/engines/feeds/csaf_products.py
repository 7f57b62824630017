"""CSAF 2.0 `product_tree` -> one flat CsafProduct per product id.

A product's identity comes from the branch path that leads to it:
`vendor` / `product_family` / `product_name` give the names, `product_version` an exact version,
`product_version_range` a range kept verbatim (`vers:` or free text such as `<= 9.33.1`), and a
deeper `service_pack` / `patch_level` the most specific version. `full_product_names` have no
branch path (only their name and helper). A relationship product (`installed_on`,
`default_component_of`, ...) is its component, with the platform kept alongside.

The checks of CSAF section 6.1 that would make the flattening wrong are reported: 6.1.1 (an id
used but not defined), 6.1.2 (defined twice), 6.1.3 (circular relationship), 6.1.4/6.1.5
(product groups), 6.1.13 (invalid purl). Nothing here raises on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from packageurl import PackageURL

from vigie.engines.feeds.common import Problems, get_dict, get_list, get_str, type_name
from vigie.engines.feeds.cpe_names import to_fs
from vigie.engines.feeds.range_text import free_text_to_vers

MAX_DEPTH = 32  # real trees are 3 to 5 deep; this stops hostile nesting before Python's limit
_VERSION_CATEGORIES = {
    "product_version": True,
    "product_version_range": False,
    "service_pack": True,
    "patch_level": True,
}


@dataclass(frozen=True, slots=True)
class CsafProduct:
    product_id: str
    name: str  # the full product name as the advisory writes it
    vendor: str = ""
    product: str = ""
    versions: str = ""  # verbatim; "" when the advisory names the product without a version
    exact_version: bool = False  # versions is a single version (product_version)
    cpe: str = ""  # CPE 2.3 formatted string
    purl: str = ""  # as given, version included
    model_numbers: tuple[str, ...] = ()
    relationship: str = ""  # category when the product is a relationship's component
    platform: CsafProduct | None = None

    def identity(self) -> str:
        """The product as a VexStatement names it: CPE, purl, or vendor|product|versions."""
        if self.cpe:
            return self.cpe
        if self.purl:
            return self.purl
        versions = self.versions
        if versions and not self.exact_version and not versions.startswith("vers:"):
            # "<=1.14.0" becomes a vers range the VEX applier can test; prose stays verbatim.
            versions = free_text_to_vers(versions, "generic") or versions
        return f"{self.vendor}|{self.product}|{versions}"


@dataclass
class ProductTree:
    products: dict[str, CsafProduct]
    groups: dict[str, tuple[str, ...]]

    def resolve(
        self,
        ids: list[Any],
        group_ids: list[Any],
        where: str,
        problems: Problems,
        record: str | None = None,
    ) -> list[str]:
        """Product ids named directly or through groups; undefined ones reported (6.1.1/6.1.4)."""
        found: list[str] = []
        for index, pid in enumerate(ids):
            if not isinstance(pid, str):
                problems.add(
                    f"product id must be a string, found {type_name(pid)}",
                    field=f"{where}/product_ids/{index}",
                    record=record,
                )
            elif pid not in self.products:
                problems.add(
                    f"product id {pid!r} is not defined in the product_tree",
                    field=f"{where}/product_ids/{index}",
                    record=record,
                )
            else:
                found.append(pid)
        for index, gid in enumerate(group_ids):
            if not isinstance(gid, str) or gid not in self.groups:
                problems.add(
                    f"product group id {gid!r} is not defined in the product_tree",
                    field=f"{where}/group_ids/{index}",
                    record=record,
                )
            else:
                found.extend(self.groups[gid])
        return list(dict.fromkeys(found))


def flatten_product_tree(doc: dict[str, Any], problems: Problems) -> ProductTree:
    tree = get_dict(doc, "product_tree", "", problems) or {}
    flattener = _Flattener(problems)
    for index, branch in enumerate(get_list(tree, "branches", "/product_tree", problems)):
        flattener.branch(branch, f"/product_tree/branches/{index}", {}, 1)
    for index, fpn in enumerate(get_list(tree, "full_product_names", "/product_tree", problems)):
        flattener.define(fpn, f"/product_tree/full_product_names/{index}", {})
    flattener.relationships(get_list(tree, "relationships", "/product_tree", problems))
    groups = flattener.groups(get_list(tree, "product_groups", "/product_tree", problems))
    return ProductTree(flattener.products, groups)


class _Flattener:
    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.products: dict[str, CsafProduct] = {}

    def branch(self, branch: object, where: str, context: dict[str, str], depth: int) -> None:
        if not isinstance(branch, dict):
            self.problems.add(f"expected an object, found {type_name(branch)}", field=where)
            return
        if depth > MAX_DEPTH:
            self.problems.add(f"branches nested deeper than {MAX_DEPTH}: not read", field=where)
            return
        category = get_str(branch, "category", where, self.problems, required=True)
        name = get_str(branch, "name", where, self.problems, required=True).strip()
        context = dict(context)
        if category == "vendor":
            context["vendor"] = name
        elif category == "product_family":
            family = context.get("family")
            context["family"] = f"{family} {name}" if family else name
        elif category == "product_name":
            context["product"] = name
        elif category in _VERSION_CATEGORIES:
            context["version"] = name
            context["exact"] = "1" if _VERSION_CATEGORIES[category] else ""
        if "product" in branch:
            self.define(branch["product"], f"{where}/product", context)
        for index, child in enumerate(get_list(branch, "branches", where, self.problems)):
            self.branch(child, f"{where}/branches/{index}", context, depth + 1)

    def define(self, fpn: object, where: str, context: dict[str, str]) -> CsafProduct | None:
        """One `full_product_name` object, named from its branch context."""
        if not isinstance(fpn, dict):
            self.problems.add(f"expected an object, found {type_name(fpn)}", field=where)
            return None
        pid = get_str(fpn, "product_id", where, self.problems, required=True)
        name = get_str(fpn, "name", where, self.problems, required=True).strip()
        if not pid:
            return None
        helper = get_dict(fpn, "product_identification_helper", where, self.problems, pid) or {}
        hwhere = f"{where}/product_identification_helper"
        cpe = ""
        raw_cpe = get_str(helper, "cpe", hwhere, self.problems, pid)
        if raw_cpe:
            cpe = to_fs(raw_cpe) or ""
            if not cpe:
                self.problems.add(f"not a CPE name: {raw_cpe!r}", field=f"{hwhere}/cpe", record=pid)
        purl = get_str(helper, "purl", hwhere, self.problems, pid).strip()
        if purl:
            try:
                PackageURL.from_string(purl)
            except ValueError as exc:
                self.problems.add(
                    f"invalid purl {purl!r}: {exc}", field=f"{hwhere}/purl", record=pid
                )
                purl = ""
        models = tuple(
            m.strip()
            for m in get_list(helper, "model_numbers", hwhere, self.problems, pid)
            if isinstance(m, str) and m.strip()
        )
        version = context.get("version", "")
        product_name = context.get("product") or context.get("family") or name
        product = CsafProduct(
            product_id=pid,
            name=name,
            vendor=context.get("vendor", ""),
            product=product_name,
            versions=version,
            exact_version=bool(context.get("exact")),
            cpe=cpe,
            purl=purl,
            model_numbers=models,
        )
        if pid in self.products:
            self.problems.add(
                f"product id {pid!r} is defined more than once; first kept",
                field=f"{where}/product_id",
                record=pid,
            )
            return None
        self.products[pid] = product
        return product

    def relationships(self, relationships: list[Any]) -> None:
        pending: list[tuple[str, dict[str, Any]]] = []
        for index, rel in enumerate(relationships):
            where = f"/product_tree/relationships/{index}"
            if not isinstance(rel, dict):
                self.problems.add(f"expected an object, found {type_name(rel)}", field=where)
                continue
            pending.append((where, rel))
        defined_later = {
            str(rel["full_product_name"].get("product_id"))
            for _, rel in pending
            if isinstance(rel.get("full_product_name"), dict)
        }
        # Relationships may build on other relationships: resolve in passes until none moves.
        while pending:
            waiting: list[tuple[str, dict[str, Any]]] = []
            for where, rel in pending:
                component = self.products.get(str(rel.get("product_reference")))
                platform = self.products.get(str(rel.get("relates_to_product_reference")))
                if component is None or platform is None:
                    waiting.append((where, rel))
                    continue
                self._relationship(where, rel, component, platform)
            if len(waiting) == len(pending):
                for where, rel in waiting:
                    self._unresolved(where, rel, defined_later)
                return
            pending = waiting

    def _relationship(
        self, where: str, rel: dict[str, Any], component: CsafProduct, platform: CsafProduct
    ) -> None:
        category = get_str(rel, "category", where, self.problems, required=True)
        own = self.define(rel.get("full_product_name"), f"{where}/full_product_name", {})
        if own is None:
            return
        # The component is what is vulnerable (firmware installed on a pump, a package shipped
        # in a distribution); the platform only narrows where.
        merged = replace(
            component,
            product_id=own.product_id,
            name=own.name,
            cpe=own.cpe or component.cpe,
            purl=own.purl or component.purl,
            model_numbers=tuple(
                dict.fromkeys(
                    (
                        *component.model_numbers,
                        *own.model_numbers,
                        *_platform_models(category, platform),
                    )
                )
            ),
            relationship=category,
            platform=platform,
        )
        self.products[own.product_id] = merged

    def _unresolved(self, where: str, rel: dict[str, Any], defined_later: set[str]) -> None:
        for key in ("product_reference", "relates_to_product_reference"):
            ref = rel.get(key)
            if not isinstance(ref, str):
                self.problems.add(f"`{key}` must be a product id string", field=f"{where}/{key}")
            elif ref not in self.products and ref not in defined_later:
                self.problems.add(
                    f"product id {ref!r} is not defined in the product_tree", field=f"{where}/{key}"
                )
            elif ref not in self.products:
                self.problems.add(
                    f"circular definition: {ref!r} is defined through itself",
                    field=f"{where}/{key}",
                )

    def groups(self, groups: list[Any]) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for index, group in enumerate(groups):
            where = f"/product_tree/product_groups/{index}"
            if not isinstance(group, dict):
                self.problems.add(f"expected an object, found {type_name(group)}", field=where)
                continue
            gid = get_str(group, "group_id", where, self.problems, required=True)
            members: list[str] = []
            for pindex, pid in enumerate(get_list(group, "product_ids", where, self.problems)):
                if isinstance(pid, str) and pid in self.products:
                    members.append(pid)
                else:
                    self.problems.add(
                        f"product id {pid!r} is not defined in the product_tree",
                        field=f"{where}/product_ids/{pindex}",
                    )
            if not gid:
                continue
            if gid in found:
                self.problems.add(
                    f"product group id {gid!r} is defined more than once", field=f"{where}/group_id"
                )
                continue
            found[gid] = tuple(members)
        return found


def _platform_models(category: str, platform: CsafProduct) -> tuple[str, ...]:
    """The hardware a component runs on, as model designations.

    For `installed_on` / `installed_with` the platform is a device model (CISA writes
    "Mobotix P3 Firmware MX-V4.1.4.11 installed on Mobotix P3 D24M"): its model numbers, and its
    product name when it has no version, are how an inventory names the device. A
    `default_component_of` platform is a product line (a distribution), not a model.
    """
    if category not in ("installed_on", "installed_with"):
        return platform.model_numbers
    if platform.versions or not platform.product:
        return platform.model_numbers
    return (*platform.model_numbers, platform.product)
