"""STYLE.md's import direction: models and errors import nothing of ours (models only itself);
sources and stats never import each other; render sees only models; the comparison never imports
render, cli or web.

Inside sources/, one stream, one room: labels, openFDA, FAERS and ClinicalTrials.gov never import
each other (openFDA's label endpoint is parsed by the label parsers: the one crossing), and none of them
imports the pack or the post-marketing source, which sit above them. What a stream may import is a
closed list (test_streams_meet_only_through_models): models, errors, settings and the shared
plumbing below every stream -- the HTTP client with its cache (sources/online.py) and the atomic
JSON write (sources/atomic.py) -- plus its own room and the crossings named there. The plumbing
imports no stream; the pack (sources/pack/) reads the label parsers and nothing else of sources."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rxcompare"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rxcompare"):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("rxcompare"))
    return out


def modules(package: str) -> list[Path]:
    base = SRC / package
    return sorted(base.rglob("*.py")) if base.is_dir() else [SRC / f"{package}.py"]


# what sits above the streams inside sources/
_ABOVE_STREAMS = ("rxcompare.sources.pack",)

RULES = [
    ("models", ("rxcompare.",), ("rxcompare.models",)),
    ("errors", ("rxcompare.",), ()),
    ("stats", ("rxcompare.sources", "rxcompare.comparison", "rxcompare.render", "rxcompare.cli", "rxcompare.web"), ()),
    ("sources", ("rxcompare.stats", "rxcompare.comparison", "rxcompare.render", "rxcompare.cli", "rxcompare.web"), ()),
    ("render", ("rxcompare.",), ("rxcompare.models", "rxcompare.render", "rxcompare.errors")),
    ("comparison", ("rxcompare.render", "rxcompare.cli", "rxcompare.web"), ()),
    ("web", ("rxcompare.cli",), ()),
    ("sources/labels", _ABOVE_STREAMS + ("rxcompare.sources.openfda", "rxcompare.sources.faers",
                                         "rxcompare.sources.ctgov"), ()),
    ("sources/openfda", _ABOVE_STREAMS + ("rxcompare.sources.faers", "rxcompare.sources.ctgov"), ()),
    # FAERS drug names are mapped with the pack's product names (normalise.load_synonyms): the one
    # look upward, allowed by name
    ("sources/faers", _ABOVE_STREAMS + ("rxcompare.sources.labels", "rxcompare.sources.openfda",
                                        "rxcompare.sources.ctgov", "rxcompare.sources.online"),
     ("rxcompare.sources.pack",)),
    ("sources/ctgov", _ABOVE_STREAMS + ("rxcompare.sources.labels", "rxcompare.sources.openfda",
                                        "rxcompare.sources.faers"), ()),
    # the plumbing under every stream: no stream, no pack
    ("sources/atomic", ("rxcompare.",), ()),
    ("sources/online", ("rxcompare.",), ("rxcompare.errors", "rxcompare.settings", "rxcompare.sources.atomic")),
    # the pack is made from parsed labels; it knows no other stream and nothing above it
    ("sources/pack", ("rxcompare.sources.",), ("rxcompare.sources.pack", "rxcompare.sources.labels",
                                               "rxcompare.sources.atomic")),
]


@pytest.mark.parametrize("package, forbidden, allowed", RULES, ids=[r[0] for r in RULES])
def test_import_direction(package, forbidden, allowed):
    bad = []
    for path in modules(package):
        for mod in imports_of(path):
            if any(mod == a or mod.startswith(a + ".") for a in allowed):
                continue
            if any(mod.startswith(f) for f in forbidden):
                bad.append(f"{path.relative_to(SRC)} imports {mod}")
    assert not bad, "\n".join(bad)


# What a stream may import besides its own room: the records that cross every boundary and the
# plumbing under every stream, and, by name, the crossings the module docstring gives.
_SHARED = ("rxcompare.models", "rxcompare.errors", "rxcompare.settings")
_PLUMBING = ("rxcompare.sources.online", "rxcompare.sources.atomic")
STREAMS = [
    ("labels", _SHARED + _PLUMBING),
    ("openfda", _SHARED + _PLUMBING + ("rxcompare.sources.labels",)),
    ("faers", _SHARED + ("rxcompare.sources.atomic", "rxcompare.sources.pack")),
    ("ctgov", _SHARED + _PLUMBING),
]


@pytest.mark.parametrize("stream, allowed", STREAMS, ids=[s[0] for s in STREAMS])
def test_streams_meet_only_through_models(stream, allowed):
    own = f"rxcompare.sources.{stream}"
    assert (SRC / "sources" / stream).is_dir(), f"sources/{stream} is not a room"
    bad = []
    for path in modules(f"sources/{stream}"):
        for mod in imports_of(path):
            if mod == "rxcompare" or any(mod == a or mod.startswith(a + ".") for a in (own, *allowed)):
                continue
            bad.append(f"{path.relative_to(SRC)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_no_module_shares_its_name_with_a_public_function():
    # `import rxcompare.x` rebinds the package attribute x to the module: a public function x
    # would vanish after the first import of a module of that name.
    import rxcompare

    names = {p.stem for p in SRC.iterdir() if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
    assert not names & set(rxcompare.__all__)


def test_readme_library_example_works_twice_in_one_process():
    import rxcompare

    first = rxcompare.compare("kesimpta", "ocrevus")
    again = rxcompare.compare("kesimpta", "ocrevus")
    assert callable(rxcompare.compare) and callable(rxcompare.resolve)
    assert first == again
    assert rxcompare.render_markdown(again) == rxcompare.render_markdown(first)
    assert rxcompare.resolve("kesimpta").product.brand == rxcompare.resolve("kesimpta").product.brand
