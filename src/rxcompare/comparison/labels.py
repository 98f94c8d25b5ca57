"""Label-based dimensions: what each label states, topic by topic, side by side.

A topic both labels address gives an ``unclear`` finding (the labels do not compare the risks); a
topic only one label addresses favours the other drug at label grade, with the caveat that a
label's silence is not proof of no risk; a boxed warning present in one label only is said so with
the boxed-warning caveat. Numbers (weeks before vaccination, months of contraception) are compared
where both labels give them in the same unit.
"""

from __future__ import annotations

from rxcompare.comparison import phrases as ph
from rxcompare.comparison.evidence import Evidence, cites, favour_lower, finding, texts
from rxcompare.models import Favours, Finding, Grade
from rxcompare.sources.topics import topic_section


def silent_text(ev: Evidence, topic: str) -> str:
    """What to say for a label without facts on a topic: silence, or a section not curated."""
    name = ph.topic_name(topic)
    if ev.read(topic):
        return ph.LACKS.format(topic=name)
    return ph.NOT_CURATED.format(section=topic_section(topic), topic=name)


def topic_finding(dimension: str, topic: str, a: Evidence, b: Evidence, *, silence_favours: bool = True) -> Finding:
    """One finding on one topic: both / only one / neither label addresses it.

    A label's silence counts (``silence_favours``) only when the section that would state the topic
    was read in full; otherwise the finding says the section was not curated and favours neither.
    """
    fa, fb = a.topic(topic), b.topic(topic)
    name = ph.topic_name(topic)
    boxed = topic == "boxed_warning"
    if fa and fb:
        return finding(
            dimension, topic, ph.BOTH_STATE.format(topic=name), Favours.UNCLEAR, Grade.LABEL,
            cites(fa, fb), a_text=texts(fa), b_text=texts(fb),
            caveats=() if not topic.startswith("warning") and not boxed else (ph.BOTH_CAVEAT,),
        )
    if fa or fb:
        has, lacks = (a, b) if fa else (b, a)
        a_text, b_text = texts(fa) or silent_text(a, topic), texts(fb) or silent_text(b, topic)
        if not lacks.read(topic):
            statement = ph.ONLY_ONE_CURATED.format(
                has=has.name, lacks=lacks.name, topic=name, section=topic_section(topic)
            )
            return finding(
                dimension, topic, statement, Favours.UNCLEAR, Grade.LABEL, cites(fa or fb, [lacks.label]),
                a_text=a_text, b_text=b_text,
            )
        favours = (Favours.B if fa else Favours.A) if silence_favours else Favours.UNCLEAR
        caveats = (ph.SILENCE_CAVEAT,) + ((ph.BOXED_CAVEAT,) if boxed else ())
        template = ph.BOXED_ONLY if boxed else ph.ONLY_ONE
        return finding(
            dimension, topic, template.format(has=has.name, lacks=lacks.name, topic=name),
            favours, Grade.LABEL, cites(fa or fb, [lacks.label]), a_text=a_text, b_text=b_text,
            caveats=caveats,
        )
    both_read = a.read(topic) and b.read(topic)
    return finding(
        dimension, topic, (ph.NEITHER if both_read else ph.NEITHER_CURATED).format(topic=name),
        Favours.UNCLEAR, Grade.ABSENT, cites([a.label, b.label]),
        a_text=silent_text(a, topic), b_text=silent_text(b, topic),
    )


def value_finding(dimension: str, topic: str, a: Evidence, b: Evidence) -> Finding:
    """Compare a number both labels give (lower favoured), else fall back to :func:`topic_finding`."""
    fa = [f for f in a.topic(topic) if f.value is not None]
    fb = [f for f in b.topic(topic) if f.value is not None]
    if fa and fb and fa[0].unit == fb[0].unit:
        va, vb = fa[0].value, fb[0].value
        unit = fa[0].unit or ""
        statement = ph.VALUES.format(
            topic=ph.topic_name(topic).capitalize(), a=a.name, a_value=f"{va:g} {unit}".strip(),
            b=b.name, b_value=f"{vb:g} {unit}".strip(),
        )
        return finding(
            dimension, topic, statement, favour_lower(va, vb), Grade.LABEL, cites(fa, fb),
            a_text=texts(tuple(fa)), b_text=texts(tuple(fb)),
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
    from dataclasses import replace

    return replace(f, favours=Favours.NONE, caveats=())


def infections(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    from rxcompare.comparison.trials import trial_findings

    topics = ("warning.infections", "warning.serious_infections", "warning.herpes", "warning.hbv", "warning.pml")
    out = [topic_finding("infections", t, a, b) for t in topics]
    return tuple(out + trial_findings("infections", a, b, ("infection",), limit=4))


def vaccinations(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    out = [value_finding("vaccinations", t, a, b) for t in ("vaccination.live", "vaccination.non_live")]
    out += [
        topic_finding("vaccinations", t, a, b, silence_favours=False)
        for t in ("vaccination.during_treatment", "vaccination.infants")
    ]
    return tuple(out)


def malignancy(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    return (topic_finding("malignancy", "warning.malignancy", a, b),)


def immunoglobulins(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    return (topic_finding("immunoglobulins", "warning.immunoglobulins", a, b),)


def pregnancy(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    out = [value_finding("pregnancy", "pregnancy.contraception", a, b)]
    out += [
        topic_finding("pregnancy", t, a, b, silence_favours=t == "warning.fetal_risk")
        for t in ("warning.fetal_risk", "pregnancy.risk", "lactation")
    ]
    return tuple(out)


def other_warnings(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    out = [topic_finding("other_warnings", "boxed_warning", a, b)]
    out.append(topic_finding("other_warnings", "contraindication", a, b, silence_favours=False))
    for t in ("warning.colitis", "warning.liver_injury", "warning.other"):
        out.append(topic_finding("other_warnings", t, a, b))
    return _present(out)


def monitoring(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    f = topic_finding("monitoring", "monitoring", a, b, silence_favours=False)
    return (f,)
