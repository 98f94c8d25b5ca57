"""SPL XML parsing against the real FDA labels in ../shared/data/real/spl (see its SOURCES.md).

Every expected value below was read in the XML file named in the same row.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest
from conftest import shared_path
from lxml import etree

from rxcompare.errors import ConfigError, LabelError
from rxcompare.models import Label
from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.markup import parse_table
from rxcompare.sources.labels.spl import outline, parse_spl, terminal_safe
from rxcompare.sources.labels.text import sentences, split_caps_heading, split_number


def spl(name: str) -> Label:
    return parse_spl(shared_path("spl", name))


# file, set id, version, effective date, document type, highlights
IDENTITY = [
    ("humira.xml", "608d4f0d-b19f-46d3-749a-7159aa5f933d", "1560", "2013-09-30", "34391-3", True),
    (
        "lipitor-orig.xml",
        "c6e131fe-e7df-4876-83f7-9156fc4e8228",
        "11",
        "2014-01-13",
        "34391-3",
        True,
    ),
    (
        "lipitor-repack.xml",
        "17a163ef-b349-4e32-bc8c-b02bac7f65d6",
        "8",
        "2012-02-29",
        "34391-3",
        True,
    ),
    (
        "viagra-64f8040f.xml",
        "0b0be196-0c62-461c-94f4-9a35339b4501",
        "20",
        "2017-11-07",
        "34391-3",
        True,
    ),
    ("no-title.xml", "0027b8a3-73bf-4005-a7e3-b035f451a861", "1", "2010-07-28", "34391-3", False),
    ("cough.xml", "00f66f25-3469-4c16-9baf-fba21e9628bd", "1", "2011-04-26", "34390-5", False),
]


@pytest.mark.parametrize("name, set_id, version, date, doc_type, highlights", IDENTITY)
def test_identity(name, set_id, version, date, doc_type, highlights):
    label = spl(name)
    assert (label.set_id, label.version, label.effective_date) == (set_id, version, date)
    assert label.document_type == doc_type
    assert label.highlights is highlights
    assert label.source == "spl"


# file, number of products, first product: name, form, (ingredient, strength), routes, NDC
PRODUCTS = [
    ("humira.xml", 4, "Humira", "KIT", ("ADALIMUMAB", "40 mg/0.8 mL"), ("SUBCUTANEOUS",), "0074-3799"),
    ("lipitor-orig.xml", 4, "Lipitor", "TABLET, FILM COATED", ("ATORVASTATIN", "10 mg"), ("ORAL",), "0071-0155"),
    ("lipitor-repack.xml", 1, "Lipitor", "TABLET, FILM COATED", ("atorvastatin", "20 mg"), ("ORAL",), "55289-800"),
    ("viagra-64f8040f.xml", 3, "Viagra", "TABLET, FILM COATED", ("SILDENAFIL", "25 mg"), ("ORAL",), "0069-4200"),
    ("no-title.xml", 1, "Haloperidol", "TABLET", ("HALOPERIDOL", "5 mg"), ("ORAL",), "67046-268"),
    ("cough.xml", 1, "TRIAMINIC Childrens Night Time Cold and Cough", "SYRUP",
     ("DIPHENHYDRAMINE HYDROCHLORIDE", "6.25 mg/5 mL"), ("ORAL",), "0067-6344"),
]  # fmt: skip


@pytest.mark.parametrize("name, count, product, form, ingredient, routes, ndc", PRODUCTS)
def test_products(name, count, product, form, ingredient, routes, ndc):
    label = spl(name)
    assert len(label.products) == count
    first = label.products[0]
    assert (first.name, first.dosage_form, first.routes) == (product, form, routes)
    assert first.ingredients[0] == ingredient
    assert first.ndc == (ndc,)


def test_kit_takes_the_route_of_its_active_part_only():
    # Humira kits hold the injection (SUBCUTANEOUS) and alcohol swabs (TOPICAL, inactive only)
    label = spl("humira.xml")
    assert {r for p in label.products for r in p.routes} == {"SUBCUTANEOUS"}
    assert label.products[1].ingredients == (("ADALIMUMAB", "20 mg/0.4 mL"),)
    assert label.products[3].dosage_form == "INJECTION, SOLUTION"


def test_cough_lists_both_active_ingredients():
    assert spl("cough.xml").products[0].ingredients == (
        ("DIPHENHYDRAMINE HYDROCHLORIDE", "6.25 mg/5 mL"),
        ("PHENYLEPHRINE HYDROCHLORIDE", "2.5 mg/5 mL"),
    )


def test_title_whitespace_normalised_and_fallback_to_products():
    assert spl("humira.xml").title.endswith(
        "HUMIRA (adalimumab) injection, for subcutaneous use Initial U.S. Approval: 2002"
    )
    assert "\n" not in spl("humira.xml").title
    assert spl("no-title.xml").title == "Haloperidol"  # <title/> is empty


# file, number, LOINC code, title
NUMBERED = [
    ("humira.xml", "1", loinc.INDICATIONS, "INDICATIONS AND USAGE"),
    ("humira.xml", "1.5", "42229-5", "Crohn\u2019s Disease"),
    ("humira.xml", "5", loinc.WARNINGS_AND_PRECAUTIONS, "WARNINGS AND PRECAUTIONS"),
    ("humira.xml", "5.1", "42229-5", "Serious Infections"),
    ("humira.xml", "5.10", "42229-5", "Immunizations"),
    ("humira.xml", "6.1", loinc.ADVERSE_REACTIONS, "Clinical Trials Experience"),
    ("humira.xml", "12.1", loinc.MECHANISM_OF_ACTION, "Mechanism of Action"),
    ("lipitor-orig.xml", "4.3", loinc.PREGNANCY, "Pregnancy"),
    ("viagra-64f8040f.xml", "2.1", "42229-5", "Dosage Information"),
]


@pytest.mark.parametrize("name, number, code, title", NUMBERED)
def test_numbered_sections(name, number, code, title):
    section = spl(name).find(number=number)
    assert section is not None
    assert (section.code, section.title) == (code, title)


def test_subsections_nest_and_keep_their_order():
    label = spl("humira.xml")
    assert [s.number for s in label.find(number="5").subsections] == [
        f"5.{i}" for i in range(1, 12)
    ]
    assert (
        label.find(code=loinc.BOXED_WARNING).title == "WARNING: SERIOUS INFECTIONS AND MALIGNANCY"
    )


def test_old_format_label_without_numbers():
    label = spl("no-title.xml")
    codes = [s.code for s in label.sections]
    assert loinc.WARNINGS in codes and loinc.PRECAUTIONS in codes
    assert loinc.WARNINGS_AND_PRECAUTIONS not in codes
    warnings = label.find(code=loinc.WARNINGS)
    assert warnings.number is None and warnings.title == "WARNINGS"
    assert warnings.subsections[0].title == (
        "Increased Mortality in Elderly Patients with Dementia-Related Psychosis"
    )


def test_text_is_paragraph_lines_with_source_layout_removed():
    boxed = spl("humira.xml").find(code=loinc.BOXED_WARNING)
    lines = boxed.text.splitlines()
    assert lines[0] == "SERIOUS INFECTIONS"
    assert lines[1].startswith("Patients treated with HUMIRA are at increased risk")
    assert lines[2] == "Discontinue HUMIRA if a patient develops a serious infection or sepsis."
    assert lines[3] == "Reported infections include:"
    assert lines[4].startswith("\u2022 Active tuberculosis (TB)")  # <br/> starts a line
    # a line break inside the XML source is not a paragraph break
    nitrates = spl("viagra-64f8040f.xml").find(number="4.1").text.splitlines()[0]
    assert "[see Clinical Pharmacology (12.1, 12.2) ], VIAGRA was shown" in nitrates
    assert "  " not in boxed.text


def test_highlights_excerpts_are_not_section_text():
    text = spl("humira.xml").find(code=loinc.BOXED_WARNING).text
    assert "See full prescribing information for complete boxed warning" not in text


def test_adverse_reaction_table_kept_as_table():
    table = spl("humira.xml").find(number="6.1").tables[0]
    assert table.caption.startswith("Table 1. Adverse Reactions Reported by \u22655% of Patients")
    assert table.header == ()  # this label puts its header rows in <tbody>
    assert table.rows[0] == ("", "HUMIRA 40 mg subcutaneous Every Other Week", "Placebo")
    assert table.rows[1] == ("", "(N=705)", "(N=690)")
    assert ("Upper respiratory infection", "17%", "13%") in table.rows
    # the last body row is one spanning cell of footnotes: it becomes the table's footnotes
    assert len(table.rows) == 24
    assert table.footnotes[0].startswith("* Laboratory test abnormalities were reported")


def test_thead_rows_and_footnote_elements():
    tables = spl("viagra-64f8040f.xml").find(number="6.1").tables
    assert tables[0].header == (
        ("Adverse Reaction", "25 mg (n=312)", "50 mg (n=511)", "100 mg (n=506)", "Placebo (n=607)"),
    )
    assert tables[0].rows[3] == ("Abnormal vision", "1%", "2%", "11%", "1%")  # footnote removed
    assert tables[0].footnotes[0].startswith("Abnormal Vision: Mild to moderate in severity")
    assert tables[1].header[1] == ("", "N=734", "N=725")


def test_tfoot_rows_become_footnotes():
    section = spl("lipitor-orig.xml").find(number="14.1")
    table = next(t for t in section.tables if t.caption.startswith("TABLE 5."))
    assert table.footnotes[0].startswith("HR=hazard ratio; CHD=coronary heart disease")
    assert table.header[0][1] == table.header[0][2] == "Atorvastatin 10 mg (N=5006)"  # colspan


def test_spans_expand_into_a_grid():
    xml = (
        "<table><tbody><tr><td rowspan='2'>A</td><td colspan='2'>B</td><td rowspan='3'>Z</td></tr>"
        "<tr><td>c</td><td>d</td></tr><tr><td>e</td><td>f</td><td>g</td></tr></tbody></table>"
    )
    table = parse_table(etree.fromstring(xml))
    assert table.rows == (("A", "B", "B", "Z"), ("A", "c", "d", "Z"), ("e", "f", "g", "Z"))


def test_unknown_section_codes_are_kept_with_their_title():
    data = shared_path("spl", "no-title.xml").read_bytes()
    data = data.replace(b'code="34088-5"', b'code="99999-9"', 1)  # OVERDOSAGE
    label = parse_spl(data, origin="no-title.xml (code changed)")
    section = label.find(code="99999-9")
    assert section is not None and section.title == "OVERDOSAGE"
    assert loinc.section_name("99999-9") is None


def test_otc_label_parses():
    label = spl("cough.xml")
    assert label.find(code=loinc.INDICATIONS).title == "Uses"
    assert [s.title for s in label.find(code=loinc.WARNINGS).subsections][:2] == [
        "Do not use",
        "Ask a doctor before use if the child has",
    ]


def test_outline_shows_numbers_codes_and_table_shapes():
    text = outline(spl("humira.xml"))
    assert "set id 608d4f0d-b19f-46d3-749a-7159aa5f933d, version 1560, effective 2013-09-30" in text
    assert "    5.1 Serious Infections [42229-5] 18 paragraph(s)" in text
    assert "24 row(s) x 3 column(s), 1 footnote(s)" in text


# --- errors --------------------------------------------------------------------------------


def test_indexing_document_is_rejected():
    path = shared_path("spl", "methoxsalen.xml")
    with pytest.raises(LabelError) as info:
        parse_spl(path)
    message = str(info.value)
    assert str(path) in message
    assert "60685-5" in message and "Indexing - Pharmacologic Class" in message
    assert "not a drug label" in message


def test_truncated_xml(tmp_path):
    path = tmp_path / "truncated.xml"
    path.write_bytes(shared_path("spl", "humira.xml").read_bytes()[:5000])
    with pytest.raises(LabelError, match=r"truncated\.xml: not well-formed XML at line \d+"):
        parse_spl(path)


@pytest.mark.parametrize(
    "data, pattern",
    [
        (b"", "the file is empty"),
        (
            b"<html><body>not a label</body></html>",
            r"root element is <html> in namespace '\(none\)'",
        ),
        (b'<document xmlns="urn:hl7-org:v3"><code code="34391-3"/></document>', "has no set id"),
    ],
)
def test_bad_documents(data, pattern):
    with pytest.raises(LabelError, match=pattern):
        parse_spl(data, origin="sample")


def test_other_real_xml_is_not_spl():
    path = shared_path("dailymed-api", "spls-page1.xml")
    with pytest.raises(LabelError, match="not an SPL document"):
        parse_spl(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(LabelError, match=r"label file .*nope\.xml does not exist"):
        parse_spl(tmp_path / "nope.xml")
    with pytest.raises(LabelError, match="is a folder"):
        parse_spl(tmp_path)


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    data = shared_path("spl", "no-title.xml").read_bytes()
    data = data.replace(
        b"<document ",
        f'<!DOCTYPE document [<!ENTITY x SYSTEM "{secret.as_uri()}">]><document '.encode(),
        1,
    ).replace(b"<title>DESCRIPTION</title>", b"<title>DESCRIPTION &x;</title>", 1)
    try:
        label = parse_spl(data)
    except LabelError:
        return  # refusing the document is safe too
    assert all("TOPSECRET" not in s.title + s.text for s in label.walk())


# --- text helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title, top, expected",
    [
        ("5.1 Serious Infections", False, ("5.1", "Serious Infections")),
        ("5 WARNINGS AND PRECAUTIONS", True, ("5", "WARNINGS AND PRECAUTIONS")),
        ("17. PATIENT COUNSELING INFORMATION", True, ("17", "PATIENT COUNSELING INFORMATION")),
        ("2.2.1 Premedication", False, ("2.2.1", "Premedication")),
        ("WARNINGS", True, (None, "WARNINGS")),
        ("10 mg Tablets", True, (None, "10 mg Tablets")),
        ("5 Tips", False, (None, "5 Tips")),
    ],
)
def test_split_number(title, top, expected):
    assert split_number(title, top) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One. Two.", ["One.", "Two."]),
        ("Use e.g. this. Next one.", ["Use e.g. this.", "Next one."]),
        ("Initial U.S. Approval: 2002. Then", ["Initial U.S. Approval: 2002.", "Then"]),
        (
            "death [see Warnings (5.1)]. Most patients",
            ["death [see Warnings (5.1)].", "Most patients"],
        ),
        ("a 1.6 to 1.7 times risk. B", ["a 1.6 to 1.7 times risk.", "B"]),
        ("line one\nline two", ["line one", "line two"]),
    ],
)
def test_sentences(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "sentence, heading, body",
    [
        (
            "MALIGNANCY Lymphoma and other malignancies",
            "MALIGNANCY",
            "Lymphoma and other malignancies",
        ),
        ("HUMIRA is a TNF blocker", None, "HUMIRA is a TNF blocker"),
        ("SERIOUS INFECTIONS HUMIRA is", "SERIOUS INFECTIONS", "HUMIRA is"),
        ("TNF blockers are", None, "TNF blockers are"),
        ("HUMIRA Pen is", None, "HUMIRA Pen is"),  # a run of the brand alone is no heading
    ],
)
def test_split_caps_heading(sentence, heading, body):
    assert split_caps_heading(sentence, {"humira"}) == (heading, body if heading else sentence)


# --- hostile and mistaken input (issue 13, faults 9 and 11) -------------------------------------


def with_table(table: str) -> bytes:
    """The real no-title.xml label with ``table`` inserted into its first paragraph."""
    data = shared_path("spl", "no-title.xml").read_bytes()
    return data.replace(b"<paragraph>", b"<paragraph>" + table.encode(), 1)


def test_a_real_label_with_a_small_table_inserted_still_parses():
    label = parse_spl(
        with_table("<table><tr><td colspan='2'>a</td></tr><tr><td>b</td></tr></table>")
    )
    [table] = [t for s in label.sections for x in s.walk() for t in x.tables]
    assert table.rows == (("a", "a"), ("b", ""))


def test_spans_that_expand_past_the_cell_limit_stop_the_parse():
    # one row of 30 cells spanning 100 columns each, then 400 empty rows padded to 3,000 columns:
    # 1.2 million cells from 9 KB of markup
    table = "<table><tbody><tr>" + "<td colspan='100'>x</td>" * 30 + "</tr>" + "<tr/>" * 400
    data = with_table(table + "</tbody></table>")
    with pytest.raises(LabelError) as info:
        parse_spl(data, origin="spans.xml")
    message = str(info.value)
    assert message.startswith(
        "spans.xml: its tables expand (rowspan/colspan) to more than 1,000,000 cells"
    )
    assert "RXCOMPARE_LABEL_MAX_CELLS" in message


def test_the_cell_limit_counts_every_table_of_the_document(monkeypatch):
    one = "<table><tr>" + "<td>x</td>" * 6 + "</tr></table>"  # 6 cells each
    monkeypatch.setenv("RXCOMPARE_LABEL_MAX_CELLS", "10")
    parse_spl(with_table(one))
    with pytest.raises(LabelError, match="more than 10 cells"):
        parse_spl(with_table(one + one))


def test_spanned_text_is_counted_in_every_position(monkeypatch):
    monkeypatch.setenv(
        "RXCOMPARE_LABEL_MAX_MB", "1"
    )  # cell text, spans expanded: 2 million characters
    cell = "<td colspan='100' rowspan='100'>" + "y" * 20_000 + "</td>"
    with pytest.raises(LabelError, match="more than 2,000,000 characters of cell text"):
        parse_spl(with_table(f"<table><tr>{cell}</tr><tr/><tr/></table>"))


def test_a_file_past_the_size_limit_is_refused_unread(monkeypatch, tmp_path):
    path = shared_path("spl", "humira.xml")  # 394,093 bytes
    monkeypatch.setenv("RXCOMPARE_LABEL_MAX_MB", "0.3")
    with pytest.raises(
        LabelError, match=r"humira\.xml is larger than 0\.3 MB, the most rxcompare reads"
    ):
        parse_spl(path)
    with pytest.raises(LabelError, match=r"sample is larger than 0\.3 MB"):
        parse_spl(path.read_bytes(), origin="sample")
    monkeypatch.setenv("RXCOMPARE_LABEL_MAX_MB", "0.4")
    assert parse_spl(path).version == "1560"


@pytest.mark.skipif(
    not Path("/dev/zero").exists(), reason="needs /dev/zero (a never-ending stream)"
)
def test_a_stream_is_read_bounded(monkeypatch):
    monkeypatch.setenv("RXCOMPARE_LABEL_MAX_MB", "2")
    with pytest.raises(LabelError, match=r"/dev/zero gives more than 2 MB"):
        parse_spl("/dev/zero")


@pytest.mark.parametrize("value", ["zero", "0", "-5", "nan"])
def test_bad_limit_settings(monkeypatch, value):
    monkeypatch.setenv("RXCOMPARE_LABEL_MAX_MB", value)
    with pytest.raises(
        ConfigError, match=f"RXCOMPARE_LABEL_MAX_MB='{value}' is not a positive number"
    ):
        parse_spl(b"<document/>")


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("label.xml", "<document/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"", "the file is empty"),
        (b"  \n\t ", "the file is empty (only white space)"),
        (_zip(), "the file is a zip archive; unzip it"),
        (gzip.compress(b"<document/>"), "the file is gzip-compressed"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "the file is a PDF document"),
        (
            b"<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>503</title></head>"
            b"<body><p>Service unavailable<br></body></html>",
            "the file is an HTML page",
        ),
        (b'{"meta": {}, "results": []}', "the file is JSON, not XML"),
        (bytes(range(256)) * 4, "the file is binary data, not text"),
        (b"set_id,version\n1,2\n", "the file is text, but not XML"),
    ],
)
def test_a_file_that_is_not_xml_is_named_for_what_it_is(data, kind):
    with pytest.raises(LabelError) as info:
        parse_spl(data, origin="download")
    message = str(info.value)
    assert message.startswith(f"download: not an SPL XML label: {kind}"), message
    assert "damaged or truncated" not in message


def test_damaged_xml_is_still_called_damaged():
    with pytest.raises(LabelError, match="not well-formed XML at line 1 .*damaged or truncated"):
        parse_spl(b'<?xml version="1.0"?><document xmlns="urn:hl7-org:v3"><title>cut', origin="x")


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("\u202eevil", "\\u202eevil"),  # right-to-left override
        ("a\u2066b\u2069", "a\\u2066b\\u2069"),  # isolates
        ("\x9b31m", "\\u009b31m"),  # C1 control sequence introducer
        ("\x1b[2J", "\\u001b[2J"),  # ESC: clear the screen
        ("\x85next", "\\u0085next"),  # C1 next line
        ("caf\u00e9 \u2264 5 mg", "caf\u00e9 \u2264 5 mg"),  # ordinary text untouched
        ("two\nlines", "two\nlines"),
    ],
)
def test_terminal_safe(raw, shown):
    assert terminal_safe(raw) == shown


def test_outline_escapes_control_and_bidi_characters():
    data = shared_path("spl", "no-title.xml").read_bytes()
    data = data.replace(
        b"<title>DESCRIPTION</title>",
        b"<title>DESCRIPTION &#x202E;txt.exe &#x9B;31m</title>",
        1,
    )
    text = outline(parse_spl(data))
    assert "DESCRIPTION \\u202etxt.exe \\u009b31m [34089-3]" in text
    assert "\u202e" not in text and "\x9b" not in text
