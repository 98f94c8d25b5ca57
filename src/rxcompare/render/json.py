"""JSON in a versioned envelope.

Schema ``rxcompare/comparison`` version 1::

    {"schema": "rxcompare/comparison", "version": 1,
     "a": Drug, "b": Drug, "audience": str, "factors": [str],
     "verdict": {"summary": str, "patient_factors": [str],
                 "favours_a": [finding ref], "favours_b": [...], "cannot_tell": [...]},
     "dimensions": [{"key", "title", "findings": [Finding + "refs": [int]]}],
     "citations": [{"ref": int, ...Citation}],
     "provenance": {name: text},
     "studies": null | {"names": [str, str], "publications": [Publication], "query": str,
                        "count": int | null, "urls": [str], "online": bool, "error": str},
     "disclaimer": str}

A Finding is ``{dimension, topic, statement, favours (a|b|none|unclear), grade
(label|trial|postmarketing|absent), citations: [Citation], refs: [int], a_text, b_text,
caveats: [str], estimates: [{method, value, lower, upper, level}], emphasis}``; a finding ref in the
verdict is ``{"dimension", "topic", "statement"}``. Numbers are full precision. A Publication is
``{title, journal, year, design, publication_types, pmid, pmcid, doi, url, origin (pubmed |
europepmc | curated), source_url, cited_for}``: metadata only, what studies address the pair.
"""

from __future__ import annotations

import json

from rxcompare.models import Comparison, Finding, envelope, to_dict
from rxcompare.render.common import DISCLAIMER, cite_line, footnotes_for

SCHEMA = "rxcompare/comparison"
VERSION = 1


def _ref(f: Finding) -> dict[str, str]:
    return {"dimension": f.dimension, "topic": f.topic, "statement": f.statement}


def comparison_document(comparison: Comparison) -> dict:
    notes = footnotes_for(comparison)
    dims = []
    for d in comparison.dimensions:
        findings = []
        for f in d.findings:
            doc = to_dict(f)
            doc["refs"] = notes.refs(f)
            findings.append(doc)
        dims.append({"key": d.key, "title": d.title, "findings": findings})
    v = comparison.verdict
    return envelope(
        SCHEMA,
        VERSION,
        a=to_dict(comparison.a),
        b=to_dict(comparison.b),
        audience=comparison.audience,
        factors=list(comparison.factors),
        verdict={
            "summary": v.summary,
            "patient_factors": list(v.patient_factors),
            "favours_a": [_ref(f) for f in v.favours_a],
            "favours_b": [_ref(f) for f in v.favours_b],
            "cannot_tell": [_ref(f) for f in v.cannot_tell],
        },
        summary=_summary(comparison, notes),
        dimensions=dims,
        citations=[
            {"ref": i, "text": cite_line(c), **to_dict(c)} for i, c in enumerate(notes.citations, 1)
        ],
        provenance=dict(comparison.provenance),
        studies=to_dict(comparison.studies) if comparison.studies is not None else None,
        disclaimer=DISCLAIMER,
    )


def _summary(comparison: Comparison, notes) -> dict | None:
    s = comparison.summary
    if s is None:
        return None

    def line(x):
        return {
            "text": x.text,
            "topic": x.topic,
            "favours": x.favours.value,
            "refs": [notes.number(c) for c in x.citations],
        }

    return {
        "answer": line(s.answer),
        **{
            key: [line(x) for x in getattr(s, key)]
            for key in ("notices", "differs", "shared", "cannot_tell", "coverage")
        },
    }


def render_json(comparison: Comparison, indent: int | None = 2) -> str:
    return json.dumps(comparison_document(comparison), indent=indent, ensure_ascii=False)
