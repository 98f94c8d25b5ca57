"""rxcompare: compare the safety of two medicines from cited evidence.

Quick start::

    import rxcompare
    comparison = rxcompare.compare("kesimpta", "ocrevus")
    print(rxcompare.render_markdown(comparison))

For the pharmacovigilance scientist: ``signals_from_reports`` (a long table of reports),
``signals_from_warehouse`` and ``signals_by_quarter`` (the FAERS warehouse), from
:mod:`rxcompare.signals`.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "compare": ("rxcompare.comparison", "compare"),
    "compare_drugs": ("rxcompare.comparison", "compare_drugs"),
    "load_pack": ("rxcompare.sources.pack", "load_pack"),
    "parse_spl": ("rxcompare.sources.labels.spl", "parse_spl"),
    "render_json": ("rxcompare.render.json", "render_json"),
    "render_markdown": ("rxcompare.render.markdown", "render_markdown"),
    "resolve": ("rxcompare.comparison.resolve", "resolve"),
    "signals_by_quarter": ("rxcompare.signals.warehouse", "signals_by_quarter"),
    "signals_from_reports": ("rxcompare.signals.report_table", "signals_from_reports"),
    "signals_from_warehouse": ("rxcompare.signals.warehouse", "signals_from_warehouse"),
}


def __getattr__(name: str) -> Any:
    # Lazy imports keep `import rxcompare` cheap (the CLI starts fast).
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'rxcompare' has no attribute {name!r}")


__all__ = sorted(["__version__", *_LAZY])
