"""ClinicalTrials.gov API v2: a medicine's trials with posted results, arm by arm.

What it asks (``RXCOMPARE_CTGOV_BASE``, default ``https://clinicaltrials.gov/api/v2``):

1. ``GET /studies`` with ``query.intr=<name>`` (the intervention search area: intervention names,
   other names, arm groups), ``filter.advanced=AREA[Phase]PHASE3 AND AREA[HasResults]true``
   (phase 3; a phase 2/3 study lists both PHASE2 and PHASE3, so it matches; results posted),
   ``fields=NCTId,BriefTitle,Phase,HasResults``, ``pageSize=100``, ``countTotal=true``; the next
   page is asked with the answer's ``nextPageToken`` as ``pageToken`` until there is none.
2. ``GET /studies/{nctId}`` for each study found (or each ``--nct`` given).

Requests go through :class:`CtGovClient`, the openFDA client's cache, retries and errors
(:mod:`rxcompare.sources.online`) pointed at ClinicalTrials.gov.

What it reads (:func:`read_study`): ``armsInterventionsModule`` (arms, interventions, other
names), ``designModule`` (phases, allocation, intervention model), ``conditionsModule``, the
status dates, and ``resultsSection.adverseEventsModule``: each event group (the arms as the
adverse-event tables report them), mapped to the medicine or a comparator, and each serious and
other event term as one :class:`~rxcompare.models.Incidence` per group. Nothing is guessed: a group
that cannot be mapped, a number at risk that is missing or zero, a study without results, a record
of another medicine, are each named in the trial's ``problems``. Open-label, extension, switch and
cross-over groups (and all groups of a trial that is not randomised in parallel) keep the reason in
``kept_apart`` and stay out of the randomised comparison.

:class:`TrialsStore` keeps what one fetch returned (the raw records, the query URLs and the date)
in one file per searched name, written atomically once every record has arrived; offline, the
comparison reads it from there and says the date.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from rxcompare import settings
from rxcompare.errors import ConfigError, OnlineError, SourceError
from rxcompare.models import Citation, Incidence, Product
from rxcompare.sources.online import OpenFdaClient

__all__ = [
    "CtGovClient",
    "Group",
    "Registry",
    "RegistrySource",
    "Trial",
    "TrialsStore",
    "fetch_registry",
    "read_study",
    "registry_from_records",
    "search_studies",
]

PHASE_FILTER = "AREA[Phase]PHASE3 AND AREA[HasResults]true"
SEARCH_FIELDS = "NCTId,BriefTitle,Phase,HasResults"
PAGE_SIZE = 100
MAX_PAGES = 50
STUDY_URL = "https://clinicaltrials.gov/study/{nct}"
_NCT = re.compile(r"^NCT\d{8}$")
STORE_SCHEMA = "rxcompare/ctgov-trials"


class CtGovClient(OpenFdaClient):
    """The openFDA client's cache, retries and errors, for ClinicalTrials.gov API v2 (no key)."""

    service = "ClinicalTrials.gov"
    base_setting = settings.CTGOV_BASE
    key_setting = None
    cache_name = "ctgov"
    endpoint_pattern = re.compile(r"^studies(/NCT\d{8})?$")
    endpoint_form = "studies or studies/NCT followed by 8 digits"

    def __init__(self, base: str | None = None, **kw: Any):
        kw["api_key"] = ""
        super().__init__(base, **kw)

    def _not_found(self, response: httpx.Response, url: str, params: Any):
        raise OnlineError(
            f"ClinicalTrials.gov has no study at {url} (404); check the NCT id (--nct)"
        )

    def _refused(self, response: httpx.Response, url: str) -> OnlineError:
        text = response.text[:200].strip() or response.reason_phrase
        hint = (
            "check the drug name and --nct ids" if response.status_code == 400
            else f"check {self.base_setting.env} or run without --online"
        )
        return OnlineError(
            f"ClinicalTrials.gov at {self.base} answered {response.status_code} ({text}) to {url}; {hint}"
        )


# ---- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """One event group of a trial's adverse-event module, mapped (or not) to an arm.

    ``role`` is ``drug``, ``comparator``, ``switched`` (the group changed treatment) or
    ``unmapped``; ``how`` says how the mapping was made, or why it could not be.
    """

    id: str
    title: str
    role: str
    intervention: str
    how: str
    kept_apart: str = ""
    serious: tuple[int | None, int | None] = (None, None)  # (affected, at risk)
    other: tuple[int | None, int | None] = (None, None)
    deaths: tuple[int | None, int | None] = (None, None)

    @property
    def randomised(self) -> bool:
        return self.role in ("drug", "comparator") and not self.kept_apart


@dataclass(frozen=True)
class Trial:
    """A study record read for one medicine: arms, incidences, citation and what is wrong with it."""

    nct_id: str
    title: str
    acronym: str
    phases: tuple[str, ...]
    allocation: str
    model: str
    conditions: tuple[str, ...]
    results_first_posted: str
    last_update_posted: str
    groups: tuple[Group, ...]
    incidences: tuple[Incidence, ...]
    problems: tuple[str, ...]
    product: str = ""  # the product id the trial is counted for ("" when none)
    time_frame: str = ""
    threshold: float | None = None
    names_drug: bool = True

    @property
    def name(self) -> str:
        return f"{self.nct_id} ({self.acronym})" if self.acronym else self.nct_id

    @property
    def url(self) -> str:
        return STUDY_URL.format(nct=self.nct_id)

    @property
    def design(self) -> tuple[str, ...]:
        """What pooled trials must share: allocation, model, phases and the comparator(s)."""
        comps = sorted({_norm(g.intervention) for g in self.groups if g.randomised and g.role == "comparator"})
        return (self.allocation, self.model, ",".join(self.phases), "|".join(comps))

    @property
    def usable(self) -> bool:
        """Both a drug arm and a comparator arm in the randomised comparison."""
        roles = {g.role for g in self.groups if g.randomised}
        return {"drug", "comparator"} <= roles

    def citation(self, *group_ids: str) -> Citation:
        detail = [
            ("registry", "ClinicalTrials.gov"),
            ("nct_id", self.nct_id),
            ("results_first_posted", self.results_first_posted or "not given"),
            ("last_update_posted", self.last_update_posted or "not given"),
        ]
        if group_ids:
            detail.append(("arm_group_ids", ", ".join(group_ids)))
        return Citation(
            kind="trial",
            title=f"ClinicalTrials.gov {self.nct_id}: {self.title}",
            version=f"last update posted {self.last_update_posted}" if self.last_update_posted else None,
            effective_date=self.last_update_posted or None,
            section=", ".join(group_ids) or None,
            url=self.url,
            detail=tuple(detail),
            source_class="registry",
        )


@dataclass(frozen=True)
class Registry:
    """What the registry gave for one searched name: trials, faults outside any trial, provenance."""

    name: str
    trials: tuple[Trial, ...]
    notes: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()
    fetched_at: datetime | None = None
    from_store: bool = False
    total: int | None = None
    error: str = ""  # the online error, when the registry could not be read

    def for_product(self, product_id: str) -> tuple[Trial, ...]:
        return tuple(t for t in self.trials if t.product == product_id)


# ---- reading one record -------------------------------------------------------------------


def _norm(text: str | None) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", (text or "").lower()).split())


def _names_in(text: str, name: str) -> bool:
    """Whether ``name`` occurs in ``text`` as whole words (both normalised)."""
    t, n = _norm(text), _norm(name)
    return bool(n) and f" {n} " in f" {t} "


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().isdigit():
        return int(v)
    return None


_OPEN = re.compile(r"open[- ]label|\bOL\b", re.I)
_EXTENSION = re.compile(r"extension|\bSFE\b|\bOLE\b|long[- ]term follow", re.I)
_SWITCH = re.compile(r"->|→|\bswitch|cross[- ]?over|crossed over|re-?randomi", re.I)


def _kept_apart(title: str, description: str) -> str:
    reasons = []
    for what, pattern in (("switch or cross-over", _SWITCH), ("open-label", _OPEN), ("extension", _EXTENSION)):
        if pattern.search(title) or (what != "switch or cross-over" and pattern.search(description)):
            reasons.append(what)
    if _SWITCH.search(description) and "switch or cross-over" not in reasons:
        reasons.append("switch or cross-over")
    return ", ".join(reasons)


@dataclass
class _Intervention:
    name: str
    other_names: tuple[str, ...]
    arms: tuple[str, ...]
    placebo: bool
    drug: bool

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.other_names)


def _interventions(arms_module: dict[str, Any], drug_names: Sequence[str]) -> list[_Intervention]:
    out = []
    for i in arms_module.get("interventions") or []:
        name = str(i.get("name") or "")
        others = tuple(str(x) for x in i.get("otherNames") or [])
        placebo = any(_names_in(n, "placebo") or _names_in(n, "sham") for n in (name, *others))
        drug = not placebo and any(_names_in(n, d) or _names_in(d, n) for n in (name, *others) for d in drug_names)
        out.append(_Intervention(name, others, tuple(str(a) for a in i.get("armGroupLabels") or []), placebo, drug))
    return out


def _learn_abbreviations(ivs: list[_Intervention], texts: Iterable[str]) -> None:
    """Add the abbreviations a study defines for its interventions ("Certolizumab pegol (CZP)")."""
    joined = "\n".join(texts)
    for i in ivs:
        for n in i.names:
            if len(n) < 4:
                continue
            for m in re.finditer(re.escape(n) + r"\s*\(([A-Za-z][A-Za-z0-9-]{1,9})\)", joined, re.I):
                abbr = m.group(1)
                if abbr not in i.other_names and _norm(abbr) not in ("sc", "iv", "im", "po", "ss", "mg"):
                    i.other_names = (*i.other_names, abbr)


def _arm_interventions(arm: dict[str, Any], ivs: list[_Intervention]) -> list[_Intervention]:
    found = []
    for label in arm.get("interventionNames") or []:
        bare = str(label).split(":", 1)[-1].strip()
        found += [i for i in ivs if _norm(i.name) == _norm(bare) and i not in found]
    found += [i for i in ivs if str(arm.get("label")) in i.arms and i not in found]
    return found


def _role(ivs: list[_Intervention]) -> tuple[str, str]:
    """(role, intervention text) of a set of interventions: drug when one is the medicine."""
    if not ivs:
        return "unmapped", ""
    if any(i.drug for i in ivs):
        return "drug", " + ".join(i.name for i in ivs if i.drug)
    active = [i for i in ivs if not i.placebo]
    return "comparator", " + ".join(i.name for i in (active or ivs))


def _named(text: str, ivs: list[_Intervention]) -> list[_Intervention]:
    hit = [i for i in ivs if any(_names_in(text, n) for n in i.names)]
    if _names_in(text, "placebo"):
        hit += [i for i in ivs if i.placebo and i not in hit]
    return hit


def _map_group(g: dict[str, Any], arms: list[dict[str, Any]], ivs: list[_Intervention]) -> tuple[str, str, str]:
    """(role, intervention, how) for one event group; never guessed."""
    title = str(g.get("title") or "")
    desc = str(g.get("description") or "")
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", title)
    for arm in arms:
        if _norm(arm.get("label")) in (_norm(title), _norm(bare)) and _norm(arm.get("label")):
            role, iv = _role(_arm_interventions(arm, ivs))
            if role != "unmapped":
                return role, iv, f"title matches arm {arm.get('label')!r}"
    for where, text in (("title", title), ("description", desc)):
        hit = _named(text, ivs)
        if not hit:
            continue
        roles = {"drug" if i.drug else "comparator" for i in hit}
        if len(roles) > 1:
            names = ", ".join(i.name for i in hit)
            return "unmapped", names, f"its {where} names both the medicine and a comparator ({names})"
        role, iv = _role(hit)
        return role, iv, f"its {where} names {iv}"
    return "unmapped", "", "neither its title nor its description names an intervention of the study"


def _threshold(value: Any) -> float | None:
    try:
        t = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return t if 0 <= t <= 100 else None


def read_study(
    record: dict[str, Any],
    drug_names: Sequence[str],
    products: Sequence[Product] = (),
    asked: str | None = None,
) -> Trial:
    """One API v2 study record as a :class:`Trial` for the medicine named by ``drug_names``.

    ``products`` are the products of the medicine's ingredient: the trial is counted for the one
    whose indication its conditions name (and, when several do, whose route its arms name).
    ``asked`` is the NCT id that was requested, to name a record that is another study.
    """
    if not isinstance(record, dict) or not isinstance(record.get("protocolSection"), dict):
        raise SourceError(
            f"ClinicalTrials.gov record {asked or '?'} has no protocolSection; it is not an API v2 study record"
        )
    ps = record["protocolSection"]
    ident = ps.get("identificationModule") or {}
    status = ps.get("statusModule") or {}
    design = ps.get("designModule") or {}
    info = design.get("designInfo") or {}
    arms_module = ps.get("armsInterventionsModule") or {}
    nct = str(ident.get("nctId") or asked or "?")
    problems: list[str] = []
    if asked and nct != asked:
        problems.append(f"asked for {asked}, the registry returned the record of {nct}")
    phases = tuple(str(p) for p in design.get("phases") or [])
    allocation = str(info.get("allocation") or "")
    model = str(info.get("interventionModel") or "")
    ivs = _interventions(arms_module, drug_names)
    names_drug = any(i.drug for i in ivs)
    base = dict(
        nct_id=nct,
        title=str(ident.get("briefTitle") or ""),
        acronym=str(ident.get("acronym") or ""),
        phases=phases,
        allocation=allocation,
        model=model,
        conditions=tuple(str(c) for c in (ps.get("conditionsModule") or {}).get("conditions") or []),
        results_first_posted=str((status.get("resultsFirstPostDateStruct") or {}).get("date") or ""),
        last_update_posted=str((status.get("lastUpdatePostDateStruct") or {}).get("date") or ""),
    )
    if not names_drug:
        listed = ", ".join(i.name for i in ivs) or "none listed"
        problems.append(
            f"a record of another medicine: no intervention is named {' or '.join(drug_names)} "
            f"(its interventions: {listed}); not counted"
        )
    product, why = _product_for(
        base["conditions"], arms_module, products, frozenset(_norm(i.name) for i in ivs if i.drug)
    )
    if why:
        problems.append(why)
    results = record.get("resultsSection")
    ae = (results or {}).get("adverseEventsModule") if isinstance(results, dict) else None
    if not record.get("hasResults") or not isinstance(results, dict):
        problems.append("no results posted on ClinicalTrials.gov (hasResults false)")
        return Trial(**base, groups=(), incidences=(), problems=tuple(problems), product=product, names_drug=names_drug)
    if not isinstance(ae, dict):
        problems.append("results posted without an adverse-events module")
        return Trial(**base, groups=(), incidences=(), problems=tuple(problems), product=product, names_drug=names_drug)
    threshold = _threshold(ae.get("frequencyThreshold"))
    if threshold is None:
        problems.append(f"frequency threshold {ae.get('frequencyThreshold')!r} is not a percentage")
    not_parallel = ""
    if allocation != "RANDOMIZED":
        not_parallel = f"not randomised (allocation {allocation or 'not given'})"
    elif model == "CROSSOVER":
        not_parallel = "cross-over design"
    elif model and model != "PARALLEL":
        not_parallel = f"{model.lower().replace('_', ' ')} design"
    arms = [a for a in arms_module.get("armGroups") or [] if isinstance(a, dict)]
    event_groups = [g for g in ae.get("eventGroups") or [] if isinstance(g, dict)]
    _learn_abbreviations(ivs, [str(x.get("description") or "") for x in (*arms, *event_groups)]
                         + [str(ae.get("description") or "")])
    groups: dict[str, Group] = {}
    for g in event_groups:
        gid = str(g.get("id") or "")
        role, iv, how = _map_group(g, arms, ivs) if names_drug else ("not counted", "", "the study is not of the medicine")
        apart = _kept_apart(str(g.get("title") or ""), str(g.get("description") or ""))
        if "switch" in apart and names_drug:
            role = "switched"
        apart = ", ".join(x for x in (not_parallel, apart) if x)
        groups[gid] = Group(
            id=gid, title=str(g.get("title") or gid), role=role, intervention=iv, how=how, kept_apart=apart,
            serious=(_int(g.get("seriousNumAffected")), _int(g.get("seriousNumAtRisk"))),
            other=(_int(g.get("otherNumAffected")), _int(g.get("otherNumAtRisk"))),
            deaths=(_int(g.get("deathsNumAffected")), _int(g.get("deathsNumAtRisk"))),
        )
        if role == "unmapped" and not apart:
            problems.append(f"group {gid} {g.get('title')!r} cannot be mapped to the medicine or a comparator: {how}")
    if not groups:
        problems.append("the adverse-events module has no event groups")
    serious = ae.get("seriousEvents") or []
    other = ae.get("otherEvents") or []
    if not serious and not other:
        problems.append("the adverse-events module lists no serious and no other events (empty lists)")
    trial_stub = Trial(**base, groups=tuple(groups.values()), incidences=(), problems=(), product=product)
    rows: list[Incidence] = []
    skipped: dict[str, int] = {}
    for is_serious, events in ((True, serious), (False, other)):
        for e in events:
            term = str(e.get("term") or "").strip()
            for s in e.get("stats") or []:
                g = groups.get(str(s.get("groupId")))
                if g is None:
                    skipped["a group id that is not among the event groups"] = skipped.get("a group id that is not among the event groups", 0) + 1
                    continue
                if g.role not in ("drug", "comparator"):
                    continue
                x, n = _int(s.get("numAffected")), _int(s.get("numAtRisk"))
                if n is None or n == 0:
                    key = f"group {g.id}: number at risk {'missing' if n is None else 'zero'}"
                    skipped[key] = skipped.get(key, 0) + 1
                    continue
                if x is None or x > n:
                    key = f"group {g.id}: number affected {'missing' if x is None else 'above the number at risk'}"
                    skipped[key] = skipped.get(key, 0) + 1
                    continue
                rows.append(
                    Incidence(
                        product=product, event=term, trial=trial_stub.name, arm=g.title, n=n,
                        percent=100.0 * x / n, is_comparator=g.role == "comparator",
                        citation=trial_stub.citation(g.id), count=x, serious=is_serious,
                        organ_system=str(e.get("organSystem") or ""),
                        vocabulary=str(e.get("sourceVocabulary") or ae.get("sourceVocabulary") or ""),
                        assessment=str(e.get("assessmentType") or ""),
                        time_frame=str(ae.get("timeFrame") or ""), threshold=threshold,
                        intervention=g.intervention, kept_apart=g.kept_apart,
                    )
                )
    for what, count in skipped.items():
        problems.append(f"{count} event row(s) not counted: {what}")
    return Trial(
        **base, groups=tuple(groups.values()), incidences=tuple(rows), problems=tuple(problems),
        product=product, time_frame=str(ae.get("timeFrame") or ""), threshold=threshold,
        names_drug=names_drug,
    )


_ROUTE_WORDS = {
    "intravenous": ("intravenous", "intravenously", "iv", "infusion"),
    "subcutaneous": ("subcutaneous", "subcutaneously", "sc", "s c"),
    "oral": ("oral", "orally", "tablet", "tablets", "capsule", "capsules"),
}


def _product_for(
    conditions: tuple[str, ...], arms_module: dict[str, Any], products: Sequence[Product],
    drug_ivs_names: frozenset[str] = frozenset(),
) -> tuple[str, str]:
    """(product id, problem): the product whose indication the trial's conditions name."""
    if not products:
        return "", ""
    if len(products) == 1 and not products[0].indications:
        return products[0].id, ""
    cond_words = [set(_norm(c).split()) for c in conditions]

    def indicated(p: Product) -> bool:
        return any(set(_norm(i).split()) <= w for i in p.indications for w in cond_words if _norm(i))

    hits = [p for p in products if indicated(p)]
    if len(hits) > 1:
        # the route named where the medicine itself is described: its intervention entries first,
        # then the arms that give it (a double-dummy arm names the comparator's route too)
        drug_ivs = [i for i in arms_module.get("interventions") or [] if _norm(str(i.get("name"))) in drug_ivs_names]
        labels = {str(x) for i in drug_ivs for x in i.get("armGroupLabels") or []}
        levels = (
            " ".join(f"{i.get('name', '')} {i.get('description', '')}" for i in drug_ivs),
            " ".join(f"{a.get('label', '')} {a.get('description', '')}"
                     for a in arms_module.get("armGroups") or [] if str(a.get("label")) in labels),
        )
        for text in levels:
            by_route = [
                p for p in hits
                if any(_names_in(text, w) for r in p.routes for w in _ROUTE_WORDS.get(r.lower(), (r,)))
            ]
            if len(by_route) == 1:
                return by_route[0].id, ""
        brands = ", ".join(p.brand for p in hits)
        return "", (f"its conditions ({'; '.join(conditions)}) are indications of several products ({brands}) "
                    "and its arms do not tell them apart by route; not counted for any of them")
    if not hits:
        brands = "; ".join(f"{p.brand}: {', '.join(p.indications) or 'none given'}" for p in products)
        return "", (f"its conditions ({'; '.join(conditions) or 'none given'}) name no indication of the "
                    f"product(s) ({brands}); not counted")
    return hits[0].id, ""


# ---- asking the registry ------------------------------------------------------------------


def search_studies(client: CtGovClient, name: str) -> tuple[list[str], list[str], int | None]:
    """(NCT ids, query URLs, registry total) of phase 3 (and 2/3) studies with results naming ``name``."""
    params: dict[str, Any] = {
        "query.intr": name,
        "filter.advanced": PHASE_FILTER,
        "fields": SEARCH_FIELDS,
        "pageSize": PAGE_SIZE,
        "countTotal": "true",
        "format": "json",
    }
    ids: list[str] = []
    urls: list[str] = []
    total: int | None = None
    seen_tokens: set[str] = set()
    token: str | None = None
    for _page in range(MAX_PAGES):
        fetched = client.fetch("studies", {**params, "pageToken": token} if token else params)
        urls.append(fetched.url)
        studies = fetched.data.get("studies")
        if not isinstance(studies, list):
            raise OnlineError(
                f"ClinicalTrials.gov answered {fetched.url} without a 'studies' list; try again later"
            )
        if total is None and isinstance(fetched.data.get("totalCount"), int):
            total = fetched.data["totalCount"]
        for s in studies:
            nct = ((s or {}).get("protocolSection") or {}).get("identificationModule", {}).get("nctId")
            if isinstance(nct, str) and _NCT.match(nct) and nct not in ids:
                ids.append(nct)
        token = fetched.data.get("nextPageToken")
        if not token:
            return ids, urls, total
        if token in seen_tokens:
            raise OnlineError(f"ClinicalTrials.gov repeated the page token {token!r} ({fetched.url}); stopped paging")
        seen_tokens.add(token)
    raise OnlineError(f"ClinicalTrials.gov gave more than {MAX_PAGES} pages for {name!r}; name the trials with --nct")


def check_nct(ids: Iterable[str]) -> tuple[str, ...]:
    out = []
    for x in ids:
        nct = x.strip().upper()
        if not _NCT.match(nct):
            raise ConfigError(f"--nct {x!r} is not an NCT id (NCT followed by 8 digits, e.g. NCT02792218)")
        out.append(nct)
    return tuple(dict.fromkeys(out))


def fetch_records(client: CtGovClient, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each study's full record (``/studies/{nctId}``), by the id asked."""
    return {nct: client.fetch(f"studies/{nct}", {}).data for nct in ids}


def registry_from_records(
    name: str,
    records: dict[str, dict[str, Any]],
    drug_names: Sequence[str],
    products: Sequence[Product] = (),
    **kw: Any,
) -> Registry:
    """A :class:`Registry` of records already fetched (or read from the store)."""
    trials = []
    notes = list(kw.pop("notes", ()))
    for asked, record in records.items():
        try:
            trials.append(read_study(record, drug_names, products, asked=asked))
        except SourceError as exc:
            notes.append(str(exc))
    return Registry(name=name, trials=tuple(trials), notes=tuple(notes), **kw)


def fetch_registry(
    name: str,
    client: CtGovClient,
    drug_names: Sequence[str],
    products: Sequence[Product] = (),
    nct: Sequence[str] = (),
) -> tuple[Registry, dict[str, Any]]:
    """Search (or take ``nct``), fetch every record, read them; returns the registry and the
    document :class:`TrialsStore` keeps. Raises :class:`OnlineError` when a request fails."""
    ids = list(check_nct(nct))
    urls: list[str] = []
    total = None
    if not ids:
        ids, urls, total = search_studies(client, name)
    records = fetch_records(client, ids)
    urls += [client.url(f"studies/{x}", {}) for x in ids]
    now = datetime.now(UTC)
    doc = {
        "schema": STORE_SCHEMA, "version": 1, "name": name, "fetched_at": now.isoformat(),
        "queries": urls, "total": total, "selection": list(nct), "records": records,
    }
    reg = registry_from_records(name, records, drug_names, products, queries=tuple(urls), fetched_at=now, total=total)
    return reg, doc


# ---- the store of fetched trials ----------------------------------------------------------


class TrialsStore:
    """One JSON file per searched name under ``<RXCOMPARE_CACHE>/ctgov/trials``, written atomically."""

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self.root = Path(root) if root is not None else Path(settings.CACHE.get() or ".") / "ctgov" / "trials"

    def path(self, name: str) -> Path:
        return self.root / (_norm(name).replace(" ", "-") + ".json")

    def save(self, doc: dict[str, Any]) -> Path:
        target = self.path(doc["name"])
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".trials-", suffix=".json", dir=self.root)
        except OSError as exc:
            raise SourceError(f"trials cache {self.root}: cannot write ({exc}); check RXCOMPARE_CACHE") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False)
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise SourceError(f"trials cache {target}: cannot write ({exc}); check RXCOMPARE_CACHE") from None
        return target

    def load(self, name: str) -> dict[str, Any] | None:
        """The stored document, None when absent; a damaged file is a :class:`SourceError`."""
        path = self.path(name)
        if not path.is_file():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            ok = doc.get("schema") == STORE_SCHEMA and isinstance(doc.get("records"), dict)
            datetime.fromisoformat(doc["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            ok = False
        if not ok:
            raise SourceError(
                f"trials cache {path} cannot be read; delete it or run `rxcompare trials {name} --fetch` again"
            )
        return doc


def stored_registry(doc: dict[str, Any], drug_names: Sequence[str], products: Sequence[Product] = ()) -> Registry:
    return registry_from_records(
        doc["name"], doc["records"], drug_names, products, queries=tuple(doc.get("queries") or ()),
        fetched_at=datetime.fromisoformat(doc["fetched_at"]), from_store=True, total=doc.get("total"),
    )


# ---- the source the comparison uses -------------------------------------------------------


@dataclass
class RegistrySource:
    """Registry trials for the comparison: fetched (``online``) and stored, or read from the store.

    Online, a failed request is returned as the registry's ``error`` (with the stored trials, when
    an earlier fetch left some), never raised: the rest of the comparison goes on.
    """

    online: bool = False
    client: CtGovClient | None = None
    store: TrialsStore = field(default_factory=TrialsStore)

    def for_drug(self, ingredient: str, products: Sequence[Product]) -> Registry | None:
        names = drug_names(ingredient, products)
        if self.online:
            client = self.client or CtGovClient()
            try:
                reg, doc = fetch_registry(ingredient, client, names, products)
            except OnlineError as exc:
                stored = self._stored(ingredient, names, products)
                if stored is None:
                    return Registry(name=ingredient, trials=(), error=str(exc))
                return Registry(**{**stored.__dict__, "error": str(exc)})
            self.store.save(doc)
            return reg
        return self._stored(ingredient, names, products)

    def _stored(self, ingredient, names, products) -> Registry | None:
        try:
            doc = self.store.load(ingredient)
        except SourceError as exc:
            return Registry(name=ingredient, trials=(), error=str(exc), from_store=True)
        return stored_registry(doc, names, products) if doc else None


def drug_names(ingredient: str, products: Sequence[Product]) -> tuple[str, ...]:
    """The names an intervention may carry for this medicine: ingredient, brands, synonyms."""
    names = [ingredient] + [n for p in products for n in (p.brand, *p.synonyms)]
    unique: dict[str, str] = {}
    for n in names:
        if len(_norm(n)) >= 3:
            unique.setdefault(_norm(n), n)
    return tuple(unique.values())


# ---- listing ------------------------------------------------------------------------------


def _n(pair: tuple[int | None, int | None]) -> str:
    x, n = pair
    return "not given" if x is None or n is None else f"{x} of {n}"


def trials_outline(reg: Registry, products: Sequence[Product] = ()) -> str:
    """The trials of a registry answer as text: arms, mapping, counts, and what is not counted."""
    brands = ", ".join(p.brand for p in products) or "none in the knowledge pack"
    when = reg.fetched_at.isoformat(timespec="seconds") if reg.fetched_at else "unknown"
    how = f"read from the trials cache (fetched {when})" if reg.from_store else f"fetched {when}"
    lines = [f"{reg.name} (products: {brands}): ClinicalTrials.gov, {how}"]
    if reg.total is not None:
        lines.append(f"registry total for the search: {reg.total} studies")
    if reg.queries:
        lines.append("queries:")
        lines += [f"  {q}" for q in reg.queries]
    if reg.error:
        lines.append(f"! {reg.error}")
    lines += [f"! {n}" for n in reg.notes]
    if not reg.trials:
        lines.append("no trials")
    by_id = {p.id: p.brand for p in products}
    for t in reg.trials:
        lines.append("")
        lines.append(f"{t.name}: {t.title}")
        lines.append(
            f"  {', '.join(t.phases) or 'phase not given'}; {t.allocation or 'allocation not given'}, "
            f"{t.model or 'model not given'}; conditions: {'; '.join(t.conditions) or 'not given'}"
        )
        lines.append(
            f"  results first posted {t.results_first_posted or 'not given'}, last update posted "
            f"{t.last_update_posted or 'not given'}; {t.url}"
        )
        counted = by_id.get(t.product, t.product) if t.product else "no product"
        lines.append(f"  counted for: {counted}; randomised comparison: {'yes' if t.usable else 'no'}")
        for g in t.groups:
            state = f"kept apart ({g.kept_apart})" if g.kept_apart else "randomised comparison"
            lines.append(
                f"  {g.id} {g.title}: {g.role}{f' ({g.intervention})' if g.intervention else ''}, {g.how}; "
                f"{state}; serious {_n(g.serious)}, other {_n(g.other)}, deaths {_n(g.deaths)}"
            )
        if t.groups:
            serious = len({i.event for i in t.incidences if i.serious})
            other = len({i.event for i in t.incidences if i.serious is False})
            threshold = "not given" if t.threshold is None else f"{t.threshold:g}%"
            lines.append(
                f"  events: {serious} serious and {other} other terms counted; frequency threshold "
                f"{threshold} (other events are listed only above it); time frame: {t.time_frame or 'not given'}"
            )
        lines += [f"  ! {p}" for p in t.problems]
    return "\n".join(lines)


def trials_json(registries: Sequence[Registry]) -> dict[str, Any]:
    """The listing as a versioned JSON document (incidences included)."""
    from rxcompare.models import to_dict

    def trial(t: Trial) -> dict[str, Any]:
        d = to_dict(t)
        d["name"], d["url"], d["usable"] = t.name, t.url, t.usable
        return d

    return {
        "schema": "rxcompare/trials",
        "version": 1,
        "registries": [
            {
                "name": r.name, "fetched_at": r.fetched_at.isoformat() if r.fetched_at else None,
                "from_cache": r.from_store, "queries": list(r.queries), "total": r.total,
                "error": r.error or None, "notes": list(r.notes), "trials": [trial(t) for t in r.trials],
            }
            for r in registries
        ],
    }
