"""Incidences from adverse-reaction tables: each reaction row x each arm column with an N in its
header, as :class:`~rxcompare.models.Incidence` records.
"""

from __future__ import annotations

import re

from rxcompare.models import Incidence, Label, LabelTable, Section
from rxcompare.sources.labels.fact_context import (
    FactContext,
)
from rxcompare.sources.labels.flat_tables import counts_agree

# --- adverse-reaction tables -----------------------------------------------------------------

_N_IN_HEADER = re.compile(r"\(?\s*\b[Nn]\s*=\s*(?P<n>\d[\d,]*)\s*\)?")
_PERCENT_TABLE = re.compile(r"\(\s*%|%\s*\)|\bpercent(?:age)?s?\b", re.IGNORECASE)
_MARKS = "*\u2020\u2021\u00a7\u00b6#"
_CELL_PERCENT = re.compile(rf"^(?P<p>\d+(?:\.\d+)?)\s*%\s*[{_MARKS}]*$")
_CELL_COUNT_PERCENT = re.compile(
    rf"^(?P<c>\d+)\s*\(\s*(?P<p>\d+(?:\.\d+)?)\s*(?P<pc>%)?\s*\)\s*[{_MARKS}]*$"
)
_BARE_COUNT = re.compile(rf"^\d+\s*\(\s*\d+(?:\.\d+)?\s*\)\s*[{_MARKS}]*$")  # "68 (7.7)"
_GRADE = re.compile(r"\bgrades?\s*(?:\d|>|\u2265)", re.IGNORECASE)
_ANY_GRADE = re.compile(
    r"\b(?:all|any)\s*grades?\b|\bgrades?\s*1\s*(?:-|\u2013|to)\s*[45]\b", re.IGNORECASE
)
_CELL_NUMBER = re.compile(rf"^(?P<p>\d+(?:\.\d+)?)\s*[{_MARKS}]*$")
_COMPARATOR = re.compile(r"placebo|vehicle|comparator|control|sham", re.IGNORECASE)
_DOSE_ONLY = re.compile(
    r"^(?:any dose|all doses|total|\d+(?:\.\d+)?\s*(?:mg|mcg|g|mg/kg)\b.*)$", re.IGNORECASE
)
_TRIAL_IN_CAPTION = re.compile(r"\((?P<t>(?:Stud(?:y|ies)|Trials?)\s[^()]*)\)")


def _cell(text: str, percent_table: bool, n: int = 0) -> tuple[int | None, float] | None:
    t = text.strip()
    m = _CELL_PERCENT.match(t)
    if m:
        return None, float(m.group("p"))
    m = _CELL_COUNT_PERCENT.match(t)
    if m and (m.group("pc") or percent_table):
        return int(m.group("c")), float(m.group("p"))
    m = _CELL_NUMBER.match(t)
    if m and percent_table:
        return None, float(m.group("p"))
    if n and not percent_table and (agreed := counts_agree(t, n)) is not None:
        return agreed  # "68 (7.7)" under "N=882": the figure is 100 x 68 / 882
    return None


def _trial(caption: str, fallback: str) -> str:
    m = _TRIAL_IN_CAPTION.search(caption)
    if m:
        trial = m.group("t").strip()
        return f"{trial} (pooled)" if re.search(r"\bpooled\b", caption, re.IGNORECASE) else trial
    caption = re.sub(r"^table\s+\d+\s*[.:]?\s*", "", caption, flags=re.IGNORECASE).strip()
    return caption or fallback


def _is_comparator(arm: str, ctx: FactContext) -> bool:
    low = arm.lower()
    if _COMPARATOR.search(low):
        return True
    if any(n in low for n in ctx.names | ctx.name_words):
        return False
    return not _DOSE_ONLY.match(arm.strip())


def table_incidences(
    label: Label, product_id: str, table: LabelTable, section: Section
) -> list[Incidence]:
    """Each reaction row x each arm column with an N in its header, as :class:`Incidence`.

    Header rows are the ``<thead>`` rows plus the body rows before the first row with a value.
    A cell counts when it is a percentage ("17%", "3 (1%)"), or a bare number in a table whose
    caption or header says the figures are percentages ("(% of patients)"); anything else
    ("<1%", "-", text) is left out. ``section`` is the (sub)section of ``label`` holding the table.
    """
    return reaction_incidences(FactContext(label, product_id), table, section)


def reaction_incidences(ctx: FactContext, table: LabelTable, section: Section) -> list[Incidence]:
    grid = [list(r) for r in table.header + table.rows]
    if not grid:
        return []
    width = max(len(r) for r in grid)
    head_text = " ".join(c for r in table.header for c in r)
    percent_table = bool(_PERCENT_TABLE.search(table.caption) or _PERCENT_TABLE.search(head_text))
    first_data = next(
        (
            i
            for i, r in enumerate(grid)
            if r[0]
            and len(set(r)) > 1
            and any(_cell(c, percent_table) or _BARE_COUNT.match(c.strip()) for c in r[1:])
        ),
        None,
    )
    if first_data is None:
        return []
    header = grid[:first_data]
    arms: dict[int, tuple[str, int]] = {}
    for j in range(1, width):
        words = list(dict.fromkeys(r[j] for r in header if j < len(r) and r[j]))
        text = " ".join(words)
        m = _N_IN_HEADER.search(text)
        if m and not (_GRADE.search(text) and not _ANY_GRADE.search(text)):
            # a grade column ("Grade 3-4") under an arm is not the arm's incidence of the reaction
            name = " ".join(_N_IN_HEADER.sub(" ", text).split()).strip(" ,;:")
            arms[j] = (name, int(m.group("n").replace(",", "")))
    out = []
    trial = _trial(table.caption, section.title)
    for row in grid[first_data:]:
        event = row[0].strip().rstrip(_MARKS + " ").strip()
        if not event or len(set(row)) == 1:
            continue
        for j, (arm, n) in arms.items():
            value = _cell(row[j], percent_table, n) if j < len(row) else None
            if value is None or not (0 <= value[1] <= 100) or n <= 0:
                continue
            out.append(
                Incidence(
                    product=ctx.product_id,
                    event=event,
                    trial=trial,
                    arm=arm,
                    n=n,
                    percent=value[1],
                    is_comparator=_is_comparator(arm, ctx),
                    citation=ctx.cite(section),
                    count=value[0],
                )
            )
    return out


__all__ = [
    "reaction_incidences",
    "table_incidences",
]
