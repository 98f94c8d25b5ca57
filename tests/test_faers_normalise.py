"""Drug-name cleaning and the synonym table (pack products plus a user CSV)."""

from __future__ import annotations

import pytest

from rxcompare.errors import FaersError
from rxcompare.sources.faers.normalise import load_synonyms, normalise_drug_name
from rxcompare.sources.pack import write_pack


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("KESIMPTA 20MG/0.4ML PEN", "KESIMPTA"),
        ("Ofatumumab.", "OFATUMUMAB"),
        ("OCREVUS (OCRELIZUMAB)", "OCREVUS"),
        ("  ocrevus 300mg/10ml ", "OCREVUS"),
        ("SITAGLIPTIN PHOSPHATE", "SITAGLIPTIN"),
        ("CEFOPERAZONE SODIUM\\SULBACTAM SODIUM", "CEFOPERAZONE\\SULBACTAM"),
        ("SODIUM CHLORIDE", "SODIUM CHLORIDE"),
        ("MAGNESIUM SULFATE", "MAGNESIUM SULFATE"),
        ("INSULIN GLARGINE 100 U/ML", "INSULIN GLARGINE"),
        ("Aspirin 81 mg tablets", "ASPIRIN"),
        ("CO-TRIMOXAZOLE", "CO-TRIMOXAZOLE"),
        ("(UNKNOWN)", "UNKNOWN"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_drug_name(raw, clean):
    assert normalise_drug_name(raw) == clean


def _pack(tmp_path):
    def product(pid, brand, ingredient, synonyms=()):
        return {
            "id": pid,
            "brand": brand,
            "ingredient": ingredient,
            "routes": [],
            "dosage_forms": [],
            "strengths": [],
            "indications": [],
            "labeler": None,
            "set_id": None,
            "synonyms": list(synonyms),
            "ndc": [],
        }

    doc = {
        "schema": "rxcompare/pack",
        "version": 1,
        "built": "2024-01-01",
        "products": [
            product("kesimpta", "Kesimpta", "ofatumumab", ["OFATUMUMAB INJECTION PEN"]),
            product("arzerra", "Arzerra", "ofatumumab"),
            product("ocrevus", "Ocrevus", "ocrelizumab"),
        ],
        "facts": [],
        "incidences": [],
        "event_groups": {},
        "sources": {},
    }
    return write_pack(doc, tmp_path / "pack.json")


@pytest.mark.parametrize(
    ("drugname", "prod_ai", "ingredient", "product"),
    [
        ("KESIMPTA 20MG/0.4ML PEN", "OFATUMUMAB", "ofatumumab", "kesimpta"),
        ("Arzerra", "", "ofatumumab", "arzerra"),
        ("Ofatumumab.", "", "ofatumumab", None),  # the ingredient does not tell the product
        ("OCREVUS (OCRELIZUMAB)", "", "ocrelizumab", "ocrevus"),
        ("MY BRAND (OCREVUS)", "", "ocrelizumab", "ocrevus"),
        ("UNKNOWNBRAND 10 MG", "SITAGLIPTIN PHOSPHATE", "sitagliptin", None),
        ("UNKNOWNBRAND 10 MG", "", "unknownbrand", None),
        ("", "", None, None),
        ("QOVIRAN", "", "qoviralipril", "qoviran"),  # from the user CSV
    ],
)
def test_resolve_with_pack_and_csv(tmp_path, drugname, prod_ai, ingredient, product):
    csv_path = tmp_path / "syn.csv"
    csv_path.write_text("name,ingredient,product\nQOVIRAN,QOVIRALIPRIL,qoviran\n", encoding="utf-8")
    syn = load_synonyms(csv_path, pack_path=_pack(tmp_path))
    assert syn.resolve(drugname, prod_ai) == (ingredient, product)


def test_missing_pack_falls_back_to_csv(tmp_path, monkeypatch):
    csv_path = tmp_path / "syn.csv"
    csv_path.write_text("name,ingredient,product\nKesimpta,ofatumumab,kesimpta\n", encoding="utf-8")
    monkeypatch.setenv("RXCOMPARE_SYNONYMS", str(csv_path))
    syn = load_synonyms(pack_path=tmp_path / "absent.json")
    assert syn.resolve("KESIMPTA PEN", None) == ("ofatumumab", "kesimpta")


def test_bad_synonym_csv(tmp_path):
    bad = tmp_path / "syn.csv"
    bad.write_text("brand,inn\nA,B\n", encoding="utf-8")
    with pytest.raises(FaersError, match="name,ingredient"):
        load_synonyms(bad, use_pack=False)
