"""The whole exception tree of rxcompare.

::

    RxCompareError
    ├── ConfigError            a setting or option that cannot be used
    ├── UnknownDrugError       a name that matches no known medicine (with suggestions)
    │   └── AmbiguousDrugError a name that matches several products that must not be merged
    ├── SourceError            evidence that cannot be read or fetched
    │   ├── LabelError         an SPL / openFDA label that cannot be parsed
    │   ├── PackError          the knowledge pack is missing, malformed or cannot be written
    │   ├── FaersError         a FAERS file or warehouse problem (file, line, field)
    │   └── OnlineError        openFDA / FDA downloads unreachable, rate-limited or failing
    ├── StatisticsError        input that the statistics cannot take
    └── QuestionError          a question or request that cannot be answered as asked

Messages quote the value, state the rule and say what to do. The library raises; only the CLI
and the web app turn errors into output.
"""

from __future__ import annotations


class RxCompareError(Exception):
    """Root of every error rxcompare raises on purpose."""


class ConfigError(RxCompareError):
    """A setting, option or environment variable that cannot be used."""


class UnknownDrugError(RxCompareError):
    """A name that matches no medicine rxcompare knows; ``suggestions`` holds the closest names and
    ``position`` which of two names it was (0 or 1), when known."""

    def __init__(
        self, message: str, suggestions: tuple[str, ...] = (), position: int | None = None
    ):
        super().__init__(message)
        self.suggestions = suggestions
        self.position = position


class AmbiguousDrugError(UnknownDrugError):
    """A name that matches several products that differ in safety; ``suggestions`` lists them."""


class SourceError(RxCompareError):
    """Evidence that cannot be read or fetched."""


class LabelError(SourceError):
    """A label file that is not SPL, or malformed, truncated or unreadable."""


class PackError(SourceError):
    """The knowledge pack is missing, malformed, or could not be written."""


class FaersError(SourceError):
    """A FAERS file or warehouse problem; the message names file, line and field."""


class OnlineError(SourceError):
    """An online source (openFDA, FDA downloads) is unreachable, rate-limited or failing."""


class StatisticsError(RxCompareError):
    """Input the statistics cannot take (negative counts, mismatched shapes, ...)."""


class QuestionError(RxCompareError):
    """A question or request that cannot be answered as asked (one drug, three drugs, the same twice)."""


__all__ = [
    "AmbiguousDrugError",
    "ConfigError",
    "FaersError",
    "LabelError",
    "OnlineError",
    "PackError",
    "QuestionError",
    "RxCompareError",
    "SourceError",
    "StatisticsError",
    "UnknownDrugError",
]
