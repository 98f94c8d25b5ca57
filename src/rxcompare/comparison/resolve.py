"""Names -> :class:`~rxcompare.models.Drug`.

Free text ("Kesimpta", "ocrelizumab", "OCREVUS ZUNOVO", "kesimta") is matched against the knowledge
pack's products: brand, id, synonyms and ingredient, case- and punctuation-insensitively, then by
the words of a name ("ocrelizumab zunovo"), each word exactly. Identity, not spelling: a name that
is only *close* to one the pack holds ("rituximab" beside ublituximab, "kesimpa") is never taken
for it; the closest names are offered in the error, with the ways to reach a medicine the pack
does not hold (``--online``, ``rxcompare pack add FILE``).

A name that matches several products of one ingredient (ofatumumab is Kesimpta *and* Arzerra) is
resolved by context -- ``--indication``, or in a pair the indication the other medicine shares --
or, when its products share their indications and one brand is the base the others extend
(OCREVUS, OCREVUS ZUNOVO), as the base brand; the :class:`Drug` then names the products not taken
(``others``), so that the comparison says which product it compares. Otherwise it is refused with
the choices; products are never merged.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rxcompare.errors import AmbiguousDrugError, QuestionError, UnknownDrugError
from rxcompare.models import Drug, Product
from rxcompare.sources.pack import Pack, load_pack

MAX_NAME = 200  # characters; longer input is not a drug name

_NOISE = re.compile(r"[®™©]|\(|\)|,|;|:|\.|/|\"|'")
_SPACES = re.compile(r"\s+")


def normalise_name(text: str) -> str:
    """Lower-case, accents and trademark signs removed, punctuation to spaces, spaces folded."""
    text = _NOISE.sub(" ", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _NOISE.sub(" ", text.lower()).replace("-", " ")
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class _Index:
    names: dict[str, tuple[str, ...]]  # normalised name -> product ids
    ingredients: dict[str, tuple[str, ...]]  # normalised ingredient -> product ids
    tokens: dict[str, frozenset[str]]  # product id -> its name tokens


def _unique(d: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(dict.fromkeys(v)) for k, v in d.items()}


@lru_cache(maxsize=8)
def _index(pack: Pack) -> _Index:
    names: dict[str, list[str]] = {}
    ingredients: dict[str, list[str]] = {}
    tokens: dict[str, frozenset[str]] = {}
    for p in pack.products:
        own = {p.brand, p.id, *p.synonyms}
        for n in own:
            names.setdefault(normalise_name(n), []).append(p.id)
        ingredients.setdefault(normalise_name(p.ingredient), []).append(p.id)
        toks = set()
        for n in own | {p.ingredient}:
            toks.update(normalise_name(n).split())
        tokens[p.id] = frozenset(toks)
    return _Index(_unique(names), _unique(ingredients), tokens)


def describe(product: Product) -> str:
    """ "Kesimpta (ofatumumab; subcutaneous; multiple sclerosis)" — used in messages."""
    parts = [product.ingredient]
    if product.routes:
        parts.append(", ".join(product.routes))
    if product.indications:
        parts.append(", ".join(product.indications))
    return f"{product.brand} ({'; '.join(parts)})"


def _narrow(products: list[Product], indication: str | None, route: str | None) -> list[Product]:
    out = products
    if indication:
        key = normalise_name(indication)
        hit = [
            p
            for p in out
            if any(key in normalise_name(i) or normalise_name(i) in key for i in p.indications)
        ]
        out = hit or out
    if route:
        key = normalise_name(route)
        hit = [p for p in out if any(key in normalise_name(r) for r in p.routes)]
        out = hit or out
    return out


def _token_match(query: str, idx: _Index, *, near: bool = False) -> list[str]:
    """Products whose name words cover every query word: exactly, or with ``near`` also closely
    (a near match is only ever a suggestion)."""
    q = query.split()
    if not q:
        return []
    hits = []
    for pid, toks in idx.tokens.items():
        if all(
            t in toks or (near and difflib.get_close_matches(t, toks, n=1, cutoff=0.85)) for t in q
        ):
            hits.append(pid)
    return hits


def _brand_cover(query: str, product: Product) -> float:
    """The share of the brand's words that the query names."""
    brand = normalise_name(product.brand).split()
    q = query.split()
    hit = sum(1 for w in brand if w in q)
    return hit / len(brand) if brand else 0.0


def candidates(name: str, pack: Pack) -> tuple[list[str], str]:
    """Product ids a name stands for, and how ("name", "ingredient", "tokens", or "" for none).

    Only identity counts: the name, a synonym or the ingredient as the pack spells them, or every
    word of the name among one product's words. A name merely close to one of those matches
    nothing here (:func:`suggestions` offers it).
    """
    idx = _index(pack)
    key = normalise_name(name)
    if key in idx.names:
        return list(idx.names[key]), "name"
    if key in idx.ingredients:
        return list(idx.ingredients[key]), "ingredient"
    hits = _token_match(key, idx)
    if hits:
        # prefer the products whose brand the query covers best ("zunovo" names Ocrevus Zunovo)
        cover = {h: _brand_cover(key, pack.product(h)) for h in hits}
        best = max(cover.values())
        return [h for h in hits if cover[h] == best], "tokens"
    return [], ""


def suggestions(name: str, pack: Pack, n: int = 5) -> tuple[str, ...]:
    """The brands of the pack's products closest in spelling to ``name`` (by brand, synonym or
    ingredient), closest first: an offer, never an answer."""
    idx = _index(pack)
    key = normalise_name(name)
    pool = list(idx.names) + list(idx.ingredients)
    out: list[str] = []
    for c in difflib.get_close_matches(key, pool, n=n, cutoff=0.5):
        for pid in idx.names.get(c) or idx.ingredients[c]:
            out.append(pack.product(pid).brand)
    out += [pack.product(pid).brand for pid in _token_match(key, idx, near=True)]  # "ocrevus zunvo"
    return tuple(dict.fromkeys(out))[:n]


WAYS_IN = (
    "To compare a medicine the pack does not hold, run with --online (its FDA label from openFDA) "
    "or add its label first with `rxcompare pack add FILE` (SPL XML or openFDA label JSON); "
    "`rxcompare pack info` lists the products the pack holds."
)


def _unknown(name: str, pack: Pack) -> UnknownDrugError:
    hints = suggestions(name, pack)
    shown = [describe(p) for h in hints for p in pack.products if p.brand == h][:3]
    more = (
        f" Not taken in its place, the closest the pack holds: {'; '.join(shown)}; if you meant one "
        "of them, give its name as spelt here."
        if shown
        else ""
    )
    return UnknownDrugError(
        f"no medicine called {name.strip()!r} is in the knowledge pack.{more} {WAYS_IN}", hints
    )


def _check_name(name: str) -> None:
    if not name or not name.strip():
        raise UnknownDrugError("empty drug name; give a brand or generic name such as 'kesimpta'")
    if len(name) > MAX_NAME:
        raise UnknownDrugError(
            f"a drug name of {len(name)} characters is too long (at most {MAX_NAME}); give one name"
        )


def _products(name: str, pack: Pack) -> list[Product]:
    """The products a name stands for (one or more), or :class:`UnknownDrugError`."""
    _check_name(name)
    ids, _how = candidates(name, pack)
    if not ids:
        raise _unknown(name, pack)
    return [pack.product(i) for i in ids]


def _ambiguous(name: str, products: list[Product], extra: str = "") -> AmbiguousDrugError:
    choices = tuple(describe(p) for p in products)
    return AmbiguousDrugError(
        f"{name.strip()!r} matches {len(products)} products that differ in route, indication or "
        f"safety: {'; '.join(choices)}.{extra} Name the product by its brand (e.g. "
        f"{products[0].brand}), or give --indication.",
        tuple(p.brand for p in products),
    )


def _base_brand(products: list[Product]) -> Product | None:
    """The product whose brand the others' brands extend (OCREVUS of OCREVUS ZUNOVO), when all
    of them share their indications; else None."""
    if len({frozenset(p.indications) for p in products}) != 1:
        return None
    words = {p.id: normalise_name(p.brand).split() for p in products}
    for p in products:
        base = words[p.id]
        if all(
            o.id == p.id or (len(words[o.id]) > len(base) and words[o.id][: len(base)] == base)
            for o in products
        ):
            return p
    return None


def _drug(name: str, chosen: Product, matched: list[Product], resolved_by: str = "") -> Drug:
    others = tuple(p for p in matched if p.id != chosen.id)
    return Drug(
        query=name,
        ingredient=chosen.ingredient,
        products=(chosen,),
        resolved_by=resolved_by,
        others=others,
    )


def resolve(
    name: str,
    pack: Pack | None = None,
    *,
    indication: str | None = None,
    route: str | None = None,
) -> Drug:
    """Resolve free text to a :class:`Drug` standing for exactly one product.

    Raises :class:`UnknownDrugError` (with the closest names, offered, never taken) when the pack
    holds no medicine of that name, and :class:`AmbiguousDrugError` (with the products) when
    several products match and the context (``indication``, ``route``) does not single one out.
    """
    pack = pack or load_pack()
    matched = _products(name, pack)
    products = _narrow(matched, indication, route)
    if len(products) > 1:
        raise _ambiguous(name, products)
    return _drug(name, products[0], matched)


def _settle(
    name: str, matched: list[Product], other: list[Product], other_name: str, indication: str | None
) -> Drug:
    """One product of ``matched`` for ``name``, given the other medicine's candidates."""
    products = _narrow(matched, indication, None)
    if len(products) == 1:
        return _drug(name, products[0], matched)
    if len(other) == 1 and other[0] in products:
        # the other name is one of this name's products: which one is meant here is not said
        raise _ambiguous(
            name,
            products,
            f" {other_name.strip()!r} is one of them, so {name.strip()!r} is ambiguous here.",
        )
    resolved_by = ""
    if not indication:
        theirs = [i for p in other for i in p.indications]
        for ind in dict.fromkeys(theirs):
            shared = _narrow(products, ind, None)
            if len(shared) < len(products) and shared:
                products, resolved_by = shared, ind
                break
    if len(products) > 1:
        base = _base_brand(products)
        if base is None:
            raise _ambiguous(name, products)
        products = [base]
    return _drug(name, products[0], matched, resolved_by)


def resolve_pair(
    a: str, b: str, pack: Pack | None = None, *, indication: str | None = None
) -> tuple[Drug, Drug]:
    """Resolve two names, each in the other's light.

    A name of several products is narrowed by ``indication``, else by the indication the other
    medicine's products have (``Drug.resolved_by`` says which), else to its base brand when its
    products share their indications; ``Drug.others`` names the products not taken. Two names
    of one product are refused (:class:`QuestionError`).
    """
    pack = pack or load_pack()
    ma, mb = _products(a, pack), _products(b, pack)
    # settle first the name that settles alone, so that the other is read in its light
    if len(_narrow(mb, indication, None)) == 1 and len(_narrow(ma, indication, None)) > 1:
        db = _settle(b, mb, ma, a, indication)
        da = _settle(a, ma, list(db.products), b, indication)
    else:
        da = _settle(a, ma, mb, b, indication)
        db = _settle(b, mb, list(da.products), a, indication)
    if da.product.id == db.product.id:
        raise QuestionError(
            f"{a!r} and {b!r} are the same product ({describe(da.product)}); name two different medicines"
        )
    return da, db


def find_mentions(text: str, pack: Pack | None = None) -> list[str]:
    """The distinct medicine names a free-text question mentions, in order of appearance.

    Names of one to four words are tried at each position, longest first; a word of five letters
    or more may be misspelt slightly. Two mentions of the same product(s) count once.
    """
    pack = pack or load_pack()
    idx = _index(pack)
    words = normalise_name(text.replace("?", " ")).split()
    known = set(idx.names) | set(idx.ingredients)
    mentions: list[str] = []
    seen: set[tuple[str, ...]] = set()
    i = 0
    while i < len(words):
        step = 1
        for size in (4, 3, 2, 1):
            if i + size > len(words):
                continue
            phrase = " ".join(words[i : i + size])
            ids: tuple[str, ...] = ()
            if phrase in known:
                ids = idx.names.get(phrase) or idx.ingredients[phrase]
            elif size > 1:
                # several words naming one product by its parts ("ocrelizumab zunovo")
                hits = _token_match(phrase, idx)
                cover = {h: _brand_cover(phrase, pack.product(h)) for h in hits}
                best = [h for h in hits if cover[h] == max(cover.values()) and cover[h] > 0]
                first = words[i]
                alone = idx.names.get(first) or idx.ingredients.get(first) or ()
                # only when the words together say more than the first word alone
                ids = tuple(best) if len(best) == 1 and tuple(best) != tuple(alone) else ()
            elif len(phrase) >= 5:
                close = difflib.get_close_matches(phrase, list(known), n=1, cutoff=0.85)
                if close:
                    ids = idx.names.get(close[0]) or idx.ingredients[close[0]]
            if ids:
                if ids not in seen:
                    seen.add(ids)
                    mentions.append(phrase)
                step = size
                break
        i += step
    return mentions


def online_pack(pack: Pack, names: Iterable[str]) -> Pack:
    """``--online``: ``pack`` plus the openFDA label of each name the resolver cannot match in it
    (the pack itself when it matches them all; no request is made then). A name openFDA has no
    label for is refused with what RxNorm (RxNav) knows of it: the medicine it names, or the
    closest names -- offered, never taken in its place."""
    from rxcompare.sources.openfda.client import OpenFdaClient
    from rxcompare.sources.pack.update import pack_with_online_labels

    missing = [n for n in names if not candidates(n, pack)[0]]
    if not missing:
        return pack
    with OpenFdaClient() as client:
        for name in missing:
            try:
                pack = pack_with_online_labels(pack, [name], client)
            except AmbiguousDrugError:
                raise
            except UnknownDrugError as exc:
                raise UnknownDrugError(f"{exc} {rxnorm_note(name)}", exc.suggestions) from None
    return pack


def rxnorm_note(name: str) -> str:
    """What RxNorm says of a name openFDA has no label for (one sentence for an error)."""
    from rxcompare.errors import SourceError
    from rxcompare.sources.rxnorm import RxNavClient, identify

    def shown(concepts) -> str:
        return "; ".join(f"{c.name} (RxCUI {c.rxcui}, {c.tty})" for c in concepts[:3])

    try:
        with RxNavClient(max_retries=1) as client:
            exact, close = identify(client, name)
    except SourceError as exc:
        return f"(RxNorm could not be asked: {exc})"
    if exact:
        return (
            f"RxNorm knows {name.strip()!r} as {shown(exact)}, but openFDA returned no label for it: "
            "add its label with `rxcompare pack add FILE` (SPL XML from DailyMed, or an openFDA reply)."
        )
    if close:
        return (
            f"RxNorm knows no medicine called {name.strip()!r} either; its closest names, not taken in "
            f"its place: {shown(close)}."
        )
    return f"RxNorm knows no medicine called {name.strip()!r} either."
