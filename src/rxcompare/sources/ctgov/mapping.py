"""Mapping a study record's parts to the medicine: event groups to arms, the trial to a product.

Nothing is guessed: an event group is the medicine's or a comparator's only when an arm's title,
or the group's own title or description, names one of the study's interventions (and the
abbreviations the study defines for them); a trial counts for the product whose indication its
conditions name, and, when several do, whose route the medicine's arms name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rxcompare.models import Product
from rxcompare.sources.ctgov.records import names_in, norm_text

__all__ = [
    "Intervention",
    "kept_apart_reason",
    "learn_abbreviations",
    "map_group",
    "product_for",
    "read_interventions",
]

_OPEN = re.compile(r"open[- ]label|\bOL\b", re.I)
_EXTENSION = re.compile(r"extension|\bSFE\b|\bOLE\b|long[- ]term follow", re.I)
_SWITCH = re.compile(r"->|→|\bswitch|cross[- ]?over|crossed over|re-?randomi", re.I)


def kept_apart_reason(title: str, description: str) -> str:
    reasons = []
    for what, pattern in (
        ("switch or cross-over", _SWITCH),
        ("open-label", _OPEN),
        ("extension", _EXTENSION),
    ):
        if pattern.search(title) or (
            what != "switch or cross-over" and pattern.search(description)
        ):
            reasons.append(what)
    if _SWITCH.search(description) and "switch or cross-over" not in reasons:
        reasons.append("switch or cross-over")
    return ", ".join(reasons)


@dataclass
class Intervention:
    name: str
    other_names: tuple[str, ...]
    arms: tuple[str, ...]
    placebo: bool
    drug: bool

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.other_names)


def read_interventions(
    arms_module: dict[str, Any], drug_names: Sequence[str]
) -> list[Intervention]:
    out = []
    for i in arms_module.get("interventions") or []:
        name = str(i.get("name") or "")
        others = tuple(str(x) for x in i.get("otherNames") or [])
        placebo = any(names_in(n, "placebo") or names_in(n, "sham") for n in (name, *others))
        drug = not placebo and any(
            names_in(n, d) or names_in(d, n) for n in (name, *others) for d in drug_names
        )
        out.append(
            Intervention(
                name, others, tuple(str(a) for a in i.get("armGroupLabels") or []), placebo, drug
            )
        )
    return out


def learn_abbreviations(ivs: list[Intervention], texts: Iterable[str]) -> None:
    """Add the abbreviations a study defines for its interventions ("Certolizumab pegol (CZP)")."""
    joined = "\n".join(texts)
    for i in ivs:
        for n in i.names:
            if len(n) < 4:
                continue
            for m in re.finditer(
                re.escape(n) + r"\s*\(([A-Za-z][A-Za-z0-9-]{1,9})\)", joined, re.I
            ):
                abbr = m.group(1)
                if abbr not in i.other_names and norm_text(abbr) not in (
                    "sc",
                    "iv",
                    "im",
                    "po",
                    "ss",
                    "mg",
                ):
                    i.other_names = (*i.other_names, abbr)


def _armread_interventions(arm: dict[str, Any], ivs: list[Intervention]) -> list[Intervention]:
    found = []
    for label in arm.get("interventionNames") or []:
        bare = str(label).split(":", 1)[-1].strip()
        found += [i for i in ivs if norm_text(i.name) == norm_text(bare) and i not in found]
    found += [i for i in ivs if str(arm.get("label")) in i.arms and i not in found]
    return found


def _role(ivs: list[Intervention]) -> tuple[str, str]:
    """(role, intervention text) of a set of interventions: drug when one is the medicine."""
    if not ivs:
        return "unmapped", ""
    if any(i.drug for i in ivs):
        return "drug", " + ".join(i.name for i in ivs if i.drug)
    active = [i for i in ivs if not i.placebo]
    return "comparator", " + ".join(i.name for i in (active or ivs))


def _named(text: str, ivs: list[Intervention]) -> list[Intervention]:
    hit = [i for i in ivs if any(names_in(text, n) for n in i.names)]
    if names_in(text, "placebo"):
        hit += [i for i in ivs if i.placebo and i not in hit]
    return hit


def map_group(
    g: dict[str, Any], arms: list[dict[str, Any]], ivs: list[Intervention]
) -> tuple[str, str, str]:
    """(role, intervention, how) for one event group; never guessed."""
    title = str(g.get("title") or "")
    desc = str(g.get("description") or "")
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", title)
    for arm in arms:
        if norm_text(arm.get("label")) in (norm_text(title), norm_text(bare)) and norm_text(
            arm.get("label")
        ):
            role, iv = _role(_armread_interventions(arm, ivs))
            if role != "unmapped":
                return role, iv, f"title matches arm {arm.get('label')!r}"
    for where, text in (("title", title), ("description", desc)):
        hit = _named(text, ivs)
        if not hit:
            continue
        roles = {"drug" if i.drug else "comparator" for i in hit}
        if len(roles) > 1:
            names = ", ".join(i.name for i in hit)
            return (
                "unmapped",
                names,
                f"its {where} names both the medicine and a comparator ({names})",
            )
        role, iv = _role(hit)
        return role, iv, f"its {where} names {iv}"
    return (
        "unmapped",
        "",
        "neither its title nor its description names an intervention of the study",
    )


_ROUTE_WORDS = {
    "intravenous": ("intravenous", "intravenously", "iv", "infusion"),
    "subcutaneous": ("subcutaneous", "subcutaneously", "sc", "s c"),
    "oral": ("oral", "orally", "tablet", "tablets", "capsule", "capsules"),
}


def product_for(
    conditions: tuple[str, ...],
    arms_module: dict[str, Any],
    products: Sequence[Product],
    drug_ivs_names: frozenset[str] = frozenset(),
) -> tuple[str, str]:
    """(product id, problem): the product whose indication the trial's conditions name."""
    if not products:
        return "", ""
    if len(products) == 1 and not products[0].indications:
        return products[0].id, ""
    cond_words = [set(norm_text(c).split()) for c in conditions]

    def indicated(p: Product) -> bool:
        return any(
            set(norm_text(i).split()) <= w
            for i in p.indications
            for w in cond_words
            if norm_text(i)
        )

    hits = [p for p in products if indicated(p)]
    if len(hits) > 1:
        # the route named where the medicine itself is described: its intervention entries first,
        # then the arms that give it (a double-dummy arm names the comparator's route too)
        drug_ivs = [
            i
            for i in arms_module.get("interventions") or []
            if norm_text(str(i.get("name"))) in drug_ivs_names
        ]
        labels = {str(x) for i in drug_ivs for x in i.get("armGroupLabels") or []}
        levels = (
            " ".join(f"{i.get('name', '')} {i.get('description', '')}" for i in drug_ivs),
            " ".join(
                f"{a.get('label', '')} {a.get('description', '')}"
                for a in arms_module.get("armGroups") or []
                if str(a.get("label")) in labels
            ),
        )
        for text in levels:
            by_route = [
                p
                for p in hits
                if any(
                    names_in(text, w) for r in p.routes for w in _ROUTE_WORDS.get(r.lower(), (r,))
                )
            ]
            if len(by_route) == 1:
                return by_route[0].id, ""
        brands = ", ".join(p.brand for p in hits)
        return "", (
            f"its conditions ({'; '.join(conditions)}) are indications of several products ({brands}) "
            "and its arms do not tell them apart by route; not counted for any of them"
        )
    if not hits:
        brands = "; ".join(
            f"{p.brand}: {', '.join(p.indications) or 'none given'}" for p in products
        )
        return "", (
            f"its conditions ({'; '.join(conditions) or 'none given'}) name no indication of the "
            f"product(s) ({brands}); not counted"
        )
    return hits[0].id, ""
