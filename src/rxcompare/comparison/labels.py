"""Label-based dimensions: what each label states, topic by topic, side by side.

A topic both labels address gives an ``unclear`` finding (the labels do not compare the risks); a
topic only one label addresses favours the other drug at label grade, with the caveat that a
label's silence is not proof of no risk; a boxed warning present in one label only is said so with
the boxed-warning caveat. Numbers (weeks before vaccination, months of contraception) are compared
where both labels give them in the same unit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rxcompare.comparison import phrases as ph
from rxcompare.comparison.evidence import Evidence, cites, finding, grade_of, texts
from rxcompare.models import NOT_IN_PACK, Fact, Favours, Finding, Grade
from rxcompare.sources.labels.topics import topic_section


def _where(facts) -> str:
    """The headings (topic names, with sections) the facts are filed under."""
    return ", ".join(
        dict.fromkeys(
            ph.topic_name(f.topic) + (f" ({f.citation.section})" if f.citation.section else "")
            for f in facts
        )
    )


@dataclass(frozen=True)
class Side:
    """What one drug's pack entry holds on a topic.

    ``state``: ``has`` (facts on the topic or a narrower one), ``mentions`` (only facts filed
    under other topics that name its subject), ``silent`` (none, and the label says nothing:
    :meth:`Evidence.says_nothing`), ``unextracted`` (none, the section is held in full but the pack
    reads only some of its statements) or ``gap`` (none, and that section is not in the pack).
    """

    ev: Evidence
    facts: tuple[Fact, ...]
    state: str

    @property
    def text(self) -> str:
        if self.state == "has":
            return texts(self.facts)
        if self.state == "mentions":
            return "\n".join(ph.UNDER.format(where=_where((f,)), text=f.text) for f in self.facts)
        return ""


def side(ev: Evidence, topic: str) -> Side:
    direct = ev.family(topic)
    if direct:
        return Side(ev, direct, "has")
    related = ev.mentions(topic)
    if related:
        return Side(ev, related, "mentions")
    return Side(
        ev, (), "silent" if ev.says_nothing(topic) else "unextracted" if ev.read(topic) else "gap"
    )


def silent_text(ev: Evidence, topic: str) -> str:
    """The cell of a label without facts on a topic: silence (a section the pack reads part by
    part, held in full), no statement extracted (a section held in full that the pack reads only
    in part), or the uniform not-in-pack mark -- never one for another."""
    if ev.says_nothing(topic):
        return ph.LACKS_TOPIC.get(topic) or ph.LACKS.format(topic=ph.topic_name(topic))
    if ev.read(topic):
        return ph.NOT_EXTRACTED
    return NOT_IN_PACK


def cell(s: Side, topic: str) -> str:
    return s.text or silent_text(s.ev, topic)


def topic_finding(
    dimension: str, topic: str, a: Evidence, b: Evidence, *, silence_favours: bool = True
) -> Finding:
    """One finding on one topic: what each label holds on it, side by side.

    A topic's evidence is its facts and its narrower topics' facts (:func:`Evidence.family`), or
    failing those the facts filed elsewhere that name its subject (:func:`Evidence.mentions`); a
    label is called silent only when neither exists and its section is held in full. A label's
    silence favours the other drug (``silence_favours``) only when both labels' sections are held
    in full; when the silent label's section is not in the pack, the finding says so and favours
    neither.
    """
    sa, sb = side(a, topic), side(b, topic)
    name = ph.topic_name(topic)
    section = topic_section(topic)
    boxed = topic == "boxed_warning"
    cited = sa.facts + sb.facts
    kw = {"a_text": cell(sa, topic), "b_text": cell(sb, topic)}
    present = {"has", "mentions"}
    if sa.state in present and sb.state in present:
        if sa.state == sb.state == "has":
            statement = ph.BOTH_STATE.format(topic=name)
        else:
            elsewhere = [s for s in (sa, sb) if s.state == "mentions"]
            statement = ph.BOTH_ELSEWHERE.format(
                topic=name,
                who=" and ".join(s.ev.name for s in elsewhere),
                where="; ".join(_where(s.facts) for s in elsewhere),
            )
        caveats = (ph.BOTH_CAVEAT,) if topic.startswith("warning") or boxed else ()
        return finding(
            dimension,
            topic,
            statement,
            Favours.UNCLEAR,
            grade_of(cited),
            cites(cited),
            caveats=caveats,
            kind="shared",
            **kw,
        )
    if sa.state in present or sb.state in present:
        has, lacks = (sa, sb) if sa.state in present else (sb, sa)
        if lacks.state in ("gap", "unextracted"):
            template = ph.GAP_ONE if lacks.state == "gap" else ph.UNEXTRACTED_ONE
            statement = template.format(
                has=has.ev.name, lacks=lacks.ev.name, topic=name, section=section
            )
            return finding(
                dimension,
                topic,
                statement,
                Favours.UNCLEAR,
                grade_of(has.facts),
                cites(has.facts, [lacks.ev.label]),
                kind="gap",
                **kw,
            )
        if has.state == "mentions":
            statement = ph.ONLY_ONE_MENTIONS.format(
                has=has.ev.name, lacks=lacks.ev.name, topic=name, where=_where(has.facts)
            )
            return finding(
                dimension,
                topic,
                statement,
                Favours.UNCLEAR,
                grade_of(has.facts),
                cites(has.facts, [lacks.ev.label]),
                kind="differs",
                **kw,
            )
        counts = silence_favours and has.ev.read(topic) and lacks.ev.says_nothing(topic)
        favours = (Favours.B if has is sa else Favours.A) if counts else Favours.UNCLEAR
        caveats = (ph.SILENCE_CAVEAT,) + ((ph.BOXED_CAVEAT,) if boxed else ())
        template = ph.BOXED_ONLY if boxed else ph.ONLY_ONE
        return finding(
            dimension,
            topic,
            template.format(has=has.ev.name, lacks=lacks.ev.name, topic=name),
            favours,
            grade_of(has.facts),
            cites(has.facts, [lacks.ev.label]),
            caveats=caveats,
            kind="differs",
            **kw,
        )
    if sa.state == sb.state == "silent":
        statement = ph.NEITHER.format(topic=name)
        kind = "absent"
    elif "silent" not in (sa.state, sb.state):
        statement = ph.GAP_BOTH.format(section=section, topic=name)
        kind = "gap"
    else:
        silent, gap = (sa, sb) if sa.state == "silent" else (sb, sa)
        statement = ph.GAP_SILENT.format(
            silent=silent.ev.name, gap=gap.ev.name, topic=name, section=section
        )
        kind = "gap"
    return finding(
        dimension,
        topic,
        statement,
        Favours.UNCLEAR,
        Grade.ABSENT,
        cites([a.label, b.label]),
        kind=kind,
        **kw,
    )


def quoted(f: Finding, a: Evidence, b: Evidence) -> Finding:
    """A topic both labels address in their own words (dosing instructions, contraindications):
    the two texts quoted side by side, which differ unless they are the same words."""
    if f.kind != "shared":
        return f
    if f.a_text == f.b_text:
        return replace(f, kind="same")
    statement = ph.DESCRIBE_TEXTS.format(
        topic=ph.cap(ph.topic_name(f.topic)),
        a=a.name,
        a_text=f.a_text,
        b=b.name,
        b_text=f.b_text,
    )
    return replace(f, statement=statement, kind="differs", caveats=())


def value_finding(dimension: str, topic: str, a: Evidence, b: Evidence) -> Finding:
    """Set a number both labels give side by side (weeks before vaccination, months of
    contraception), else fall back to :func:`topic_finding`. A shorter window is a matter of
    planning, not of safety: it favours neither drug."""
    fa = [f for f in a.topic(topic) if f.value is not None]
    fb = [f for f in b.topic(topic) if f.value is not None]
    if fa and fb and fa[0].unit == fb[0].unit:
        va, vb = fa[0].value, fb[0].value
        unit = fa[0].unit or ""
        statement = ph.VALUES.format(
            topic=ph.cap(ph.topic_name(topic)),
            a=a.name,
            a_value=f"{va:g} {unit}".strip(),
            b=b.name,
            b_value=f"{vb:g} {unit}".strip(),
        )
        return finding(
            dimension,
            topic,
            statement,
            Favours.NONE,
            grade_of(fa + fb),
            cites(fa, fb),
            a_text=texts(tuple(fa)),
            b_text=texts(tuple(fb)),
            kind="differs" if va != vb else "same",
        )
    return topic_finding(dimension, topic, a, b, silence_favours=False)


def _present(findings: list[Finding]) -> tuple[Finding, ...]:
    """Drop 'neither label' findings when the dimension has others; keep one if it has none."""
    real = [f for f in findings if f.grade is not Grade.ABSENT]
    return tuple(real or findings[:1])


def mechanism(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    out = []
    for topic in ("indication", "mechanism.target", "mechanism.antibody_type", "mechanism.action"):
        f = topic_finding("mechanism", topic, a, b, silence_favours=False)
        # mechanism and indication describe the drugs; they favour neither
        out.append(f if f.grade is Grade.ABSENT else _neutral(f))
    return _present(out)


def _neutral(f: Finding) -> Finding:
    return replace(
        f, favours=Favours.NONE, caveats=(), kind="gap" if f.kind == "gap" else "describes"
    )


def infections(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    from rxcompare.comparison.trials import trial_findings

    keys = (
        "warning.infections",
        "warning.serious_infections",
        "warning.herpes",
        "warning.hbv",
        "warning.pml",
    )
    out = warning_findings("infections", keys, a, b)
    return tuple(out + trial_findings("infections", a, b, ("infection",), limit=4))


def vaccinations(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    out = [
        value_finding("vaccinations", t, a, b) for t in ("vaccination.live", "vaccination.non_live")
    ]
    out += [
        topic_finding("vaccinations", t, a, b, silence_favours=False)
        for t in ("vaccination.during_treatment", "vaccination.infants")
    ]
    return tuple(out)


def malignancy(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    return tuple(warning_findings("malignancy", ("warning.malignancy",), a, b))


def immunoglobulins(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    return tuple(warning_findings("immunoglobulins", ("warning.immunoglobulins",), a, b))


def pregnancy(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    out = [value_finding("pregnancy", "pregnancy.contraception", a, b)]
    out += warning_findings("pregnancy", ("warning.fetal_risk",), a, b)
    out += [
        topic_finding("pregnancy", t, a, b, silence_favours=False)
        for t in ("pregnancy.risk", "lactation")
    ]
    return tuple(out)


def other_warnings(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    """The boxed warnings, the contraindications, and every warning the two labels carry that no
    other dimension shows, topic by topic as :func:`~rxcompare.comparison.align.align` pairs them."""
    from rxcompare.comparison.align import align

    out = [topic_finding("other_warnings", "boxed_warning", a, b)]
    out.append(
        quoted(
            topic_finding("other_warnings", "contraindication", a, b, silence_favours=False), a, b
        )
    )
    out += [aligned_finding("other_warnings", t, a, b) for t in align(a, b) if not t.own_dimension]
    return _present(out)


def aligned_name(t, titles: bool = False) -> str:
    """The name of an aligned warning topic: the vocabulary's, else the label's own title; with
    ``titles``, followed by the labels' own subsection titles where they say more."""
    name = t.name or ph.topic_name(t.key)
    if titles and t.titles and t.titles.lower() not in name.lower():
        return ph.TOPIC_TITLES.format(name=name, titles=t.titles)
    return name


def warning_findings(
    dimension: str, keys: tuple[str, ...], a: Evidence, b: Evidence
) -> list[Finding]:
    """The aligned warnings of these topics (or their families), as findings: a topic neither
    label warns of gives none (the coverage lines say which sections the pack lacks)."""
    from rxcompare.comparison.align import align

    return [aligned_finding(dimension, t, a, b) for t in align(a, b) if t.key in keys]


def aligned_finding(dimension: str, t, a: Evidence, b: Evidence) -> Finding:
    """One finding on an aligned warning topic (:class:`~rxcompare.comparison.align.AlignedTopic`)."""
    name = aligned_name(t, titles=True)
    cited = t.a + t.b
    kw = {"a_text": texts(t.a) or NOT_IN_PACK, "b_text": texts(t.b) or NOT_IN_PACK}
    if t.state == "both":
        return finding(
            dimension,
            t.key,
            ph.BOTH_WARN.format(topic=name),
            Favours.UNCLEAR,
            grade_of(cited),
            cites(cited),
            kind="shared",
            **kw,
        )
    has, lacks = (a, b) if t.a else (b, a)
    if t.state in ("only_a", "only_b"):
        from rxcompare.comparison.align import vocabulary_key

        side = "a_text" if lacks is a else "b_text"
        kw[side] = ph.WARNS_NOT
        favours = Favours.B if has is a else Favours.A
        statement = ph.ONLY_WARNS.format(has=has.name, lacks=lacks.name, topic=name)
        elsewhere = lacks.mentioned_outside_warnings(vocabulary_key(t.key))
        if elsewhere:
            # the other label, read whole, names it outside its warnings (an adverse reaction of
            # its trials, a population's section): a difference of labelling, not of safety
            numbers = [c.section for c, _ in elsewhere[:4]]
            where = ("section " if len(numbers) == 1 else "sections ") + ", ".join(numbers)
            statement = ph.ONLY_WARNS_MENTIONED.format(
                has=has.name, lacks=lacks.name, topic=name, where=where
            )
            kw[side] = "\n".join(
                [ph.WARNS_NOT]
                + [ph.UNDER.format(where=f"section {c.section}", text=x) for c, x in elsewhere[:2]]
            )
            favours = Favours.NONE
        return finding(
            dimension,
            t.key,
            statement,
            favours,
            grade_of(cited),
            cites(cited, [lacks.label], [c for c, _ in elsewhere[:4]]),
            caveats=(ph.SILENCE_CAVEAT,),
            kind="differs",
            **kw,
        )
    # what the pack does hold of the other label on the subject: its narrower warnings, or
    # statements filed elsewhere that name it (its W&P is not held, so no silence is claimed)
    related = tuple(f for f in lacks.family(t.key) + lacks.mentions(t.key) if f not in cited)
    if related:
        kw["a_text" if lacks is a else "b_text"] = "\n".join(
            ph.UNDER.format(where=_where((f,)), text=f.text) for f in related
        )
    return finding(
        dimension,
        t.key,
        ph.GAP_WARNS.format(has=has.name, lacks=lacks.name, topic=name),
        Favours.UNCLEAR,
        grade_of(cited),
        cites(cited, [lacks.label]),
        kind="gap",
        **kw,
    )


def monitoring(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    f = topic_finding("monitoring", "monitoring", a, b, silence_favours=False)
    return (f,)
