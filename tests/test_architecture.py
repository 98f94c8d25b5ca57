"""STYLE.md's layout and import direction, for every module of src/ (a module no rule covers fails
test_every_module_falls_under_a_rule).

The floors: models and errors import nothing of ours (models only itself); stats reads models and
errors; sources (the streams) read models, errors and settings, never stats, a wing or a face. The two
wings, comparison (the clinician's) and signals (the pharmacovigilance scientist's), use stats and
sources and never import each other; render sees only models, render and errors; cli and web are the
faces that join a wing to render (the web app never imports the command line, which starts it). At the
top of the package only __init__, __main__, errors and settings stand loose. No module takes part in
an import circle, counting imports inside functions (test_no_import_circle). ``from rxcompare import
__version__`` reads the root package, which every import has already run: it is allowed anywhere.

Inside sources/, one stream, one room: labels, openFDA, FAERS and ClinicalTrials.gov never import
each other (openFDA's label endpoint is parsed by the label parsers: the one crossing), and none of them
imports the pack, which sits above them. What a stream may import is a
closed list (test_streams_meet_only_through_models): models, errors, settings and the shared
plumbing below every stream -- the HTTP client with its cache (sources/http.py) and the atomic
JSON write (sources/atomic.py) -- plus its own room and the crossings named there. The SQL quoting
(sources/faers/sql.py) sits in the FAERS room, whose engine DuckDB is, and imports nothing. The
plumbing imports no stream; the pack (sources/pack/) reads the label parsers and nothing else of
sources.

One module of the pack is let through to the network: sources/pack/update.py (`rxcompare pack
update`), which must fetch the current label from DailyMed and openFDA to replace an entry. The
rest of the pack stays offline, so that reading or building a pack never loads an HTTP client and
an offline comparison cannot reach the network through it; the exception is one file, named, so
that a second module of the pack that wants the network has to be argued for here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rxcompare"


def _imports(path: Path) -> set[str]:
    """Every rxcompare module a file imports, at its top or inside a function; ``from X import y``
    counts as X.y when X.y is a module of the package, else as X."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rxcompare"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub == "rxcompare.__version__":
                    continue  # the root package, already imported by any import of rxcompare
                out.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("rxcompare"))
    return out


def _name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(SRC.rglob("*.py"))}


def modules(package: str) -> list[Path]:
    base = SRC / package
    return sorted(base.rglob("*.py")) if base.is_dir() else [SRC / f"{package}.py"]


def _under(mod: str, prefixes) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


# What each part of the package may import: a closed list (its own part is always allowed).
_R = "rxcompare."
LAYERS = {
    "models": (),
    "errors": (),
    "settings": (),
    "__init__": (),
    "__main__": ("cli",),
    "stats": ("models", "errors"),
    "sources": ("models", "errors", "settings"),
    "comparison": ("models", "errors", "settings", "stats", "sources"),
    "signals": ("models", "errors", "settings", "stats", "sources"),
    "render": ("models", "errors"),
    "cli": (
        "models",
        "errors",
        "settings",
        "stats",
        "sources",
        "comparison",
        "signals",
        "render",
        "web",
    ),
    "web": ("models", "errors", "settings", "stats", "sources", "comparison", "signals", "render"),
}
LOOSE = {"__init__", "__main__", "errors", "settings"}


def _layer(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_falls_under_a_rule():
    bare = sorted(m for m in MODULES if _layer(m) not in LAYERS)
    assert not bare, (
        f"modules no rule covers: {bare}; give their part of the package a rule in LAYERS"
    )


def test_no_loose_module_at_the_top():
    loose = {p.stem for p in SRC.glob("*.py")} - LOOSE
    assert not loose, f"modules loose at the top of the package: {sorted(loose)}; give each a room"


PLUMBING = {"http", "atomic"}  # the cached HTTP client, atomic writes


def test_only_the_plumbing_is_loose_in_sources():
    loose = {p.stem for p in (SRC / "sources").glob("*.py")} - {"__init__"} - PLUMBING
    assert not loose, (
        f"sources/ holds {sorted(loose)} loose: give each stream its room; only the plumbing stands loose"
    )


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_part_imports_only_what_it_may(layer):
    allowed = {_R + x for x in (*LAYERS[layer], layer)} | (
        {"rxcompare"} if layer == "__init__" else set()
    )
    bad = []
    for mod, path in MODULES.items():
        if _layer(mod) != layer:
            continue
        bad += [f"{mod} imports {x}" for x in sorted(_imports(path)) if not _under(x, allowed)]
    assert not bad, "\n".join(bad)


def test_the_wings_never_import_each_other():
    bad = [
        f"{mod} imports {x}"
        for mod, path in MODULES.items()
        for wing, other in (("comparison", "signals"), ("signals", "comparison"))
        if _layer(mod) == wing
        for x in _imports(path)
        if _under(x, (_R + other,))
    ]
    assert not bad, "\n".join(bad)


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    part.append(top)
                    if top == node:
                        break
                if len(part) > 1:
                    out.append(sorted(part))
    return out


def test_no_test_module_imports_another():
    # shared helpers live in tests/helpers.py (and fixtures in conftest.py), not in a test module
    tests = Path(__file__).resolve().parent
    bad = [
        f"{p.name} imports {mod}"
        for p in sorted(tests.glob("test_*.py"))
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        for mod in (
            [node.module]
            if isinstance(node, ast.ImportFrom) and node.module
            else [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else []
        )
        if mod.startswith("test_")
    ]
    assert not bad, "\n".join(bad) + "\nmove what they share into tests/helpers.py"


def test_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    graph = {
        mod: {x for x in _imports(path) if x in MODULES and x != mod}
        for mod, path in MODULES.items()
    }
    circles = _circles(graph)
    assert not circles, (
        "modules that import each other (a function-level import counts too): "
        + "; ".join(" <-> ".join(c) for c in circles)
    )


# what sits above the streams inside sources/
_ABOVE_STREAMS = ("rxcompare.sources.pack",)

RULES = [
    (
        "sources/labels",
        _ABOVE_STREAMS
        + ("rxcompare.sources.openfda", "rxcompare.sources.faers", "rxcompare.sources.ctgov"),
        (),
    ),
    (
        "sources/openfda",
        _ABOVE_STREAMS + ("rxcompare.sources.faers", "rxcompare.sources.ctgov"),
        (),
    ),
    # FAERS drug names are mapped with the pack's product names (normalise.load_synonyms): the one
    # look upward, allowed by name
    (
        "sources/faers",
        _ABOVE_STREAMS
        + (
            "rxcompare.sources.labels",
            "rxcompare.sources.openfda",
            "rxcompare.sources.ctgov",
            "rxcompare.sources.http",
        ),
        ("rxcompare.sources.pack",),
    ),
    (
        "sources/ctgov",
        _ABOVE_STREAMS
        + ("rxcompare.sources.labels", "rxcompare.sources.openfda", "rxcompare.sources.faers"),
        (),
    ),
    (
        "sources/literature",
        _ABOVE_STREAMS
        + (
            "rxcompare.sources.labels",
            "rxcompare.sources.openfda",
            "rxcompare.sources.faers",
            "rxcompare.sources.ctgov",
        ),
        (),
    ),
    # the plumbing under every stream: no stream, no pack
    ("sources/atomic", ("rxcompare.",), ()),
    ("sources/faers/sql", ("rxcompare.",), ()),
    (
        "sources/http",
        ("rxcompare.",),
        ("rxcompare.errors", "rxcompare.settings", "rxcompare.sources.atomic"),
    ),
    # the pack is made from parsed labels; it knows no other stream and nothing above it
    (
        "sources/pack",
        ("rxcompare.sources.",),
        ("rxcompare.sources.pack", "rxcompare.sources.labels", "rxcompare.sources.atomic"),
    ),
    # ... except `pack update`, the one module of the pack that fetches labels (see the docstring)
    (
        "sources/pack/update",
        ("rxcompare.",),
        (
            "rxcompare.models",
            "rxcompare.errors",
            "rxcompare.settings",
            "rxcompare.sources.pack",
            "rxcompare.sources.labels",
            "rxcompare.sources.atomic",
            "rxcompare.sources.http",
            "rxcompare.sources.openfda.client",
            "rxcompare.sources.openfda.labels",
        ),
    ),
]

# A module that a rule of its own governs instead of its folder's rule (named one by one).
EXEMPT = {"sources/pack": ("sources/pack/update",)}


def governed_by(package: str) -> list[Path]:
    """The modules a rule governs: those of ``package`` less the ones ``EXEMPT`` hands to their own rule."""
    own = {path for other in EXEMPT.get(package, ()) for path in modules(other)}
    return [path for path in modules(package) if path not in own]


@pytest.mark.parametrize("package, forbidden, allowed", RULES, ids=[r[0] for r in RULES])
def test_import_direction(package, forbidden, allowed):
    bad = []
    for path in governed_by(package):
        for mod in _imports(path):
            if any(mod == a or mod.startswith(a + ".") for a in allowed):
                continue
            if any(mod.startswith(f) for f in forbidden):
                bad.append(f"{path.relative_to(SRC)} imports {mod}")
    assert not bad, "\n".join(bad)


# What a stream may import besides its own room: the records that cross every boundary and the
# plumbing under every stream, and, by name, the crossings the module docstring gives.
_SHARED = ("rxcompare.models", "rxcompare.errors", "rxcompare.settings")
_PLUMBING = ("rxcompare.sources.http", "rxcompare.sources.atomic")
STREAMS = [
    ("labels", _SHARED + _PLUMBING),
    ("openfda", _SHARED + _PLUMBING + ("rxcompare.sources.labels",)),
    (
        "faers",
        _SHARED + ("rxcompare.sources.atomic", "rxcompare.sources.pack"),
    ),
    ("ctgov", _SHARED + _PLUMBING),
    ("rxnorm", _SHARED + _PLUMBING),
    ("literature", _SHARED + _PLUMBING),
]


@pytest.mark.parametrize("stream, allowed", STREAMS, ids=[s[0] for s in STREAMS])
def test_streams_meet_only_through_models(stream, allowed):
    own = f"rxcompare.sources.{stream}"
    assert (SRC / "sources" / stream).is_dir(), f"sources/{stream} is not a room"
    bad = []
    for path in modules(f"sources/{stream}"):
        for mod in _imports(path):
            if mod == "rxcompare" or any(
                mod == a or mod.startswith(a + ".") for a in (own, *allowed)
            ):
                continue
            bad.append(f"{path.relative_to(SRC)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_only_pack_update_of_the_pack_may_reach_the_network():
    # the exception above is one file: the rest of the pack is still held to the offline rule
    assert governed_by("sources/pack/update") == [SRC / "sources" / "pack" / "update.py"]
    assert SRC / "sources" / "pack" / "update.py" not in governed_by("sources/pack")
    assert SRC / "sources" / "pack" / "read.py" in governed_by("sources/pack")


def test_no_module_shares_its_name_with_a_public_function():
    # `import rxcompare.x` rebinds the package attribute x to the module: a public function x
    # would vanish after the first import of a module of that name.
    import rxcompare
    import rxcompare.signals

    for package, base in ((rxcompare, SRC), (rxcompare.signals, SRC / "signals")):
        names = {
            p.stem
            for p in base.iterdir()
            if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())
        }
        assert not names & set(package.__all__), package.__name__


def test_the_signals_entry_points_are_exported_from_the_package_and_its_wing():
    import rxcompare
    import rxcompare.signals
    from rxcompare.signals.report_table import signals_from_reports
    from rxcompare.signals.warehouse import signals_by_quarter, signals_from_warehouse

    for f in (signals_from_reports, signals_by_quarter, signals_from_warehouse):
        assert getattr(rxcompare, f.__name__) is f is getattr(rxcompare.signals, f.__name__)
        assert f.__name__ in rxcompare.__all__ and f.__name__ in rxcompare.signals.__all__


def test_readme_library_example_works_twice_in_one_process():
    import rxcompare

    first = rxcompare.compare("kesimpta", "ocrevus")
    again = rxcompare.compare("kesimpta", "ocrevus")
    assert callable(rxcompare.compare) and callable(rxcompare.resolve)
    assert first == again
    assert rxcompare.render_markdown(again) == rxcompare.render_markdown(first)
    assert (
        rxcompare.resolve("kesimpta").product.brand == rxcompare.resolve("kesimpta").product.brand
    )
