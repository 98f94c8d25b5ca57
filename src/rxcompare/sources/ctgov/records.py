"""The records of a registry answer: an event :class:`Group`, a :class:`Trial`, a :class:`Registry`.

Also the text normalisation every part of the ClinicalTrials.gov room matches names with
(:func:`norm_text`, :func:`names_in`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rxcompare.models import Citation, Incidence

__all__ = ["STUDY_URL", "Group", "Registry", "Trial", "names_in", "norm_text"]

STUDY_URL = "https://clinicaltrials.gov/study/{nct}"


def norm_text(text: str | None) -> str:
    """Lower case, every run of other characters than letters and digits one space."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", (text or "").lower()).split())


def names_in(text: str, name: str) -> bool:
    """Whether ``name`` occurs in ``text`` as whole words (both normalised)."""
    t, n = norm_text(text), norm_text(name)
    return bool(n) and f" {n} " in f" {t} "


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
        comps = sorted(
            {
                norm_text(g.intervention)
                for g in self.groups
                if g.randomised and g.role == "comparator"
            }
        )
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
            version=f"last update posted {self.last_update_posted}"
            if self.last_update_posted
            else None,
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
