"""Synthetic FAERS quarters in the exact real layout, with their truth written beside them.

The data are invented: drug and event names of the long tail are generated ("QOVIRALIPRIL",
"Synthetic event 0042"); the anti-CD20 products of the knowledge pack appear by name with messy
spellings so normalisation and comparisons have something to find. Frequencies are heavy-tailed
(Zipf-like), cases have several versions spread over quarters, some cases are on a deleted list, and
drug-event associations are planted with a chosen relative reporting ratio. Nothing here is a fact
about a medicine: the planted associations are the synthetic truth of ``truth.csv`` only.

Output in ``out``: ``faers_ascii_YYYYqN.zip`` (or folders with ``fmt="dir"``) holding
``ASCII/DEMOyyQn.txt`` ... and ``Deleted/DELETEyyQn.txt``; ``truth.csv`` (drug, product, event,
rrr, planted); ``truth.json`` (counts); ``names.csv`` (every drug spelling used with its ingredient
and product); ``synonyms.csv`` (brand -> ingredient, product, for ``--synonyms``).
"""

from __future__ import annotations

import csv
import json
import os
import random
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rxcompare.sources.faers.layout import MAX_QUARTERS, quarter_range

HEADERS = {
    "demo": "primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$auth_num$"
    "mfr_num$mfr_sndr$lit_ref$age$age_cod$age_grp$sex$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$"
    "reporter_country$occr_country",
    "drug": "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai$val_vbm$route$dose_vbm$cum_dose_chr$"
    "cum_dose_unit$dechal$rechal$lot_num$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq",
    "reac": "primaryid$caseid$pt$drug_rec_act",
    "outc": "primaryid$caseid$outc_cod",
    "rpsr": "primaryid$caseid$rpsr_cod",
    "ther": "primaryid$caseid$dsg_drug_seq$start_dt$end_dt$dur$dur_cod",
    "indi": "primaryid$caseid$indi_drug_seq$indi_pt",
}

# The pack's anti-CD20 products: (product id, brand, ingredient, route, indications, spellings).
ANTI_CD20 = (
    (
        "kesimpta",
        "KESIMPTA",
        "OFATUMUMAB",
        "Subcutaneous",
        ("Multiple sclerosis", "Relapsing multiple sclerosis"),
        ("KESIMPTA 20MG/0.4ML PEN", "Kesimpta", "KESIMPTA SENSOREADY PEN", "KESIMPTA"),
    ),
    (
        "arzerra",
        "ARZERRA",
        "OFATUMUMAB",
        "Intravenous",
        ("Chronic lymphocytic leukaemia",),
        ("ARZERRA 100MG/5ML", "Arzerra", "ARZERRA"),
    ),
    (
        "ocrevus",
        "OCREVUS",
        "OCRELIZUMAB",
        "Intravenous",
        ("Multiple sclerosis", "Primary progressive multiple sclerosis"),
        ("OCREVUS (OCRELIZUMAB)", "Ocrevus", "OCREVUS 300MG/10ML", "OCREVUS"),
    ),
    (
        "briumvi",
        "BRIUMVI",
        "UBLITUXIMAB",
        "Intravenous",
        ("Multiple sclerosis",),
        ("BRIUMVI 150 MG/6 ML", "Briumvi", "BRIUMVI"),
    ),
)
INGREDIENT_ONLY = {
    "OFATUMUMAB": ("Ofatumumab.", "OFATUMUMAB"),
    "OCRELIZUMAB": ("ocrelizumab",),
    "UBLITUXIMAB": ("Ublituximab",),
}
PTS = (
    "Injection site reaction",
    "Infusion related reaction",
    "Headache",
    "Nausea",
    "Fatigue",
    "Pyrexia",
    "Diarrhoea",
    "Dizziness",
    "Rash",
    "Pruritus",
    "Vomiting",
    "Arthralgia",
    "Dyspnoea",
    "Urinary tract infection",
    "Nasopharyngitis",
    "Upper respiratory tract infection",
    "Herpes zoster",
    "Pneumonia",
    "COVID-19",
    "Drug ineffective",
    "Off label use",
    "Fall",
    "Pain",
    "Back pain",
    "Asthenia",
    "Insomnia",
    "Anxiety",
    "Cough",
    "Alopecia",
    "Weight decreased",
    "Malaise",
    "Influenza like illness",
    "Chills",
    "Neutropenia",
    "Hypogammaglobulinaemia",
    "Sinusitis",
    "Cellulitis",
    "Anaemia",
    "Abdominal pain",
    "Constipation",
)
INDICATIONS = (
    "Product used for unknown indication",
    "Hypertension",
    "Type 2 diabetes mellitus",
    "Rheumatoid arthritis",
    "Depression",
    "Pain",
    "Asthma",
    "Atrial fibrillation",
    "Hypercholesterolaemia",
    "Epilepsy",
    "Breast cancer",
    "Psoriasis",
)
_S1 = ("QA", "QE", "QI", "QO", "XA", "XE", "XO", "ZY", "QU", "XU")
_S2 = ("RA", "LI", "VE", "NO", "TA", "MI", "SU", "DO", "BE", "KO", "PA", "ZE")
_SUFFIX = (
    "PRIL",
    "SARTAN",
    "STATIN",
    "OLOL",
    "MAB",
    "TINIB",
    "CILLIN",
    "PRAZOLE",
    "ETINE",
    "AZOLE",
    "VIR",
    "DRONATE",
    "GLIPTIN",
    "CAINE",
)
_BRAND_END = ("EX", "IX", "ON", "A", "AN", "YL", "OR")


@dataclass(frozen=True)
class SynthTruth:
    """Counts of what :func:`synth_quarters` wrote (also in ``truth.json``)."""

    reports: int  # DEMO rows over all quarters
    cases: int
    older_versions: int
    deleted_cases: int
    expected_cases: int  # after deduplication
    drug_rows: int
    reac_rows: int
    messy_names: int
    rejected_lines: int
    flagged_lines: int
    quarters: tuple[str, ...]


@dataclass
class _Drug:
    ingredient: str
    product: str | None
    spellings: tuple[str, ...]
    route: str
    indications: tuple[str, ...]


def _names(rng: np.random.Generator, n: int, kind: str) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        mid = "".join(rng.choice(_S2, size=int(rng.integers(1, 3))))
        end = rng.choice(_SUFFIX if kind == "ingredient" else _BRAND_END)
        name = f"{rng.choice(_S1)}{mid}{end}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _drugs(rng: np.random.Generator, n: int) -> list[_Drug]:
    drugs = []
    for pid, _brand, ing, route, indis, spell in ANTI_CD20:
        drugs.append(_Drug(ing, pid, spell, route, indis))
    for ing, spell in INGREDIENT_ONLY.items():
        route = "Subcutaneous" if ing == "OFATUMUMAB" else "Intravenous"
        drugs.append(_Drug(ing, None, spell, route, ("Multiple sclerosis",)))
    ings = _names(rng, n, "ingredient")
    brands = _names(rng, n, "brand")
    for ing, brand in zip(ings, brands):
        strength = f"{int(rng.choice([5, 10, 20, 25, 50, 100, 250, 500]))}"
        spellings = (
            brand,
            brand.title(),
            f"{brand} {strength}MG TABLET",
            f"{ing.lower()}.",
            f"{brand} ({ing})",
            ing,
            f"{brand} {strength} mg",
        )
        drugs.append(
            _Drug(
                ing,
                brand.lower(),
                spellings,
                str(rng.choice(["Oral", "Oral", "Intravenous", "Subcutaneous", "Unknown"])),
                (str(rng.choice(INDICATIONS)),),
            )
        )
    return drugs


def _zipf(n: int, s: float, shift: float) -> np.ndarray:
    p = 1.0 / (np.arange(n) + shift) ** s
    return p / p.sum()


def _date(r: random.Random, year: int, q: int) -> str:
    month = 3 * (q - 1) + r.randrange(1, 4)
    return f"{year}{month:02d}{r.randrange(1, 29):02d}"


def synth_quarters(
    out: str | os.PathLike[str],
    reports: int = 5000,
    quarters: int = 2,
    seed: int = 0,
    start: str = "2023q1",
    fmt: str = "zip",
    faults: bool = False,
    drugs: int = 2000,
    events: int = 1500,
    plant: Sequence[tuple[str, str, float]] = (),
    duplicates: int = 0,
) -> SynthTruth:
    """Write ``quarters`` synthetic quarters holding ``reports`` DEMO rows in all; return the truth.

    ``plant`` adds drug-event pairs given by name, ``(ingredient, preferred term, rrr)``: a drug or
    term not in the catalogue is added to it (drugs at the frequency of the anti-CD20 products, terms
    at that of the 20th most common term) and each pair is planted with that relative reporting
    ratio; ``rrr = 1`` leaves the pair null (drawn independently, a negative control). The pairs are
    written to ``planted.csv``. ``duplicates`` adds that many cross-case copies (a case sent again
    under a new case id, see :func:`_copies`), listed in ``duplicates.csv``. With neither option the
    output is the same, byte for byte, as without them.
    """
    if reports < 10 or quarters < 1:
        raise ValueError("synth needs at least 10 reports and 1 quarter")
    if quarters > MAX_QUARTERS:
        raise ValueError(f"synth writes at most {MAX_QUARTERS} quarters, not {quarters:,}")
    if fmt not in ("zip", "dir"):
        raise ValueError(f"format {fmt!r}: use zip or dir")
    rng = np.random.default_rng(seed)
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    qs = quarter_range(start, _add_quarters(start, quarters - 1))
    catalog = _drugs(rng, drugs)
    n_drugs = len(catalog)
    p_drug = _zipf(n_drugs, 1.05, 8.0)
    p_drug[: len(ANTI_CD20) + len(INGREDIENT_ONLY)] = p_drug[40]  # anti-CD20: mid-frequency
    p_drug /= p_drug.sum()
    event_names = list(PTS) + [f"Synthetic event {i:04d}" for i in range(max(0, events - len(PTS)))]
    n_events = len(event_names)
    p_event = _zipf(n_events, 1.1, 3.0)
    if plant:
        p_drug, p_event = _add_named(catalog, p_drug, event_names, p_event, plant)
        n_drugs, n_events = len(catalog), len(event_names)
    ev_index = {e: i for i, e in enumerate(event_names)}

    # planted associations: the anti-CD20 ones, then tail drugs with random events
    planted: list[tuple[int, int, float, bool]] = []
    for i, d in enumerate(catalog[: len(ANTI_CD20)]):
        ev = "Injection site reaction" if d.route == "Subcutaneous" else "Infusion related reaction"
        planted.append((i, ev_index[ev], 8.0, True))
    base = len(ANTI_CD20) + len(INGREDIENT_ONLY)
    for k in range(20):
        planted.append(
            (
                base + (5 + k * 7) % (n_drugs - base),
                2 + (48 + k * 11) % (n_events - 2),
                float([2, 3, 5, 10][k % 4]),
                True,
            )
        )
    for k in range(10):  # negative controls
        planted.append(
            (base + (6 + k * 7) % (n_drugs - base), 2 + (58 + k * 13) % (n_events - 2), 1.0, False)
        )
    named = [
        (
            next(i for i, d in enumerate(catalog) if d.ingredient == ing.strip().upper()),
            ev_index[pt.strip()],
            float(rrr),
            float(rrr) != 1.0,
        )
        for ing, pt, rrr in plant
    ]
    mean_reac = 3.25
    boost: dict[int, list[tuple[int, float]]] = {}
    for di, ei, rrr, _ in (x for x in named if x[3]):
        q = min(0.5, mean_reac * p_event[ei])
        boost.setdefault(di, []).append((ei, min(1.0, max(0.0, (rrr - 1) * q / (1 - q)))))
    for di, ei, rrr, _ in planted:
        q = min(0.5, mean_reac * p_event[ei])
        boost.setdefault(di, []).append((ei, min(1.0, (rrr - 1) * q / (1 - q))))

    # cases and versions until the DEMO row count is reached
    case_versions: list[int] = []
    total = 0
    while total < reports:
        v = min(int(rng.geometric(0.8)), reports - total)
        case_versions.append(v)
        total += v
    n_cases = len(case_versions)
    caseids = rng.choice(
        np.arange(10_000_000, 10_000_000 + 20 * n_cases), size=n_cases, replace=False
    )
    rows: dict[str, dict[str, list[str]]] = {q: {t: [] for t in HEADERS} for q in qs}
    deleted: dict[str, list[int]] = {q: [] for q in qs}
    names_used: dict[tuple[str, str], tuple[str, str]] = {}
    messy = drug_rows = reac_rows = older = n_deleted = 0
    countries = ("US", "US", "US", "GB", "DE", "FR", "JP", "CA", "BR", "IT")
    r = random.Random(seed)
    n_d_all = 1 + rng.poisson(4.0, size=n_cases)
    n_r_all = 1 + rng.poisson(mean_reac - 1, size=n_cases)
    dr_all = rng.choice(n_drugs, size=int(n_d_all.sum()), p=p_drug).tolist()
    ev_all = rng.choice(n_events, size=int(n_r_all.sum()), p=p_event).tolist()
    d_off = r_off = 0
    outcome_codes = ["HO", "OT", "DE", "LT", "DS", "RI", "CA"]
    outcome_weights = [0.35, 0.35, 0.1, 0.08, 0.05, 0.05, 0.02]
    for c in range(n_cases):
        caseid = int(caseids[c])
        n_d, n_r = int(n_d_all[c]), int(n_r_all[c])
        dr = dr_all[d_off : d_off + n_d]
        d_off += n_d
        ev = set(ev_all[r_off : r_off + n_r])
        r_off += n_r
        for di in set(dr):
            for ei, x in boost.get(di, ()):
                if r.random() < x:
                    ev.add(ei)
        drug_specs = []
        for seq, di in enumerate(dr, 1):
            d = catalog[di]
            name = d.spellings[r.randrange(len(d.spellings))]
            ai = "" if r.random() < 0.1 else d.ingredient
            role = (
                "PS"
                if seq == 1
                else ("SS" if r.random() < 0.2 else ("I" if r.random() < 0.02 else "C"))
            )
            product = d.product if not name.upper().startswith(d.ingredient) and d.product else ""
            names_used[(name, ai)] = (d.ingredient.lower(), product)
            indi = d.indications[r.randrange(len(d.indications))]
            drug_specs.append(
                (
                    seq,
                    role,
                    name,
                    ai,
                    d.route,
                    indi,
                    name != name.upper().strip() or " " in name or "." in name,
                )
            )
        outcomes = sorted(set(r.choices(outcome_codes, outcome_weights, k=r.randrange(3))))
        age = r.randrange(1, 95)
        age_f = (
            ("", "")
            if r.random() < 0.2
            else ((str(age), "YR") if r.random() < 0.9 else (str(age * 12), "MON"))
        )
        sex = r.choice(["F", "M", "F", "", "UNK"])
        country = r.choice(countries)
        q0 = r.randrange(len(qs))
        nv = case_versions[c]
        vq = sorted(min(len(qs) - 1, q0 + r.randrange(2)) for _ in range(nv))
        init_dt = _date(r, int(qs[vq[0]][:4]), int(qs[vq[0]][5]))
        last_dt = ""
        for v in range(1, nv + 1):
            qname = qs[vq[v - 1]]
            fda_dt = max(_date(r, int(qname[:4]), int(qname[5])), last_dt)
            last_dt = fda_dt
            pid = int(f"{caseid}{v}")
            ev_dt = init_dt[: r.choice([4, 6, 8, 8])]
            R = rows[qname]
            R["demo"].append(
                f"{pid}${caseid}${v}${'I' if v == 1 else 'F'}${ev_dt}${fda_dt}${init_dt}${fda_dt}$"
                f"{r.choice(['EXP', 'PER', 'DIR'])}$$SYN-{caseid}$SYNTH$$"
                f"{age_f[0]}${age_f[1]}$$"
                f"{sex}$Y$$$"
                f"{fda_dt}$$"
                f"{r.choice(['MD', 'HP', 'CN', 'PH', 'OT'])}${country}${country}"
            )
            for seq, role, name, ai, route, indi, is_messy in drug_specs:
                R["drug"].append(f"{pid}${caseid}${seq}${role}${name}${ai}$1${route}$$$$$$$$$$$$")
                R["indi"].append(f"{pid}${caseid}${seq}${indi}")
                if seq <= 2:
                    R["ther"].append(f"{pid}${caseid}${seq}${init_dt[:6]}$$$")
                messy += is_messy
            for ei in sorted(ev):
                pt = event_names[ei]
                R["reac"].append(f"{pid}${caseid}${pt.upper() if r.random() < 0.05 else pt}$")
            for o in outcomes:
                R["outc"].append(f"{pid}${caseid}${o}")
            if r.random() < 0.05:
                R["rpsr"].append(f"{pid}${caseid}$HP")
            drug_rows += len(drug_specs)
            reac_rows += len(ev)
        older += nv - 1
        if r.random() < 0.01:
            deleted[qs[min(len(qs) - 1, vq[-1] + r.randrange(2))]].append(caseid)
            n_deleted += 1

    copies = (
        _copies(rows, qs, duplicates, seed, {c for q in qs for c in deleted[q]})
        if duplicates
        else []
    )
    rejected = flagged = 0
    if faults:
        rejected, flagged = _plant_faults(rows[qs[0]])
    for q in qs:
        _write_quarter(outdir, q, rows[q], deleted[q], fmt)
    with (outdir / "truth.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["drug", "product", "event", "rrr", "planted"])
        for di, ei, rrr, is_planted in planted:
            d = catalog[di]
            w.writerow(
                [
                    d.ingredient.lower(),
                    d.product or "",
                    event_names[ei],
                    rrr,
                    str(is_planted).lower(),
                ]
            )
    with (outdir / "names.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["drugname", "prod_ai", "ingredient", "product"])
        for (name, ai), (ing, prod) in sorted(names_used.items()):
            w.writerow([name, ai, ing, prod])
    with (outdir / "synonyms.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "ingredient", "product"])
        for d in catalog:
            if d.product:
                w.writerow([d.product.upper(), d.ingredient.lower(), d.product])
    if plant:
        with (outdir / "planted.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["drug", "event", "rrr", "planted"])
            for di, ei, rrr, is_planted in named:
                w.writerow(
                    [catalog[di].ingredient.lower(), event_names[ei], rrr, str(is_planted).lower()]
                )
    if duplicates:
        with (outdir / "duplicates.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["caseid", "copy_caseid", "kind"])
            w.writerows(copies)
        total += len(copies)
        n_cases += len(copies)
    truth = SynthTruth(
        reports=total,
        cases=n_cases,
        older_versions=older,
        deleted_cases=n_deleted,
        expected_cases=n_cases - n_deleted,
        drug_rows=drug_rows,
        reac_rows=reac_rows,
        messy_names=messy,
        rejected_lines=rejected,
        flagged_lines=flagged,
        quarters=tuple(qs),
    )
    doc = {"synthetic": True, "seed": seed, **{k: v for k, v in truth.__dict__.items()}}
    doc["quarters"] = list(qs)
    (outdir / "truth.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return truth


def _add_named(
    catalog: list[_Drug],
    p_drug: np.ndarray,
    event_names: list[str],
    p_event: np.ndarray,
    plant: Sequence[tuple[str, str, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """Add the drugs and terms of ``plant`` that the catalogue lacks; the new probabilities."""
    known = {d.ingredient for d in catalog}
    new_drugs = list(
        dict.fromkeys(
            ing.strip().upper() for ing, _, _ in plant if ing.strip().upper() not in known
        )
    )
    for ing in new_drugs:
        catalog.append(
            _Drug(ing, None, (ing, ing.title()), "Oral", ("Product used for unknown indication",))
        )
    names = set(event_names)
    new_events = list(dict.fromkeys(pt.strip() for _, pt, _ in plant if pt.strip() not in names))
    event_names.extend(new_events)
    p_drug = np.concatenate([p_drug, np.full(len(new_drugs), p_drug[40])])
    p_event = np.concatenate([p_event, np.full(len(new_events), p_event[20])])
    return p_drug / p_drug.sum(), p_event / p_event.sum()


# Kinds of cross-case copies: the same report sent again under a new case id (a duplicate, with
# its drug names spelled another way, or with its age left out), or a near copy that differs in
# one field a matching rule keys on (a distinct case that must not be merged).
COPY_KINDS = ("duplicate", "duplicate_age_missing", "distinct_sex", "distinct_event_date")


def _copies(
    rows: dict[str, dict[str, list[str]]], qs: list[str], n: int, seed: int, deleted: set[int]
) -> list[tuple[int, int, str]]:
    """Add ``n`` cross-case copies of kept versions (latest version of a case on no deleted list,
    with a full event date, a sex and an age); returns (caseid, copy caseid, kind)."""
    r = random.Random(seed + 7919)
    latest: dict[str, tuple[int, str, list[str]]] = {}
    for q in qs:
        for line in rows[q]["demo"]:
            f = line.split("$")
            if int(f[1]) not in deleted and (f[1] not in latest or int(f[2]) > latest[f[1]][0]):
                latest[f[1]] = (int(f[2]), q, f)
    chosen = sorted(
        c for c, (_, _, f) in latest.items() if len(f[4]) == 8 and f[16] in ("F", "M") and f[13]
    )
    r.shuffle(chosen)
    chosen = chosen[:n]
    pids = {latest[c][2][0] for c in chosen}
    lines: dict[tuple[str, str], list[str]] = {}
    for q in qs:
        for table in ("drug", "reac", "outc", "indi", "ther", "rpsr"):
            for line in rows[q][table]:
                pid = line[: line.index("$")]
                if pid in pids:
                    lines.setdefault((pid, table), []).append(line)
    out = []
    for k, caseid in enumerate(chosen):
        _, q, f = latest[caseid]
        kind = COPY_KINDS[k % len(COPY_KINDS)]
        new_case = str(90_000_000 + k)
        new_pid = new_case + "1"
        g = list(f)
        g[0], g[1], g[2], g[3] = new_pid, new_case, "1", "I"
        if kind == "duplicate_age_missing":
            g[13] = g[14] = ""
        elif kind == "distinct_sex":
            g[16] = "M" if g[16] == "F" else "F"
        elif kind == "distinct_event_date":
            g[4] = g[4][:6] + ("01" if g[4][6:] != "01" else "02")
        R = rows[q]
        R["demo"].append("$".join(g))
        for table in ("drug", "reac", "outc", "indi", "ther", "rpsr"):
            for line in lines.get((f[0], table), ()):
                parts = line.split("$")
                parts[0], parts[1] = new_pid, new_case
                if table == "drug" and kind == "duplicate" and parts[5]:
                    parts[4] = parts[5].title()  # the same drug, spelled as its ingredient
                R[table].append("$".join(parts))
        out.append((int(caseid), int(new_case), kind))
    return out


def _plant_faults(R: dict[str, list[str]]) -> tuple[int, int]:
    """Damage a few lines of the first quarter the way real releases are damaged; (rejected, flagged)."""
    rejected = flagged = 0
    drug = R["drug"]
    # a DRUG line missing its last four fields
    drug[3] = "$".join(drug[3].split("$")[:-4])
    rejected += 1
    # two REAC lines run together (a missing newline): one line with too many fields
    reac = R["reac"]
    reac[5] = reac[5] + reac[6]
    del reac[6]
    rejected += 1
    # a REAC line with one field too many
    reac[10] = reac[10] + "$EXTRA"
    rejected += 1
    # a bad date in DEMO (kept, date unknown) and a Latin-1 drug name (kept, decoded)
    parts = R["demo"][2].split("$")
    parts[4] = "20231345"
    R["demo"][2] = "$".join(parts)
    flagged += 1
    parts = drug[8].split("$")
    parts[4] = "CAF\udce9INE CITRATE"  # the byte 0xE9 (Latin-1 e acute), written as such
    drug[8] = "$".join(parts)
    flagged += 1
    return rejected, flagged


def _add_quarters(q: str, n: int) -> str:
    y, k = int(q[:4]), int(q[5])
    idx = y * 4 + (k - 1) + n
    return f"{idx // 4}q{idx % 4 + 1}"


def _write_quarter(
    outdir: Path, q: str, R: dict[str, list[str]], deleted: list[int], fmt: str
) -> None:
    yy = f"{q[2:4]}Q{q[5]}"
    files = {
        f"ASCII/{t.upper()}{yy}.txt": (HEADERS[t] + "\n" + "\n".join(R[t]) + ("\n" if R[t] else ""))
        for t in HEADERS
    }
    if deleted:
        files[f"Deleted/DELETE{yy}.txt"] = " \n" + "\n".join(str(c) for c in sorted(deleted)) + "\n"
    if fmt == "zip":
        target = outdir / f"faers_ascii_{q}.zip"
        tmp = target.with_suffix(".zip.part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, text in files.items():
                zf.writestr(name, text.encode("utf-8", "surrogateescape"))
        os.replace(tmp, target)
    else:
        base = outdir / f"faers_ascii_{q}"
        for name, text in files.items():
            p = base / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(text.encode("utf-8", "surrogateescape"))
