"""Names -> :class:`~rxcompare.models.Drug`.

Free text ("Kesimpta", "ocrelizumab", "OCREVUS ZUNOVO", "kesimta") is matched against the knowledge
pack's products: brand, id, synonyms and ingredient, case- and punctuation-insensitively, then by
token and fuzzy matching. A name that matches several products of one ingredient (ofatumumab is
Kesimpta *and* Arzerra) is resolved by context (indication, route) or refused with the choices; it
is never merged silently.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
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
    """"Kesimpta (ofatumumab; subcutaneous; multiple sclerosis)" — used in messages."""
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
        hit = [p for p in out if any(key in normalise_name(i) or normalise_name(i) in key for i in p.indications)]
        out = hit or out
    if route:
        key = normalise_name(route)
        hit = [p for p in out if any(key in normalise_name(r) for r in p.routes)]
        out = hit or out
    return out


def _token_match(query: str, idx: _Index) -> list[str]:
    """Products whose name tokens cover every query token (each token exact or close)."""
    q = query.split()
    if not q:
        return []
    hits = []
    for pid, toks in idx.tokens.items():
        if all(t in toks or difflib.get_close_matches(t, toks, n=1, cutoff=0.85) for t in q):
            hits.append(pid)
    return hits


def _brand_cover(query: str, product: Product) -> float:
    """The share of the brand's words that the query names (exactly or nearly)."""
    brand = normalise_name(product.brand).split()
    q = query.split()
    hit = sum(1 for w in brand if w in q or difflib.get_close_matches(w, q, n=1, cutoff=0.85))
    return hit / len(brand) if brand else 0.0


def candidates(name: str, pack: Pack) -> tuple[list[str], str]:
    """Product ids a name matches, and how ("name", "ingredient", "tokens", "fuzzy" or "")."""
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
    close = difflib.get_close_matches(key, list(idx.names) + list(idx.ingredients), n=1, cutoff=0.8)
    if close:
        c = close[0]
        return list(idx.names.get(c) or idx.ingredients[c]), "fuzzy"
    return [], ""


def suggestions(name: str, pack: Pack, n: int = 5) -> tuple[str, ...]:
    idx = _index(pack)
    pool = {normalise_name(p.ingredient): p.ingredient for p in pack.products}
    pool.update({normalise_name(p.brand): p.brand for p in pack.products})
    close = difflib.get_close_matches(normalise_name(name), list(pool) + list(idx.names), n=n, cutoff=0.5)
    out: list[str] = []
    for c in close:
        label = pool.get(c) or pack.product(idx.names[c][0]).brand
        if label not in out:
            out.append(label)
    return tuple(out)


def resolve(
    name: str,
    pack: Pack | None = None,
    *,
    indication: str | None = None,
    route: str | None = None,
) -> Drug:
    """Resolve free text to a :class:`Drug` standing for exactly one product.

    Raises :class:`UnknownDrugError` (with the closest names) when nothing matches, and
    :class:`AmbiguousDrugError` (with the products) when several products match and the context
    (``indication``, ``route``) does not single one out.
    """
    pack = pack or load_pack()
    if not name or not name.strip():
        raise UnknownDrugError("empty drug name; give a brand or generic name such as 'kesimpta'")
    if len(name) > MAX_NAME:
        raise UnknownDrugError(
            f"a drug name of {len(name)} characters is too long (at most {MAX_NAME}); give one name"
        )
    ids, _how = candidates(name, pack)
    if not ids:
        hints = suggestions(name, pack)
        more = f" Did you mean: {', '.join(hints)}?" if hints else ""
        raise UnknownDrugError(
            f"no medicine called {name.strip()!r} is in the knowledge pack.{more} "
            "`rxcompare pack info` lists the products it holds.",
            hints,
        )
    products = _narrow([pack.product(i) for i in ids], indication, route)
    if len(products) > 1:
        choices = tuple(describe(p) for p in products)
        raise AmbiguousDrugError(
            f"{name.strip()!r} matches {len(products)} products that differ in route, indication or "
            f"safety: {'; '.join(choices)}. Name the product (brand), or give --indication/--route.",
            tuple(p.brand for p in products),
        )
    p = products[0]
    return Drug(query=name, ingredient=p.ingredient, products=(p,))


def resolve_pair(
    a: str, b: str, pack: Pack | None = None, *, indication: str | None = None
) -> tuple[Drug, Drug]:
    """Resolve two names, using each other's indications as context for an ambiguous one."""
    pack = pack or load_pack()

    def attempt(name: str, other: str) -> Drug:
        try:
            return resolve(name, pack, indication=indication)
        except AmbiguousDrugError as ambiguous:
            if indication:
                raise
            other_drug = resolve(other, pack)
            for ind in other_drug.product.indications:
                try:
                    drug = resolve(name, pack, indication=ind)
                except AmbiguousDrugError:
                    continue
                if drug.product.id == other_drug.product.id:
                    # the context picks the other drug itself: the name stays ambiguous here
                    choices = [describe(p) for p in pack.products if p.brand in ambiguous.suggestions]
                    raise AmbiguousDrugError(
                        f"{name.strip()!r} is ambiguous here: it names {len(choices)} products "
                        f"({'; '.join(choices)}), and {other.strip()!r} is one of them; name the "
                        "other product by its brand to compare the two.",
                        ambiguous.suggestions,
                    ) from None
                return replace(drug, resolved_by=ind)
            raise

    da, db = attempt(a, b), attempt(b, a)
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
    (the pack itself when it matches them all; no request is made then)."""
    from rxcompare.sources.online import OpenFdaClient
    from rxcompare.sources.pack.update import pack_with_online_labels

    missing = [n for n in names if not candidates(n, pack)[0]]
    if not missing:
        return pack
    with OpenFdaClient() as client:
        return pack_with_online_labels(pack, missing, client)
