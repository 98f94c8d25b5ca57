"""The embedded pack is what its sources build today: the curated entries of knowledge/curated and the
real SPL labels of ../shared/data/real/spl, read by the current extraction. A change to the parsers or
to a curated entry that is not followed by `rxcompare pack build` fails here, so the pack a user gets
never says less, or other, than the code and the curated files say."""

from __future__ import annotations

import json

from conftest import ROOT, shared_path

from rxcompare.sources.pack import build_pack

EMBEDDED = ROOT / "src" / "rxcompare" / "data" / "pack.json"
SPL = ("humira.xml", "lipitor-orig.xml", "viagra-64f8040f.xml")


def test_embedded_pack_equals_a_fresh_build_of_its_sources():
    spl = [shared_path("spl", name) for name in SPL]
    fresh = json.loads(
        json.dumps(
            build_pack(
                curated=sorted((ROOT / "knowledge" / "curated").glob("*.json")),
                spl=spl,
                event_groups=ROOT / "knowledge" / "event_groups.json",
            )
        )
    )
    embedded = json.loads(EMBEDDED.read_text(encoding="utf-8"))
    assert set(fresh) == set(embedded)
    stale = [k for k in fresh if k != "built" and fresh[k] != embedded[k]]
    assert not stale, (
        f"the embedded pack differs from a fresh build in {stale}: run `rxcompare pack build "
        f"--curated knowledge/curated --event-groups knowledge/event_groups.json "
        + " ".join(f"--spl ../shared/data/real/spl/{n}" for n in SPL)
        + "`"
    )
