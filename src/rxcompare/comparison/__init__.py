"""compare: two drugs' evidence -> a :class:`~rxcompare.models.Comparison`, dimension by dimension.

Each dimension function takes both drugs' :class:`Evidence` and returns findings that cite it.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any

from rxcompare.comparison import phrases as ph
from rxcompare.comparison.administration import (
    administration,
    administration_reactions,
    convenience,
)
from rxcompare.comparison.evidence import Evidence, gather
from rxcompare.comparison.factors import (
    check_factors,
    emphasise,
    factor_findings,
    lead_with_context,
)
from rxcompare.comparison.jurisdiction import add_other_jurisdiction
from rxcompare.comparison.labels import (
    immunoglobulins,
    infections,
    malignancy,
    mechanism,
    monitoring,
    other_warnings,
    pregnancy,
    vaccinations,
)
from rxcompare.comparison.postmarketing import PostMarketingSource, absent
from rxcompare.comparison.resolve import candidates, find_mentions, resolve_pair
from rxcompare.comparison.studies import pair_studies
from rxcompare.comparison.summary import build_summary
from rxcompare.comparison.trials import registry_provenance, trial_reactions
from rxcompare.comparison.verdict import build_verdict
from rxcompare.errors import ConfigError, QuestionError, UnknownDrugError
from rxcompare.models import Comparison, Dimension, Drug, Grade, SummaryLine
from rxcompare.sources.pack import Pack, load_pack

DIMENSION_FUNCTIONS = {
    "mechanism": mechanism,
    "administration": administration,
    "administration_reactions": administration_reactions,
    "infections": infections,
    "vaccinations": vaccinations,
    "malignancy": malignancy,
    "immunoglobulins": immunoglobulins,
    "pregnancy": pregnancy,
    "other_warnings": other_warnings,
    "trial_reactions": trial_reactions,
    "monitoring": monitoring,
    "convenience": convenience,
}
AUDIENCES = ("clinician", "patient")


def compare_drugs(
    a: Drug,
    b: Drug,
    pack: Pack,
    *,
    factors: tuple[str, ...] = (),
    audience: str = "clinician",
    postmarketing: PostMarketingSource | None = None,
    postmarketing_missing: str = "no FAERS warehouse or online source was given.",
    indication: str | None = None,
    trials=None,
    literature=None,
) -> Comparison:
    """Compare two resolved drugs on every dimension; ``trials`` (a
    :class:`~rxcompare.sources.ctgov.RegistrySource`) adds each drug's registry trials;
    ``literature`` (a PubMed or Europe PMC client) lists the index's publications on the pair
    beside the pack's curated ones (without it, the curated ones only: :func:`pair_studies`)."""
    if audience not in AUDIENCES:
        raise ConfigError(f"audience {audience!r} is not one of {', '.join(AUDIENCES)}")
    if a.product.id == b.product.id:
        raise QuestionError(
            f"both names resolve to {a.product.brand}; name two different medicines"
        )
    factors = check_factors(factors)
    ea, eb = gather(a, pack, trials), gather(b, pack, trials)
    dims: list[Dimension] = []
    if factors:
        dims.append(
            Dimension(
                "patient_factors",
                ph.title("patient_factors", audience),
                factor_findings(ea, eb, factors),
            )
        )
    for key, _clin, _pat in ph.DIMENSIONS:
        if key == "patient_factors":
            continue
        if key == "postmarketing":
            findings = _postmarketing(
                ea, eb, pack, postmarketing, postmarketing_missing, indication, audience
            )
        else:
            findings = [f for f in DIMENSION_FUNCTIONS[key](ea, eb) if not _neither_holds(f)]
        if findings:
            dims.append(Dimension(key, ph.title(key, audience), tuple(findings)))
    dims = add_other_jurisdiction(dims, ea, eb)
    if factors:
        dims = lead_with_context(emphasise(dims, factors), ea, eb, factors)
    dimensions = tuple(dims)
    provenance = [
        ("pack", pack.describe()),
        (a.product.id, _label_provenance(ea)),
        (b.product.id, _label_provenance(eb)),
    ]
    provenance += [
        (f"{ev.drug.product.id} trials", registry_provenance(ev.registry))
        for ev in (ea, eb)
        if ev.registry is not None
    ]
    summary = build_summary(ea, eb, dimensions, factors, audience)
    verdict = replace(build_verdict(a, b, dimensions, factors), summary=summary.answer.text)
    return Comparison(
        a=a,
        b=b,
        dimensions=dimensions,
        verdict=verdict,
        provenance=tuple(provenance),
        audience=audience,
        factors=factors,
        summary=summary,
        studies=pair_studies(ea, eb, literature),
    )


def _neither_holds(f) -> bool:
    """A label topic on which the pack holds nothing for either drug (both sections missing, or
    held and silent): not a finding. The summary's coverage lines say which sections the pack
    lacks; a silence both labels share is not evidence of anything."""
    return (
        f.grade is Grade.ABSENT
        and f.kind in ("gap", "absent")
        and not f.topic.startswith(("trial", "postmarketing"))
    )


def _label_provenance(ev: Evidence) -> str:
    c = ev.label
    how = "curated from" if c.curated else "parsed from"
    return f"{how} label set id {c.set_id}, version {c.version}, effective {c.effective_date}"


def _postmarketing(ea, eb, pack, source, missing, indication, audience="clinician"):
    if source is None:
        return absent(ea, eb, missing, audience)
    from rxcompare.comparison.head_to_head import postmarketing_findings

    return postmarketing_findings(ea, eb, pack, source, indication)


_NO_SOURCE = "no FAERS warehouse or online source was given."


def compare(
    a: str,
    b: str,
    *,
    pack: Pack | None = None,
    factors: tuple[str, ...] = (),
    audience: str = "clinician",
    indication: str | None = None,
    online: bool = False,
    warehouse: str | os.PathLike[str] | None = None,
    postmarketing: PostMarketingSource | None = None,
    postmarketing_missing: str | None = None,
    trials: Any = None,
    literature: Any = None,
) -> Comparison:
    """The one comparison pipeline, for the library, the command line and the web app:
    ``rxcompare.compare("kesimpta", "ocrevus")``.

    1. the pack (``pack``, else the user pack or the embedded one); with ``online``, plus the openFDA
       label of each name it does not hold;
    2. both names resolved (an :class:`UnknownDrugError` carries ``position`` 0 or 1: which name);
    3. the post-marketing source: ``postmarketing`` when given, else the warehouse (``warehouse``, or
       the configured one when it holds cases), else openFDA with ``online``, else none (the
       comparison says so, with ``postmarketing_missing`` or the reason found);
    4. registry trials: ``trials`` (a :class:`~rxcompare.sources.ctgov.RegistrySource`), else the
       ClinicalTrials.gov cache (fetched with ``online``);
    5. the publications on the pair ("What studies address"): ``literature`` (a PubMed or Europe
       PMC client), else PubMed with ``online`` (cached), else the pack's curated publications;
    6. :func:`compare_drugs`, and with ``online`` a notice for a label DailyMed lists in a newer
       version.
    """
    pack = pack or load_pack()
    if online:
        pack = _with_online_labels(pack, (a, b))
    da, db = _resolve(a, b, pack, indication)
    missing = postmarketing_missing or _NO_SOURCE
    if postmarketing is None:
        from rxcompare.comparison.postmarketing import pick_source

        postmarketing, why = pick_source(warehouse, online)
        missing = postmarketing_missing or why or missing
    if trials is None:
        from rxcompare.sources.ctgov import RegistrySource

        trials = RegistrySource(online=online)
    own_client = literature is None and online
    if own_client:
        from rxcompare.sources.literature import PubMedClient

        literature = PubMedClient()
    try:
        comparison = compare_drugs(
            da,
            db,
            pack,
            factors=factors,
            audience=audience,
            postmarketing=postmarketing,
            postmarketing_missing=missing,
            indication=indication,
            trials=trials,
            literature=literature,
        )
    finally:
        if own_client:
            literature.close()
    if online:
        from rxcompare.sources.pack.update import with_label_notices

        comparison = _newer_labels_noticed(with_label_notices(comparison, pack))
    return comparison


def _newer_labels_noticed(c: Comparison) -> Comparison:
    """A label DailyMed lists in a newer version is said once, among the notices read first."""
    newer = []
    for key, note in c.provenance:
        if key.startswith("newer label"):
            text, _, command = note.partition("; `rxcompare")  # the command is advice apart
            advice = f"`rxcompare{command}." if command else ""
            said = text[:1].upper() + text[1:].rstrip(".") + "."
            newer.append(SummaryLine(said, topic="version", advice=advice))
    if not newer or c.summary is None:
        return c
    return replace(c, summary=replace(c.summary, notices=c.summary.notices + tuple(newer)))


def _with_online_labels(pack: Pack, names: tuple[str, str]) -> Pack:
    from rxcompare.comparison.resolve import online_pack

    for position, name in enumerate(names):
        try:
            pack = online_pack(pack, (name,))
        except UnknownDrugError as exc:
            exc.position = position
            raise
    return pack


def _resolve(a: str, b: str, pack: Pack, indication: str | None) -> tuple[Drug, Drug]:
    try:
        return resolve_pair(a, b, pack, indication=indication)
    except UnknownDrugError as exc:
        if getattr(exc, "position", None) is None:
            ids_a, ids_b = candidates(a, pack)[0], candidates(b, pack)[0]
            exc.position = 0 if not ids_a else 1 if not ids_b else 0 if len(ids_a) > 1 else 1
        raise


_PAIR = re.compile(
    r"^\W*(?:(?:which (?:one )?is (?:safer|riskier|better|worse)\W*|is|are|was|compare|comparing)\s+)?"
    r"(?P<a>.+?)\s+"
    r"(?:(?:safer|riskier|better|worse|(?:more|less) \w+)\s+than|vs\.?|versus|compared (?:to|with)|or)\s+"
    r"(?P<b>.+?)(?:\s+(?:for|in|when|during|with)\s+.*)?\W*$",
    re.IGNORECASE,
)


_NOT_NAMES = frozenset(
    {"not", "no", "yes", "none", "neither", "both", "either", "nothing", "placebo"}
)


def pair_in_question(question: str) -> tuple[str, str] | None:
    """The two names of a question shaped "Is A safer than B?", "A vs B", "A or B" (each at
    most four words), whether or not the pack holds them; None for any other shape."""
    m = _PAIR.match(" ".join(question.split()))
    if not m:
        return None
    a, b = m.group("a").strip(" ,;:"), m.group("b").strip(" ,;:?")
    if (
        not a
        or not b
        or len(a.split()) > 4
        or len(b.split()) > 4
        or {a.lower(), b.lower()} & _NOT_NAMES
    ):
        return None
    return a, b


def names_in_question(question: str, pack: Pack | None = None) -> tuple[str, str]:
    """The two medicine names of a question, or :class:`QuestionError` saying what is wrong.

    Names the pack holds are found anywhere in the question; a question shaped "Is A safer than
    B?" gives its two names even when the pack does not hold one (the comparison then says so, or
    ``--online`` fetches its label), so that ``ask`` reaches what ``compare`` reaches.
    """
    pack = pack or load_pack()
    if not question or not question.strip():
        raise QuestionError("the question is empty; ask e.g. 'Is Kesimpta safer than Ocrevus?'")
    if len(question) > 1000:
        raise QuestionError(f"the question has {len(question)} characters; keep it under 1000")
    found = find_mentions(question, pack)
    if len(found) == 2:
        return found[0], found[1]
    shaped = pair_in_question(question) if len(found) < 2 else None
    if shaped is not None:
        return shaped
    if not found:
        raise QuestionError(
            "no medicine of the knowledge pack is named in the question; ask it as 'Is A safer than "
            "B?' or use `rxcompare compare A B` (with --online for a medicine outside the pack); "
            "`rxcompare pack info` lists the pack's medicines"
        )
    if len(found) == 1:
        raise QuestionError(
            f"the question names one medicine of the pack ({found[0]}); name two to compare, as 'Is A "
            "safer than B?' (with --online for a medicine outside the pack)"
        )
    raise QuestionError(
        f"the question names {len(found)} medicines ({', '.join(found)}); rxcompare compares two at a time"
    )


__all__ = ["AUDIENCES", "compare", "compare_drugs", "names_in_question", "pair_in_question"]
