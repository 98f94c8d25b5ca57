"""Reading one ClinicalTrials.gov API v2 study record as a :class:`~.records.Trial`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rxcompare.errors import SourceError
from rxcompare.models import Incidence, Product
from rxcompare.sources.ctgov.mapping import (
    kept_apart_reason,
    learn_abbreviations,
    map_group,
    product_for,
    read_interventions,
)
from rxcompare.sources.ctgov.records import Group, Trial, norm_text

__all__ = ["read_study"]


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().isdigit():
        return int(v)
    return None


_COUNTS = ("NumAffected", "NumAtRisk")


def _check_counts(nct: str, ae: dict[str, Any]) -> None:
    """Refuse the record (a :class:`SourceError` naming it) when a count it gives is not a whole
    number of participants (negative, fractional, text) or more participants are affected than at
    risk: a record the registry would not publish, whose other figures cannot be trusted either."""

    def refuse(where: str, what: str) -> SourceError:
        return SourceError(
            f"ClinicalTrials.gov record {nct} refused: {where}: {what}; none of its figures are "
            "shown (fetch it again with `rxcompare trials NAME --fetch`; if the registry's record "
            "says the same, it cannot be used)"
        )

    def count(value: Any, where: str, field: str) -> int | None:
        if value is None:
            return None
        n = _int(value)
        if n is None or n < 0 or (isinstance(value, str) and not value.strip().isdigit()):
            raise refuse(where, f"{field} {value!r} is not a count of participants")
        return n

    for g in ae.get("eventGroups") or []:
        if not isinstance(g, dict):
            continue
        where = f"event group {g.get('id')!r}"
        for kind in ("serious", "other", "deaths"):
            x, n = (count(g.get(f"{kind}{c}"), where, f"{kind}{c}") for c in _COUNTS)
            if x is not None and n is not None and x > n:
                raise refuse(where, f"{kind}NumAffected {x} is above {kind}NumAtRisk {n}")
    for key in ("seriousEvents", "otherEvents"):
        for e in ae.get(key) or []:
            for st in (e.get("stats") or []) if isinstance(e, dict) else []:
                if not isinstance(st, dict):
                    continue
                where = f"{key} {str(e.get('term') or '')[:60]!r} group {st.get('groupId')!r}"
                x, n = (count(st.get(f"num{c[3:]}"), where, f"num{c[3:]}") for c in _COUNTS)
                count(st.get("numEvents"), where, "numEvents")
                if x is not None and n is not None and x > n:
                    raise refuse(where, f"numAffected {x} is above numAtRisk {n}")


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
    ``asked`` is the NCT id that was requested, to name a record that is another study. A record
    whose fields have other shapes than the API's is a :class:`SourceError` naming it.
    """
    try:
        return _read_study(record, drug_names, products, asked)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise SourceError(
            f"ClinicalTrials.gov record {asked or '?'} refused: a field of another shape than the API v2 "
            f"record's ({type(exc).__name__}: {str(exc)[:120]}); fetch it again with "
            "`rxcompare trials NAME --fetch`"
        ) from None


def _read_study(
    record: dict[str, Any],
    drug_names: Sequence[str],
    products: Sequence[Product],
    asked: str | None,
) -> Trial:
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
    ivs = read_interventions(arms_module, drug_names)
    names_drug = any(i.drug for i in ivs)
    base = dict(
        nct_id=nct,
        title=str(ident.get("briefTitle") or ""),
        acronym=str(ident.get("acronym") or ""),
        phases=phases,
        allocation=allocation,
        model=model,
        conditions=tuple(
            str(c) for c in (ps.get("conditionsModule") or {}).get("conditions") or []
        ),
        results_first_posted=str(
            (status.get("resultsFirstPostDateStruct") or {}).get("date") or ""
        ),
        last_update_posted=str((status.get("lastUpdatePostDateStruct") or {}).get("date") or ""),
    )
    if not names_drug:
        listed = ", ".join(i.name for i in ivs) or "none listed"
        problems.append(
            f"a record of another medicine: no intervention is named {' or '.join(drug_names)} "
            f"(its interventions: {listed}); not counted"
        )
    product, why = product_for(
        base["conditions"],
        arms_module,
        products,
        frozenset(norm_text(i.name) for i in ivs if i.drug),
    )
    if why:
        problems.append(why)
    results = record.get("resultsSection")
    ae = (results or {}).get("adverseEventsModule") if isinstance(results, dict) else None
    if not record.get("hasResults") or not isinstance(results, dict):
        problems.append("no results posted on ClinicalTrials.gov (hasResults false)")
        return Trial(
            **base,
            groups=(),
            incidences=(),
            problems=tuple(problems),
            product=product,
            names_drug=names_drug,
        )
    if not isinstance(ae, dict):
        problems.append("results posted without an adverse-events module")
        return Trial(
            **base,
            groups=(),
            incidences=(),
            problems=tuple(problems),
            product=product,
            names_drug=names_drug,
        )
    _check_counts(nct, ae)
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
    learn_abbreviations(
        ivs,
        [str(x.get("description") or "") for x in (*arms, *event_groups)]
        + [str(ae.get("description") or "")],
    )
    groups: dict[str, Group] = {}
    for g in event_groups:
        gid = str(g.get("id") or "")
        role, iv, how = (
            map_group(g, arms, ivs)
            if names_drug
            else ("not counted", "", "the study is not of the medicine")
        )
        apart = kept_apart_reason(str(g.get("title") or ""), str(g.get("description") or ""))
        if "switch" in apart and names_drug:
            role = "switched"
        apart = ", ".join(x for x in (not_parallel, apart) if x)
        groups[gid] = Group(
            id=gid,
            title=str(g.get("title") or gid),
            role=role,
            intervention=iv,
            how=how,
            kept_apart=apart,
            serious=(_int(g.get("seriousNumAffected")), _int(g.get("seriousNumAtRisk"))),
            other=(_int(g.get("otherNumAffected")), _int(g.get("otherNumAtRisk"))),
            deaths=(_int(g.get("deathsNumAffected")), _int(g.get("deathsNumAtRisk"))),
        )
        if role == "unmapped" and not apart:
            problems.append(
                f"group {gid} {g.get('title')!r} cannot be mapped to the medicine or a comparator: {how}"
            )
    if not groups:
        problems.append("the adverse-events module has no event groups")
    serious = (
        [e for e in ae.get("seriousEvents") or [] if isinstance(e, dict)]
        if isinstance(ae.get("seriousEvents"), list)
        else []
    )
    other = (
        [e for e in ae.get("otherEvents") or [] if isinstance(e, dict)]
        if isinstance(ae.get("otherEvents"), list)
        else []
    )
    if not serious and not other:
        problems.append(
            "the adverse-events module lists no serious and no other events (empty lists)"
        )
    trial_stub = Trial(
        **base, groups=tuple(groups.values()), incidences=(), problems=(), product=product
    )
    rows: list[Incidence] = []
    skipped: dict[str, int] = {}
    for is_serious, events in ((True, serious), (False, other)):
        for e in events:
            term = str(e.get("term") or "").strip()
            for s in e.get("stats") or []:
                if not isinstance(s, dict):
                    continue
                g = groups.get(str(s.get("groupId")))
                if g is None:
                    skipped["a group id that is not among the event groups"] = (
                        skipped.get("a group id that is not among the event groups", 0) + 1
                    )
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
                        product=product,
                        event=term,
                        trial=trial_stub.name,
                        arm=g.title,
                        n=n,
                        percent=100.0 * x / n,
                        is_comparator=g.role == "comparator",
                        citation=trial_stub.citation(g.id),
                        count=x,
                        serious=is_serious,
                        organ_system=str(e.get("organSystem") or ""),
                        vocabulary=str(
                            e.get("sourceVocabulary") or ae.get("sourceVocabulary") or ""
                        ),
                        assessment=str(e.get("assessmentType") or ""),
                        time_frame=str(ae.get("timeFrame") or ""),
                        threshold=threshold,
                        intervention=g.intervention,
                        kept_apart=g.kept_apart,
                    )
                )
    for what, count in skipped.items():
        problems.append(f"{count} event row(s) not counted: {what}")
    return Trial(
        **base,
        groups=tuple(groups.values()),
        incidences=tuple(rows),
        problems=tuple(problems),
        product=product,
        time_frame=str(ae.get("timeFrame") or ""),
        threshold=threshold,
        names_drug=names_drug,
    )
