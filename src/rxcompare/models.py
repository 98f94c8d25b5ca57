"""Records that cross every boundary of rxcompare.

All records are frozen dataclasses built from plain values (str, int, float, tuples) so they can be
hashed, compared in tests and turned into JSON by :func:`to_dict`. This module imports nothing of
rxcompare's own.

The data flow (see DESIGN.md)::

    names -> resolve -> Drug -> sources -> Fact / Incidence / Signal -> compare -> Finding -> Comparison

The 2x2 cells of disproportionality analysis are the literature's ``a, b, c, d``, defined once in
:class:`Contingency`.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


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
class Citation:
    """Where a piece of evidence comes from.

    ``kind`` is ``label`` (an FDA label: set id, version, effective date, section), ``faers`` (the
    quarters, query, deduplication and counts in ``detail``), ``openfda`` (the query URL), or
    ``trial`` (registry id and arm in ``detail``). ``curated`` marks a label fact entered by hand
    rather than extracted by the parser from the label's XML.

    ``source_class`` says what kind of document was actually read, and ``title``, ``url`` and
    ``version`` are that document's (``version`` is the label version the document shows, or
    "version not shown"); ``set_id`` stays the label's:

    - ``label``: the FDA document itself (SPL XML, DailyMed, openFDA);
    - ``label-copy``: the label's text republished verbatim by a third party;
    - ``patient-labelling``: a Medication Guide or patient information (FDA-approved patient
      labelling, not prescribing information);
    - ``secondary``: anything else that states what the label says (a manufacturer's site for
      professionals, a prescribing reference): never label text.
    """

    kind: str
    title: str
    set_id: str | None = None
    version: str | None = None
    effective_date: str | None = None  # ISO date: YYYY-MM-DD (or shorter when the source is)
    section: str | None = None  # "5.1"
    section_title: str | None = None  # "Infections"
    url: str | None = None
    curated: bool = False
    detail: tuple[tuple[str, str], ...] = ()
    source_class: str = "label"

    @property
    def is_label_text(self) -> bool:
        """Whether the cited words are the label's own (the label, a verbatim copy, or its
        patient labelling), not a secondary source's account of them."""
        return self.source_class != "secondary"

    @property
    def key(self) -> str:
        """A stable identity used to number footnotes."""
        return "|".join(
            str(x)
            for x in (self.kind, self.set_id, self.version, self.section, self.url, self.title)
        )


@dataclass(frozen=True)
class Product:
    """One marketed product: a brand with its route, form and indication.

    Products of one ingredient may differ in safety (ofatumumab is Kesimpta, 20 mg SC for MS, and
    Arzerra, IV for CLL with a boxed warning); they are never merged.
    """

    id: str  # stable slug, e.g. "kesimpta"
    brand: str
    ingredient: str  # lower-case INN, e.g. "ofatumumab"
    routes: tuple[str, ...] = ()
    dosage_forms: tuple[str, ...] = ()
    strengths: tuple[str, ...] = ()
    indications: tuple[str, ...] = ()  # short indication keys, e.g. "multiple sclerosis"
    labeler: str | None = None
    set_id: str | None = None
    synonyms: tuple[str, ...] = ()
    ndc: tuple[str, ...] = ()


@dataclass(frozen=True)
class Drug:
    """A resolved medicine: the ingredient and the product(s) the user meant."""

    query: str
    ingredient: str
    products: tuple[Product, ...]
    resolved_by: str = ""  # the indication that singled out the product, when context was needed

    @property
    def name(self) -> str:
        if len(self.products) == 1:
            return self.products[0].brand
        return self.ingredient

    @property
    def product(self) -> Product:
        """The single product this drug stands for (resolution guarantees one for comparisons)."""
        return self.products[0]


@dataclass(frozen=True)
class Fact:
    """One labelled statement about a product.

    ``topic`` comes from the vocabulary in :mod:`rxcompare.sources.labels.facts` (``TOPICS``). ``text`` is
    the short label text the fact rests on. ``value``/``unit`` hold the number where one exists
    (a dose in mg, an interval in weeks, a percentage); ``qualifiers`` hold the rest as pairs
    (``("phase", "initial")``, ``("arm", "KESIMPTA")``, ``("n", "946")``).
    """

    product: str  # Product.id
    topic: str
    text: str
    citation: Citation
    value: float | None = None
    unit: str | None = None
    qualifiers: tuple[tuple[str, str], ...] = ()

    def qualifier(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.qualifiers:
            if k == name:
                return v
        return default


@dataclass(frozen=True)
class Incidence:
    """An adverse reaction's incidence in one arm of a trial (or pooled trials) from a label table."""

    product: str  # Product.id whose label reports it
    event: str  # reaction as the label names it, e.g. "Injection-related reactions"
    trial: str  # trial name(s), e.g. "ASCLEPIOS I and II (pooled)"
    arm: str  # arm label, e.g. "KESIMPTA 20 mg" or "Teriflunomide 14 mg"
    n: int  # patients in the arm
    percent: float  # % of the arm with the reaction, as printed
    is_comparator: bool
    citation: Citation
    count: int | None = None  # patients with the reaction, when the label gives it
    # registry (ClinicalTrials.gov) rows only; label-table rows leave these at their defaults
    serious: bool | None = None  # True: a serious adverse event; False: an "other" one
    organ_system: str = ""  # MedDRA system organ class as the registry gives it
    vocabulary: str = ""  # source vocabulary, e.g. "MedDRA19.0"
    assessment: str = ""  # SYSTEMATIC_ASSESSMENT or NON_SYSTEMATIC_ASSESSMENT
    time_frame: str = ""  # the adverse-event module's time frame
    threshold: float | None = None  # % above which "other" events are listed (frequency threshold)
    intervention: str = ""  # the arm's intervention(s)
    kept_apart: str = ""  # why the arm is outside the randomised comparison (open-label, ...)


@dataclass(frozen=True)
class Estimate:
    """A statistic with its interval and the method that produced it (full precision)."""

    method: str  # "ror_wald", "prr_rothman", "ic_bcpnn", "ebgm_mgps", "rd_newcombe", ...
    value: float
    lower: float | None = None
    upper: float | None = None
    level: float = 0.95


@dataclass(frozen=True)
class Contingency:
    """The 2x2 table of disproportionality analysis, counted in deduplicated cases.

    ====== ======= ==========
             event  not event
    ====== ======= ==========
    drug      a        b
    other     c        d
    ====== ======= ==========
    """

    a: int
    b: int
    c: int
    d: int

    @property
    def n(self) -> int:
        return self.a + self.b + self.c + self.d

    @property
    def expected(self) -> float:
        """E = (a+b)(a+c)/N, the count expected under independence."""
        return (self.a + self.b) * (self.a + self.c) / self.n if self.n else float("nan")


@dataclass(frozen=True)
class Signal:
    """A drug-event 2x2 table with its statistics.

    For a head-to-head signal, ``drug`` is drug A, ``comparator`` drug B, and the table is
    ``a`` = A & event, ``b`` = A & not event, ``c`` = B & event, ``d`` = B & not event, among reports
    of either and not both.
    """

    drug: str
    event: str
    table: Contingency
    estimates: tuple[Estimate, ...]
    citation: Citation
    counting_unit: str = "deduplicated case"
    comparator: str | None = None
    terms: tuple[str, ...] = ()  # MedDRA preferred terms grouped under ``event``
    filters: tuple[tuple[str, str], ...] = ()
    flags: tuple[str, ...] = ()  # which threshold rules flagged the pair
    extra: tuple[tuple[str, Any], ...] = ()  # e.g. ("serious_share", 0.42), ("outcomes", ...)

    def estimate(self, method: str) -> Estimate | None:
        for e in self.estimates:
            if e.method == method:
                return e
        return None


@dataclass(frozen=True)
class PostMarketing:
    """What a post-marketing source returns for a pair of drugs.

    ``signals`` are head-to-head tables, one per event group (statistics may be left empty: the
    comparison computes them); ``per_year`` is (product id, year, count) in the source's counting unit.
    """

    signals: tuple[Signal, ...]
    per_year: tuple[tuple[str, int, int], ...]
    caveats: tuple[str, ...]
    citation: Citation
    provenance: tuple[tuple[str, str], ...] = ()


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


# The mark of a table cell whose label section the knowledge pack does not hold (never "the label
# states nothing": that is said only of a section held in full).
NOT_IN_PACK = "not in pack"

# How the two sides of a finding relate (Finding.kind); the summary groups findings by it.
FINDING_KINDS = {
    "differs": "the evidence differs between the two (figures, or a statement in one label only)",
    "shared": "both labels address the topic",
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


@dataclass(frozen=True)
class Summary:
    """The comparison's opening, assembled from its findings (never written by hand).

    ``answer``: one sentence at the evidence's strength; ``notices``: what a reader must know first
    (no shared indication, how a name was resolved); ``differs``, ``shared``, ``cannot_tell``:
    findings by kind; ``coverage``: per drug, the label sections the pack does not hold and the
    command that fills them.
    """

    answer: SummaryLine
    notices: tuple[SummaryLine, ...] = ()
    differs: tuple[SummaryLine, ...] = ()
    shared: tuple[SummaryLine, ...] = ()
    cannot_tell: tuple[SummaryLine, ...] = ()
    coverage: tuple[SummaryLine, ...] = ()

    @property
    def lines(self) -> tuple[SummaryLine, ...]:
        return (self.answer, *self.notices, *self.differs, *self.shared, *self.cannot_tell, *self.coverage)


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

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for d in self.dimensions for f in d.findings)


@dataclass(frozen=True)
class LabelTable:
    """A table of a label section, kept as a table."""

    caption: str
    header: tuple[tuple[str, ...], ...]
    rows: tuple[tuple[str, ...], ...]
    footnotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A label section: LOINC code, number ("5.1"), title, text, tables and subsections."""

    code: str | None
    number: str | None
    title: str
    text: str
    tables: tuple[LabelTable, ...] = ()
    subsections: tuple[Section, ...] = ()

    def walk(self):
        yield self
        for s in self.subsections:
            yield from s.walk()


@dataclass(frozen=True)
class LabelProduct:
    name: str
    ingredients: tuple[tuple[str, str], ...] = ()  # (ingredient, strength)
    routes: tuple[str, ...] = ()
    dosage_form: str | None = None
    ndc: tuple[str, ...] = ()


@dataclass(frozen=True)
class Label:
    """A parsed prescribing information document (from SPL XML or openFDA JSON)."""

    set_id: str
    version: str
    effective_date: str  # ISO
    title: str
    document_type: str  # LOINC code, "34391-3" for human prescription labels
    products: tuple[LabelProduct, ...]
    sections: tuple[Section, ...]
    source: str  # "spl" or "openfda"
    highlights: bool = False

    def walk(self):
        for s in self.sections:
            yield from s.walk()

    def find(self, code: str | None = None, number: str | None = None) -> Section | None:
        for s in self.walk():
            if (code is None or s.code == code) and (number is None or s.number == number):
                return s
        return None


def to_dict(record: Any) -> Any:
    """Turn a record (or nested records, tuples, enums) into JSON-ready Python values."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        out = {}
        for f in dataclasses.fields(record):
            value = getattr(record, f.name)
            if f.name in ("qualifiers", "detail", "filters", "extra", "provenance"):
                out[f.name] = {k: to_dict(v) for k, v in value}
            else:
                out[f.name] = to_dict(value)
        return out
    if isinstance(record, enum.Enum):
        return record.value
    if isinstance(record, (list, tuple)):
        return [to_dict(x) for x in record]
    if isinstance(record, dict):
        return {k: to_dict(v) for k, v in record.items()}
    if isinstance(record, float) and not math.isfinite(record):  # NaN and infinity are not JSON
        return None
    return record


__all__ = [
    "FINDING_KINDS",
    "NOT_IN_PACK",
    "Citation",
    "Comparison",
    "Contingency",
    "Dimension",
    "Drug",
    "Estimate",
    "Fact",
    "Favours",
    "Finding",
    "Grade",
    "Incidence",
    "Label",
    "LabelProduct",
    "LabelTable",
    "PostMarketing",
    "Product",
    "Section",
    "Signal",
    "Summary",
    "SummaryLine",
    "Verdict",
    "to_dict",
]


@dataclass(frozen=True)
class PairCounts:
    """2x2 tables for many drug-event pairs, as parallel arrays (one entry per pair).

    For a head-to-head table, ``comparator`` names drug B and the cells are a = A & event,
    b = A & not event, c = B & event, d = B & not event among reports of A or B but not both.
    """

    drug: np.ndarray  # str labels
    event: np.ndarray
    a: np.ndarray  # int64
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    n_reports: int
    source: str
    counting_unit: str = "distinct report id"
    comparator: str | None = None
    excluded_rows: int = 0
    filters: tuple[tuple[str, str], ...] = ()

    def __len__(self) -> int:
        return int(self.a.size)
