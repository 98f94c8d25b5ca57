"""Drug-name normalisation for FAERS: free-text ``drugname``/``prod_ai`` -> ingredient and product.

Reporters write names as they like ("KESIMPTA 20MG/0.4ML PEN", "Ofatumumab.", "OCREVUS (OCRELIZUMAB)").
The cleaning rules (:func:`normalise_drug_name`) upper-case the name, drop what is in brackets,
strengths ("20MG/0.4ML"), dosage forms, routes and devices ("PEN", "TABLET"), punctuation, and a
trailing salt word ("SODIUM", "HYDROCHLORIDE") when a non-salt word remains. Combinations written with
``\\`` (FDA's separator in ``prod_ai``), ``/`` or ``+`` are cleaned part by part and sorted.

A :class:`Synonyms` table then maps a cleaned name to its ingredient and, when the name identifies a
single product (a brand), the product id, so Kesimpta and Arzerra stay distinguishable although both
are ofatumumab. The table is built from the knowledge pack's products and a user CSV
(columns ``name, ingredient, product``). Names the table does not know are kept, cleaned; never dropped.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from rxcompare.errors import FaersError, PackError
from rxcompare.sources.atomic import read_bounded

SYNONYMS_ENV = "RXCOMPARE_SYNONYMS"

_BRACKETS = re.compile(r"[(\[{][^)\]}]*[)\]}]?")
_INSIDE = re.compile(r"[(\[{]([^)\]}]*)[)\]}]?")
_UNIT = r"(?:MCG|MG|UG|µG|G|KG|NG|ML|L|IU|UNITS?|U|MEQ|MMOL|MOL|%|PERCENT|DOSES?|ACTUATIONS?|PUFFS?|HR|H)"
_STRENGTH = re.compile(
    rf"(?<![A-Z])\d+(?:[.,]\d+)?\s*{_UNIT}(?:\s*/\s*(?:\d+(?:[.,]\d+)?\s*)?{_UNIT})*(?![A-Z])"
)
_NUMBER = re.compile(r"(?<![A-Z0-9])\d+(?:[.,]\d+)?(?![A-Z0-9])")
_FORMS = frozenset(
    [
        "TABLET",
        "TABLETS",
        "TAB",
        "TABS",
        "CAPSULE",
        "CAPSULES",
        "CAP",
        "CAPS",
        "INJECTION",
        "INJECTIONS",
        "INJ",
        "INJECTABLE",
        "SOLUTION",
        "SOLN",
        "SUSPENSION",
        "SUSP",
        "SYRUP",
        "ELIXIR",
        "PEN",
        "PENS",
        "AUTOINJECTOR",
        "AUTO-INJECTOR",
        "INJECTOR",
        "SYRINGE",
        "SYRINGES",
        "PREFILLED",
        "PRE-FILLED",
        "PFS",
        "VIAL",
        "VIALS",
        "AMPOULE",
        "AMPULE",
        "ORAL",
        "CREAM",
        "OINTMENT",
        "GEL",
        "LOTION",
        "PATCH",
        "PATCHES",
        "SPRAY",
        "DROPS",
        "DROP",
        "INHALER",
        "INHALATION",
        "POWDER",
        "FILM-COATED",
        "COATED",
        "EXTENDED-RELEASE",
        "EXTENDED",
        "DELAYED",
        "RELEASE",
        "ER",
        "XR",
        "SR",
        "CR",
        "DR",
        "ODT",
        "IV",
        "SC",
        "SQ",
        "IM",
        "SUBCUTANEOUS",
        "INTRAVENOUS",
        "INTRAMUSCULAR",
        "INFUSION",
        "CONCENTRATE",
        "KIT",
        "SENSOREADY",
        "FOR",
        "USE",
        "TOPICAL",
        "OPHTHALMIC",
        "NASAL",
    ]
)
_SALTS = frozenset(
    [
        "HYDROCHLORIDE",
        "HCL",
        "HYDROBROMIDE",
        "HBR",
        "SODIUM",
        "POTASSIUM",
        "CALCIUM",
        "MAGNESIUM",
        "PHOSPHATE",
        "SULFATE",
        "SULPHATE",
        "MESYLATE",
        "MESILATE",
        "MALEATE",
        "TARTRATE",
        "BITARTRATE",
        "CITRATE",
        "ACETATE",
        "BESYLATE",
        "BESILATE",
        "FUMARATE",
        "SUCCINATE",
        "DIHYDRATE",
        "MONOHYDRATE",
        "HYDRATE",
        "TRIHYDRATE",
        "HYCLATE",
    ]
)
_COMBINE = re.compile(r"\s*(?:\\|(?<=[A-Z])\s*[/+]\s*(?=[A-Z]))\s*")
_PUNCT = re.compile(r"[^A-Z0-9\-\s]")
_SPACES = re.compile(r"\s+")


def _clean_part(part: str) -> str:
    s = _PUNCT.sub(" ", part)
    s = _NUMBER.sub(" ", s)
    words = [w.strip("-") for w in _SPACES.split(s)]
    words = [w for w in words if w]
    kept = [w for w in words if w not in _FORMS]
    if kept:
        words = kept
    while len(words) > 1 and words[-1] in _SALTS and any(w not in _SALTS for w in words[:-1]):
        words.pop()
    return " ".join(words)


@functools.lru_cache(maxsize=1 << 17)  # a pure function of the name: FAERS repeats names endlessly
def normalise_drug_name(name: str | None) -> str:
    """The cleaned, upper-case form of a reported drug name ("" for an empty name).

    ``"KESIMPTA 20MG/0.4ML PEN"`` -> ``"KESIMPTA"``, ``"Ofatumumab."`` -> ``"OFATUMUMAB"``,
    ``"OCREVUS (OCRELIZUMAB)"`` -> ``"OCREVUS"``, ``"SITAGLIPTIN PHOSPHATE"`` -> ``"SITAGLIPTIN"``,
    ``"CEFOPERAZONE SODIUM\\SULBACTAM SODIUM"`` -> ``"CEFOPERAZONE\\SULBACTAM"``.
    """
    if not name:
        return ""
    s = _STRENGTH.sub(" ", _BRACKETS.sub(" ", name.upper()))
    parts = [_clean_part(p) for p in _COMBINE.split(s)]
    parts = sorted({p for p in parts if p})
    if not parts:  # the name was only brackets, strengths or forms: clean what is inside instead
        inner = " ".join(_INSIDE.findall(name.upper()))
        return normalise_drug_name(inner) if inner.strip() and inner != name.upper() else ""
    return "\\".join(parts)


def _inner_names(name: str) -> list[str]:
    return [n for n in (normalise_drug_name(x) for x in _INSIDE.findall(name.upper())) if n]


@dataclass(frozen=True)
class Synonyms:
    """Cleaned name -> (ingredient, product id or None). Build with :func:`load_synonyms`."""

    entries: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def lookup(self, name: str | None) -> tuple[str, str | None] | None:
        key = normalise_drug_name(name)
        return self.entries.get(key) if key else None

    def resolve(self, drugname: str | None, prod_ai: str | None) -> tuple[str | None, str | None]:
        """(ingredient lower-case, product id or None) for one DRUG row.

        Order: the drug name as a known synonym; a known name in its brackets; ``prod_ai`` as a known
        name (ingredient only: an ingredient does not tell the product); else the cleaned ``prod_ai``;
        else the cleaned drug name. Both empty gives (None, None).
        """
        dn = drugname or ""
        for key in [normalise_drug_name(dn), *_inner_names(dn)]:
            if key and key in self.entries:
                return self.entries[key]
        ai_key = normalise_drug_name(prod_ai)
        if ai_key:
            hit = self.entries.get(ai_key)
            return (hit[0] if hit else ai_key.lower()), None
        key = normalise_drug_name(dn)
        return (key.lower() or None), None


def _add(
    entries: dict[str, tuple[str, str | None]],
    seen: dict[str, set],
    name: str,
    ingredient: str,
    product: str | None,
) -> None:
    key = normalise_drug_name(name)
    if not key:
        return
    ingredient = normalise_drug_name(ingredient).lower() or ingredient.strip().lower()
    seen.setdefault(key, set()).add((ingredient, product))
    values = seen[key]
    ingredients = {i for i, _ in values}
    products = {p for _, p in values}
    if len(ingredients) > 1:  # one name, two ingredients: keep the name as written, no mapping
        entries.pop(key, None)
        return
    entries[key] = (ingredient, product if len(products) == 1 else None)


def load_synonyms(
    csv_path: str | os.PathLike[str] | None = None,
    pack_path: str | os.PathLike[str] | None = None,
    use_pack: bool = True,
) -> Synonyms:
    """Build the synonym table from the pack's products and a user CSV (``name,ingredient,product``).

    ``csv_path`` defaults to the environment variable ``RXCOMPARE_SYNONYMS``. When the pack cannot
    be loaded (PackError), only the CSV is used. A name mapping to two products keeps its ingredient
    and no product; a name mapping to two ingredients is left unmapped (never guessed). The CSV wins
    over the pack for the names it lists.
    """
    entries: dict[str, tuple[str, str | None]] = {}
    seen: dict[str, set] = {}
    if use_pack:
        try:
            from rxcompare.sources.pack import load_pack

            pack = load_pack(pack_path)
        except PackError:
            pack = None
        if pack is not None:
            for p in pack.products:
                _add(entries, seen, p.ingredient, p.ingredient, None)
                for name in (p.brand, *p.synonyms):
                    if normalise_drug_name(name) != normalise_drug_name(p.ingredient):
                        _add(entries, seen, name, p.ingredient, p.id)
    csv_path = csv_path if csv_path is not None else os.environ.get(SYNONYMS_ENV) or None
    if csv_path is not None:
        path = Path(csv_path)
        try:
            with io.StringIO(read_bounded(path).decode("utf-8-sig"), newline="") as fh:
                reader = csv.DictReader(fh)
                if not reader.fieldnames or not {"name", "ingredient"} <= set(reader.fieldnames):
                    raise FaersError(
                        f"synonym file {path}: header {reader.fieldnames!r} lacks name, ingredient; "
                        "write a CSV with columns name,ingredient,product"
                    )
                overrides: dict[str, tuple[str, str | None]] = {}
                oseen: dict[str, set] = {}
                for line, row in enumerate(reader, 2):
                    if (
                        not (row.get("name") or "").strip()
                        or not (row.get("ingredient") or "").strip()
                    ):
                        raise FaersError(
                            f"synonym file {path} line {line}: name and ingredient are required"
                        )
                    _add(
                        overrides,
                        oseen,
                        row["name"],
                        row["ingredient"],
                        (row.get("product") or "").strip() or None,
                    )
        except (
            OSError,
            ValueError,
            csv.Error,
        ) as exc:  # ValueError: not UTF-8, or past the size cap
            raise FaersError(
                f"synonym file {path} cannot be read ({str(exc)[:200]}); write a UTF-8 CSV with "
                f"columns name,ingredient,product and check --synonyms / {SYNONYMS_ENV}"
            ) from None
        for key in oseen:
            entries.pop(key, None)
        entries.update(overrides)
    return Synonyms(entries)
