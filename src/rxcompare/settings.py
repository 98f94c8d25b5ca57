"""Settings as data: name, default, help and environment variable, resolved in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    help: str
    default: str | None = None

    def get(self, override: str | os.PathLike[str] | None = None) -> str | None:
        """The option given, else the environment variable, else the default."""
        if override is not None:
            return str(override)
        return os.environ.get(self.env) or self.default


WAREHOUSE = Setting(
    "warehouse",
    "RXCOMPARE_WAREHOUSE",
    "FAERS warehouse folder (Parquet per quarter)",
    str(Path(user_data_dir("rxcompare")) / "warehouse"),
)
CACHE = Setting(
    "cache",
    "RXCOMPARE_CACHE",
    "on-disk cache of online responses",
    user_cache_dir("rxcompare"),
)
OPENFDA_API_KEY = Setting(
    "openfda_api_key", "OPENFDA_API_KEY", "openFDA API key (raises rate limits)"
)
OPENFDA_BASE = Setting(
    "openfda_base", "RXCOMPARE_OPENFDA_BASE", "openFDA base URL", "https://api.fda.gov"
)
PACK = Setting(
    "pack", "RXCOMPARE_PACK", "knowledge pack file (default: the user pack, else the embedded one)"
)
USER_PACK = Setting(
    "user_pack",
    "RXCOMPARE_USER_PACK",
    "the user pack that `rxcompare pack update` writes and every command reads when it exists",
    str(Path(user_data_dir("rxcompare")) / "pack.json"),
)
EMBEDDED_PACK = Setting(
    "embedded_pack", "RXCOMPARE_EMBEDDED_PACK", "1: ignore the user pack and read the embedded one"
)
DAILYMED_BASE = Setting(
    "dailymed_base",
    "RXCOMPARE_DAILYMED_BASE",
    "DailyMed web services base URL",
    "https://dailymed.nlm.nih.gov/dailymed/services/v2",
)
LABEL_MAX_MB = Setting(
    "label_max_mb",
    "RXCOMPARE_LABEL_MAX_MB",
    "largest label file (SPL XML or openFDA JSON) read, in MB; real labels are a few MB",
    "50",
)
LABEL_MAX_CELLS = Setting(
    "label_max_cells",
    "RXCOMPARE_LABEL_MAX_CELLS",
    "most table cells one label may expand to (rowspan/colspan); real labels have a few thousand",
    "1000000",
)
WEB_HOSTS = Setting(
    "web_hosts",
    "RXCOMPARE_WEB_HOSTS",
    "host names the web app answers to, comma-separated, besides loopback and `serve --host`",
    "",
)
CTGOV_BASE = Setting(
    "ctgov_base",
    "RXCOMPARE_CTGOV_BASE",
    "ClinicalTrials.gov API v2 base URL",
    "https://clinicaltrials.gov/api/v2",
)
RXNAV_BASE = Setting(
    "rxnav_base",
    "RXCOMPARE_RXNAV_BASE",
    "RxNav (NLM's RxNorm API) base URL",
    "https://rxnav.nlm.nih.gov",
)
PUBMED_BASE = Setting(
    "pubmed_base",
    "RXCOMPARE_PUBMED_BASE",
    "PubMed E-utilities base URL (literature stream)",
    "https://eutils.ncbi.nlm.nih.gov/entrez/eutils",
)
EUROPEPMC_BASE = Setting(
    "europepmc_base",
    "RXCOMPARE_EUROPEPMC_BASE",
    "Europe PMC REST base URL (literature stream)",
    "https://www.ebi.ac.uk/europepmc/webservices/rest",
)

ALL = (
    WAREHOUSE,
    CACHE,
    OPENFDA_API_KEY,
    OPENFDA_BASE,
    PACK,
    USER_PACK,
    EMBEDDED_PACK,
    DAILYMED_BASE,
    LABEL_MAX_MB,
    LABEL_MAX_CELLS,
    WEB_HOSTS,
    CTGOV_BASE,
    RXNAV_BASE,
    PUBMED_BASE,
    EUROPEPMC_BASE,
)
