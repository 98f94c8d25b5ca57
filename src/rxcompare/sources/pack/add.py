"""``rxcompare pack add FILE...``: label files into the pack, offline.

A file is FDA SPL XML or an openFDA ``drug/label.json`` reply (every result of it, or one result,
or a list of results), told apart by content (:func:`~rxcompare.sources.labels.openfda_json.parse_label`);
a folder stands for its ``*.xml`` and ``*.json`` files. Each label becomes an entry exactly as
``pack build --spl`` makes one (:func:`~rxcompare.sources.pack.put_entry`), under its product's id,
replacing the entry of that id whole.

Refused, and then nothing is added (the caller writes the pack only when every label is taken):

- a label of another product under an id the pack holds (another set id than the entry's label);
- an older version of a label the pack holds (a lower version number of the same set id);
- two files in one call that give the same product different labels.

The same version again is left as it is ("already held"). Nothing here writes a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rxcompare.errors import PackError
from rxcompare.models import Label
from rxcompare.sources.labels.fact_context import product_from_label
from rxcompare.sources.labels.openfda_json import parse_label
from rxcompare.sources.pack.build import put_entry
from rxcompare.sources.pack.record import Pack, PackLabel

__all__ = ["Added", "add_labels", "label_files"]

SUFFIXES = (".xml", ".json")


@dataclass(frozen=True)
class Added:
    """What ``pack add`` did with one label."""

    product: str
    brand: str
    file: str
    outcome: str  # "added" (a product new to the pack) | "replaced" | "held" (this version already)
    label: PackLabel
    before: PackLabel | None = None
    sections: tuple[str, ...] = ()
    facts: int = 0
    incidences: int = 0


def label_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The files to read: each file given, and each folder's ``*.xml`` and ``*.json`` (sorted)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
            )
            if not found:
                raise PackError(
                    f"{path}: a folder without label files (*.xml SPL, *.json openFDA replies)"
                )
            out += found
        elif path.is_file():
            out.append(path)
        else:
            raise PackError(
                f"{path}: no such file or folder; give SPL XML files, openFDA label JSON, or a folder of them"
            )
    return list(dict.fromkeys(out))


def _version(value: str | None) -> int | None:
    return int(value) if value is not None and str(value).strip().isdigit() else None


def _check(pack: Pack, pid: str, label: Label, origin: str) -> PackLabel | None:
    """The label the pack holds for ``pid`` (None for a new product), or :class:`PackError`."""
    if not any(p.id == pid for p in pack.products):
        return None
    held = pack.label_of(pid)
    entry = pack.product(pid)
    set_id = (held.set_id or entry.set_id or "").strip().lower()
    if set_id and set_id != label.set_id.strip().lower():
        raise PackError(
            f"{origin}: the label with set id {label.set_id} names {entry.brand} (id {pid!r}), but the "
            f"pack's {pid!r} is the label with set id {set_id}: another product under the same id; refused "
            "(nothing was added). A repackager's or another labeler's label of one brand is another "
            "document: keep the one the pack holds, or add this one to another pack (--out)"
        )
    have, new = _version(held.version), _version(label.version)
    if have is not None and new is not None and new < have:
        raise PackError(
            f"{origin}: version {label.version} of {label.effective_date} is older than version "
            f"{held.version} of {held.effective_date or 'unknown date'} that the pack holds for {pid!r}; "
            "refused (nothing was added)"
        )
    return held


def add_labels(
    pack: Pack, paths: Iterable[str | os.PathLike[str]], today: str | None = None
) -> tuple[Pack, list[Added]]:
    """A new pack with the labels of ``paths`` in it, and what was done with each label (see the
    module docstring; raises :class:`PackError` or :class:`~rxcompare.errors.LabelError`, naming the
    file, for the first label refused)."""
    reports: list[Added] = []
    taken: dict[
        str, tuple[str, str, str]
    ] = {}  # product id -> (set id, version, file) of this call
    for path in label_files(paths):
        for label in parse_label(path):
            origin = str(path)
            pid = product_from_label(label).id
            earlier = taken.get(pid)
            if earlier is not None and earlier[:2] != (label.set_id, label.version):
                raise PackError(
                    f"{origin}: gives {pid!r} the label {label.set_id} version {label.version}, but "
                    f"{earlier[2]} gave it {earlier[0]} version {earlier[1]}; add one of them (nothing was added)"
                )
            held = _check(pack, pid, label, origin)
            if (
                held is not None
                and held.source != "curated"
                and str(held.version) == label.version
                and (held.set_id or "").lower() == label.set_id.lower()
            ):
                reports.append(
                    Added(
                        pid,
                        pack.product(pid).brand,
                        origin,
                        "held",
                        held,
                        held,
                        pack.coverage_of(pid),
                    )
                )
                continue
            entry = pack.product(pid) if held is not None else None
            source = "openfda" if label.source == "openfda" else "spl"
            pack, record, changes = put_entry(pack, label, None, source, today, entry)
            taken[pid] = (label.set_id, label.version, origin)
            reports.append(
                Added(
                    pid,
                    pack.product(pid).brand,
                    origin,
                    "added" if held is None else "replaced",
                    record,
                    held,
                    changes["sections"],
                    len(pack.facts_for(pid)),
                    len(pack.incidences_for(pid)),
                )
            )
    return pack, reports
