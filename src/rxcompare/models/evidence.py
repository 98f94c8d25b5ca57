"""Evidence records: where a piece of evidence comes from (:class:`Citation`), what it is about
(:class:`Product`, :class:`Drug`) and what the labels and trials state (:class:`Fact`,
:class:`Incidence`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Citation", "Drug", "Fact", "Incidence", "Product"]


# The classes of document whose cited words are the (US) label's own: the label, a verbatim copy,
# its patient labelling. An EU text is another jurisdiction's label; a publication is not a label.
LABEL_TEXT_CLASSES = ("label", "label-copy", "patient-labelling")


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
      professionals, a prescribing reference): never label text;
    - ``eu-label``: an EU, UK or Swiss regulator's text (SmPC, package leaflet) or a verbatim copy
      of one: another jurisdiction's label, never merged with a US label's facts; ``detail``
      holds its ``jurisdiction`` (and the document's date is ``effective_date``);
    - ``publication``: a trial registry record or a peer-reviewed paper; ``detail`` holds its
      identifiers (``PMID``, ``PMCID``, ``DOI``, ``registry``) and the ``table`` read.
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
        return self.source_class in LABEL_TEXT_CLASSES

    @property
    def jurisdiction(self) -> str | None:
        """The jurisdiction of an ``eu-label`` document ("EU", "UK", "CH"), from ``detail``."""
        return dict(self.detail).get("jurisdiction")

    @property
    def heading(self) -> str:
        """The cited section's number and title ("5.1 Infections"; "" when neither is known); a
        title that already holds the section's name ("Highlights" / "Highlights of Prescribing
        Information", "5.1" / "5.1 Infections") is given alone."""
        number, title = self.section, self.section_title
        if number and title:
            n, t = number.lower(), title.lower()
            # a numbered section only when the title starts with its number ("1" is in "12 ...")
            if t == n or t.startswith(n + " ") or (not n[:1].isdigit() and n in t):
                return title
        return " ".join(x for x in (number, title) if x)

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
    rxcui: tuple[str, ...] = ()  # RxNorm concept ids of the product, where a source gives them
    unii: tuple[str, ...] = ()  # FDA UNIIs of its active substances, where a source gives them


@dataclass(frozen=True)
class Drug:
    """A resolved medicine: the ingredient and the product(s) the user meant."""

    query: str
    ingredient: str
    products: tuple[Product, ...]
    resolved_by: str = ""  # the indication that singled out the product, when context was needed
    others: tuple[
        Product, ...
    ] = ()  # the name's other products, not taken (said with the comparison)

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
