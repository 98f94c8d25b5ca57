"""The answer's records: a :class:`Finding` (which drug it favours, at which :class:`Grade`),
the :class:`Dimension` it belongs to, the :class:`Summary` and :class:`Verdict`, and the
:class:`Comparison` that holds them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from rxcompare.models.disproportionality import Estimate
from rxcompare.models.evidence import Citation, Drug
from rxcompare.models.literature import Literature

__all__ = [
    "FINDING_KINDS",
    "NOT_IN_PACK",
    "Comparison",
    "Dimension",
    "Favours",
    "Finding",
    "Grade",
    "Summary",
    "SummaryLine",
    "Verdict",
]


class Favours(str, enum.Enum):
    """Which drug a finding favours. ``A``/``B`` are the first/second drug of the comparison."""

    A = "a"
    B = "b"
    NONE = "none"  # neither: the evidence shows no difference, or the finding only describes
    UNCLEAR = "unclear"  # the evidence cannot tell


class Grade(str, enum.Enum):
    """How strong the evidence behind a finding is, strongest first.

    - ``label``: both labels state it (regulatory text).
    - ``trial``: randomised-trial incidence against the trial's own comparator.
    - ``secondary``: a secondary source's account of the label (a prescribing reference, a
      manufacturer's site for professionals), not the label's own text.
    - ``postmarketing``: spontaneous reports (disproportionality); hypothesis-generating only.
    - ``absent``: no evidence for at least one drug; the finding says what is missing.
    """

    LABEL = "label"
    TRIAL = "trial"
    SECONDARY = "secondary"
    POSTMARKETING = "postmarketing"
    ABSENT = "absent"


@dataclass(frozen=True)
class Finding:
    """One statement of a comparison, generated from evidence and citing it.

    ``a_text``/``b_text`` are what the evidence says for each drug (for the side-by-side table);
    ``statement`` is the comparison sentence; every number in them traces to ``citations``.
    """

    dimension: str
    topic: str
    statement: str
    favours: Favours
    grade: Grade
    citations: tuple[Citation, ...]
    a_text: str = ""
    b_text: str = ""
    caveats: tuple[str, ...] = ()
    estimates: tuple[Estimate, ...] = ()
    emphasis: bool = False  # raised by a patient factor the user gave
    kind: str = ""  # how the two sides relate: see FINDING_KINDS
    advice: str = (
        ""  # what a command-line user can run to add the missing evidence (not shown on a page)
    )


# The mark of a table cell whose label section the knowledge pack does not hold (never "the label
# states nothing": that is said only of a section held in full).
NOT_IN_PACK = "not in pack"

# How the two sides of a finding relate (Finding.kind); the summary groups findings by it.
FINDING_KINDS = {
    "differs": "the evidence differs between the two (figures, or a statement in one label only)",
    "shared": "both drugs' documents address the topic (their labels, or summaries of them)",
    "same": "both give the same figure",
    "gap": "the knowledge pack does not hold the label section for one or both drugs",
    "absent": "neither label states anything on the topic (both sections held in full)",
    "describes": "describes the drugs (indication, mechanism); no contrast",
    "limits": "what this comparison cannot tell (no head-to-head trial, different comparators)",
}


@dataclass(frozen=True)
class Dimension:
    """A safety dimension with its findings, in the order of the comparison."""

    key: str
    title: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Verdict:
    """The summary: where the evidence favours each drug, where it cannot tell."""

    favours_a: tuple[Finding, ...]
    favours_b: tuple[Finding, ...]
    cannot_tell: tuple[Finding, ...]
    patient_factors: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class SummaryLine:
    """One line of a comparison's summary: text assembled from findings, and their citations."""

    text: str
    citations: tuple[Citation, ...] = ()
    topic: str = ""
    favours: Favours = Favours.NONE
    advice: str = ""  # the command that fills the gap the line states (command line only)


@dataclass(frozen=True)
class Summary:
    """The comparison's opening, assembled from its findings (never written by hand).

    ``answer``: one sentence at the evidence's strength; ``notices``: what a reader must know first
    (no shared indication, how a name was resolved); ``differs`` (ranked by clinical weight),
    ``shared`` (one line per warning topic both carry), ``cannot_tell``: findings by kind;
    ``figures``: each label's trial figures against that trial's own comparator; ``coverage``: per drug, the label sections the pack does not hold and the
    command that fills them.
    """

    answer: SummaryLine
    notices: tuple[SummaryLine, ...] = ()
    differs: tuple[SummaryLine, ...] = ()
    figures: tuple[SummaryLine, ...] = ()
    shared: tuple[SummaryLine, ...] = ()
    cannot_tell: tuple[SummaryLine, ...] = ()
    coverage: tuple[SummaryLine, ...] = ()

    @property
    def lines(self) -> tuple[SummaryLine, ...]:
        return (
            self.answer,
            *self.notices,
            *self.differs,
            *self.figures,
            *self.shared,
            *self.cannot_tell,
            *self.coverage,
        )


@dataclass(frozen=True)
class Comparison:
    """The answer to "is A safer than B?": dimensions of cited findings and a verdict."""

    a: Drug
    b: Drug
    dimensions: tuple[Dimension, ...]
    verdict: Verdict
    provenance: tuple[tuple[str, str], ...] = ()
    audience: str = "clinician"
    factors: tuple[str, ...] = ()
    summary: Summary | None = None
    # the publications on the pair ("What studies address"): titles and metadata only, listed
    # apart from the findings; None when the comparison was built without them
    studies: Literature | None = None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for d in self.dimensions for f in d.findings)
