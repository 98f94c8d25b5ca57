"""Patient factors: they change emphasis and add the findings that matter, never the facts.

Each factor (``prior_immunosuppressant``, ``hbv_positive``, ``planning_pregnancy``,
``needle_averse``) names label words to look for and dimensions to emphasise
(:data:`rxcompare.comparison.phrases.FACTORS`). The added finding quotes the facts of both labels
whose text mentions those words.
"""

from __future__ import annotations

from dataclasses import replace

from rxcompare.comparison import phrases as ph
from rxcompare.comparison.evidence import Evidence, cites, finding, grade_of, texts
from rxcompare.errors import ConfigError
from rxcompare.models import Dimension, Favours, Finding, Grade

FACTOR_KEYS = tuple(ph.FACTORS)
FACTOR_STATEMENT = "For a patient {factor}, these label statements apply."
FACTOR_NONE = "For a patient {factor}: no label statement held in the knowledge pack mentions it."
FACTOR_SIDE_NONE = "No statement held in the pack mentions it."


def check_factors(factors: tuple[str, ...]) -> tuple[str, ...]:
    bad = [f for f in factors if f not in ph.FACTORS]
    if bad:
        raise ConfigError(f"unknown patient factor(s) {bad}; known: {', '.join(FACTOR_KEYS)}")
    return tuple(dict.fromkeys(factors))


def _bearing(ev: Evidence, key: str, words: tuple[str, ...]):
    """The facts a factor brings forward: those filed for its context (a ``context`` qualifier
    naming the factor, e.g. PML cases after prior immunosuppressive therapy), then those whose
    text mentions its words."""
    own = tuple(f for f in ev.facts if f.qualifier("context") == key)
    return own + tuple(f for f in ev.mentioning(*words) if f not in own)


def factor_findings(a: Evidence, b: Evidence, factors: tuple[str, ...]) -> tuple[Finding, ...]:
    out = []
    for key in factors:
        name, words, _dims = ph.FACTORS[key]
        fa, fb = _bearing(a, key, words), _bearing(b, key, words)
        if fa or fb:
            out.append(
                finding(
                    "patient_factors",
                    f"factor.{key}",
                    FACTOR_STATEMENT.format(factor=name),
                    Favours.UNCLEAR,
                    grade_of(fa + fb),
                    cites(fa, fb, [a.label, b.label]),
                    a_text=texts(fa) or FACTOR_SIDE_NONE,
                    b_text=texts(fb) or FACTOR_SIDE_NONE,
                    emphasis=True,
                    kind="describes",
                )
            )
        else:
            out.append(
                finding(
                    "patient_factors",
                    f"factor.{key}",
                    FACTOR_NONE.format(factor=name),
                    Favours.UNCLEAR,
                    Grade.ABSENT,
                    cites([a.label, b.label]),
                    emphasis=True,
                    kind="gap",
                )
            )
    return tuple(out)


def emphasise(dimensions: list[Dimension], factors: tuple[str, ...]) -> list[Dimension]:
    """Mark the findings of the dimensions a factor names, and move those dimensions forward."""
    dims = {d for k in factors for d in ph.FACTORS[k][2]}
    words = [w for k in factors for w in ph.FACTORS[k][1]]
    out = []
    for d in dimensions:
        fs = tuple(
            replace(f, emphasis=True)
            if d.key in dims or any(w in (f.a_text + f.b_text).lower() for w in words)
            else f
            for f in d.findings
        )
        out.append(replace(d, findings=fs))
    out.sort(key=lambda d: (d.key != "patient_factors", d.key not in dims))
    return out


def lead_with_context(
    dimensions: list[Dimension], a: Evidence, b: Evidence, factors: tuple[str, ...]
) -> list[Dimension]:
    """In each finding, the statements filed for a given factor's context (a ``context``
    qualifier naming it, e.g. PML cases after prior immunosuppressive therapy) come first in their
    drug's cell, so that the shortened answer shows them."""
    texts_a = [f.text.strip() for f in a.facts if f.qualifier("context") in factors]
    texts_b = [f.text.strip() for f in b.facts if f.qualifier("context") in factors]
    if not (texts_a or texts_b):
        return dimensions

    def first(cell: str, own: list[str]) -> str:
        lines = cell.split("\n")
        lead = [x for x in lines if x.strip() in own]
        return "\n".join(lead + [x for x in lines if x not in lead]) if lead else cell

    out = []
    for d in dimensions:
        fs = tuple(
            f
            if d.key == "patient_factors"
            else replace(f, a_text=first(f.a_text, texts_a), b_text=first(f.b_text, texts_b))
            for f in d.findings
        )
        out.append(replace(d, findings=fs))
    return out
