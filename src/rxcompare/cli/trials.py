"""``rxcompare trials``: ClinicalTrials.gov studies with posted results, arm by arm."""

from __future__ import annotations

import typer

from rxcompare.cli.common import (
    TEXT_FORMATS,
    PackFile,
    TextFormat,
    check_format,
    json_text,
    load_pack,
    write_output,
)


def _trial_subject(name: str, pack):
    """(ingredient to search, the pack's products of it) for a name; a name the pack does not
    know is searched as given, with no product to count its trials for."""
    from rxcompare.comparison.resolve import candidates
    from rxcompare.errors import AmbiguousDrugError

    ids, _how = candidates(name, pack)
    products = [pack.product(i) for i in ids]
    ingredients = sorted({p.ingredient for p in products})
    if len(ingredients) > 1:
        raise AmbiguousDrugError(
            f"{name!r} matches products of {len(ingredients)} ingredients ({', '.join(ingredients)}); "
            "name one",
            tuple(p.brand for p in products),
        )
    if not products:
        return " ".join(name.split()).lower(), []
    return ingredients[0], [p for p in pack.products if p.ingredient == ingredients[0]]


def trials_cmd(
    drugs: list[str] = typer.Argument(..., help="one or two medicines (brand or generic name)"),
    nct: list[str] = typer.Option([], "--nct", help="count only this registry study (repeatable)"),
    fetch: bool = typer.Option(
        False,
        "--fetch",
        help="ask ClinicalTrials.gov and fill the trials cache \\[default: read the cache]",
    ),
    fmt: TextFormat = "text",
    pack_file: PackFile = None,
) -> None:
    """ClinicalTrials.gov trials with posted results: their arms, how each maps to the medicine or
    its comparator, and what is not counted and why."""
    from rxcompare.errors import ConfigError
    from rxcompare.render.trials import trials_outline
    from rxcompare.sources.ctgov import (
        CtGovClient,
        TrialsStore,
        check_nct,
        drug_names,
        fetch_registry,
        stored_registry,
        trials_json,
    )

    check_format(fmt, TEXT_FORMATS)
    if not 1 <= len(drugs) <= 2:
        raise ConfigError(f"give one or two medicines, not {len(drugs)}")
    ids = check_nct(nct)
    pack = load_pack(pack_file)
    store = TrialsStore()
    subjects = [_trial_subject(d, pack) for d in drugs]
    registries = []
    if fetch:
        with CtGovClient() as client:
            for ingredient, products in subjects:
                reg, doc = fetch_registry(
                    ingredient, client, drug_names(ingredient, products), products, ids
                )
                registries.append((reg, products))
                store.save(doc)
    else:
        for ingredient, products in subjects:
            doc = store.load(ingredient)
            if doc is None:
                raise ConfigError(
                    f"the trials cache holds nothing for {ingredient!r} ({store.path(ingredient)}); run "
                    f"`rxcompare trials {ingredient} --fetch` (needs the network) first"
                )
            reg = stored_registry(doc, drug_names(ingredient, products), products)
            if ids:
                reg = reg.__class__(
                    **{**reg.__dict__, "trials": tuple(t for t in reg.trials if t.nct_id in ids)}
                )
            registries.append((reg, products))
    if fmt == "json":
        write_output(json_text(trials_json([r for r, _ in registries])), None)
    else:
        write_output("\n\n".join(trials_outline(r, p) for r, p in registries), None)
