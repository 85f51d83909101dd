"""Quote sheets and pseudonymisation: every format opened again and checked;
no listed name (nor a variant) survives in any of them."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser

import docx
import openpyxl
import pytest

from jhs_qual.export.pseudonyms import Pseudonym, Pseudonymiser, read_pseudonym_file
from jhs_qual.export.quotes import attribution
from jhs_qual.errors import BadInput
from tests.conftest import SAMPLES, write

PUPILS = "po_leerlingen_groep6_de_linde"


def test_pseudonymiser_forms():
    p = Pseudonymiser([Pseudonym("Sanne", "Lotte", ("Saan",)), Pseudonym("Jan", "Piet", ("Jantje",)),
                       Pseudonym("De Linde", "School A")])
    assert p.apply("Juf Sanne en Sanne's klas; SANNE en sanne.") == "Juf Lotte en Lotte's klas; LOTTE en lotte."
    assert p.apply("Saan, Jantje, Jan en Janssen op De Linde.") == "Lotte, Piet, Piet en Janssen op School A."
    assert p.apply("Sane en Sannne kwamen.") == "Lotte en Lotte kwamen."  # misspellings, by rapidfuzz
    assert p.apply("Jannie en Dana en Daan.") == "Jannie en Dana en Daan."  # short or different names stay
    assert p.apply("Annetje") == "Annetje"


def test_suspects_are_capitalised_unlisted_words_mid_sentence():
    p = Pseudonymiser([Pseudonym("Sanne", "Lotte")])
    texts = ["Toen zei Fleur dat Sanne het wist. Milan ook.", "Ja, samen met Fleur. Samen."]
    assert p.suspects(texts) == ["Fleur"]


def test_name_checks_read_the_texts_a_batch_at_a_time_and_find_what_the_whole_holds():
    p = Pseudonymiser([Pseudonym("Sanne", "Lotte", ("Saan",))])
    filler = ["Ja, dat klopt wel zo."] * 4999
    texts = ["Toen zei Fleur het, en Noor ook.", *filler, "Ik vond de noor wel mooi.", *filler, "Met Saan erbij."]
    given = iter(texts)  # one pass over an iterator, as the quote sheet's check gives them
    assert p.suspects(given) == ["Fleur"]  # "Noor" stands in lower case two batches later
    assert p.leaks(iter(texts)) == ["Saan"] and p.leaks(iter(filler)) == []


def test_attribution_in_words():
    assert attribution({"role": "leraar", "school_type": "PO"}) == ("een basisschoolleraar", "a primary school teacher")
    assert attribution({"role": "jeugdhulpverlener", "school_type": "SO"}) == (
        "een jeugdhulpverlener in het speciaal onderwijs", "a special education youth worker")
    assert attribution({"role": "leerling", "school_type": "VO"}) == ("een vo-leerling", "a secondary school pupil")
    assert attribution({}) == ("een geïnterviewde", "an interviewee")


def test_pseudonym_file(tmp_path):
    path = write(tmp_path / "names.yaml", "Sanne: Lotte\nDaan: {replacement: Bram, variants: [Daantje]}\n")
    assert read_pseudonym_file(path) == [Pseudonym("Sanne", "Lotte"), Pseudonym("Daan", "Bram", ("Daantje",))]
    bad = write(tmp_path / "bad.yaml", "Sanne: Lotte\nDaan: [Bram]\n")
    with pytest.raises(BadInput) as info:
        read_pseudonym_file(bad)
    assert (info.value.line, info.value.field) == (2, "Daan")


@pytest.fixture
def sheet_project(run):
    assert run("import", str(SAMPLES / f"{PUPILS}.txt"), str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    # turns that name people: 'Juf Sanne!' (5), 'zo kijkt Daan altijd' (14), 'dat Fleur ook bang was' (45),
    # 'Juf Sanne vertelde meer' (74); the memos name Daan too
    for turn, code in ((5, "professional_roles"), (14, "intervention"), (45, "sel_group"), (74, "professional_roles")):
        assert run("code", "add", PUPILS, code, "--turn", str(turn), "--coder", "anna", "--memo", "Daan lacht").exit_code == 0
    run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", "36", "--coder", "anna")
    run("pseudonyms", "add", "Sanne", "Lotte")
    run("pseudonyms", "add", "Daan", "Bram", "--variant", "Daantje")
    return run


def all_text(path, fmt) -> str:
    if fmt == "docx":
        return "\n".join(p.text for p in docx.Document(path).paragraphs)
    if fmt == "xlsx":
        workbook = openpyxl.load_workbook(path)
        return "\n".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None)
    if fmt == "html":
        class Text(HTMLParser):
            parts: list[str] = []

            def handle_data(self, data):
                self.parts.append(data)

        parser = Text()
        parser.parts = []
        parser.feed(path.read_text(encoding="utf-8"))
        return "\n".join(parser.parts)
    return path.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "md", "csv", "html"])
def test_no_listed_name_survives_in_any_format(sheet_project, tmp_path, fmt):
    out = tmp_path / f"quotes.{fmt}"
    result = sheet_project("quotes", "-o", str(out), "--context")
    assert result.exit_code == 0, result.output
    assert "5 quotes in 4 themes, pseudonymised (2 names on the list)" in result.output
    text = all_text(out, fmt)
    for name in ("Sanne", "Daan", "Daantje"):
        assert not re.search(rf"\b{name}\b", text), (fmt, name)
    assert "Lotte" in text and "Bram" in text and "Tweeënhalf" not in text
    assert "een basisschoolleerling" in text and "a primary school pupil" in text
    assert "warning: words that may be names and are not on the pseudonym list: Fleur" in result.output


def test_raw_export_is_explicit(sheet_project, tmp_path):
    out = tmp_path / "raw.md"
    result = sheet_project("quotes", "-o", str(out), "--no-pseudonymise")
    assert "NOT pseudonymised" in result.output and "Sanne" in out.read_text(encoding="utf-8")


def test_docx_structure_and_xlsx_sheets(sheet_project, tmp_path):
    out = tmp_path / "q.docx"
    sheet_project("quotes", "-o", str(out), "--code", "professional_roles", "--where", "role=leerling")
    document = docx.Document(out)
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert styles[0] == ("Title", "Quotes per theme")
    assert styles[1] == ("Heading 1", "Rollen van leraar en jeugdhulpverlener / Roles of teacher and youth worker")
    quotes = [t for s, t in styles if s == "Intense Quote"]
    assert quotes == ["Juf Lotte!", "Juf Lotte vertelde meer. En onze juf lette op wie er zat te kletsen."]
    xlsx = tmp_path / "q.xlsx"
    sheet_project("quotes", "-o", str(xlsx))
    workbook = openpyxl.load_workbook(xlsx)
    assert workbook.sheetnames == ["overview", "interdependence", "intervention", "sel_group", "professional_roles",
                                   "quote matrix"] or workbook.sheetnames[0] == "overview"
    matrix = workbook["quote matrix"]
    header = [c.value for c in matrix[1]]
    assert header[:4] == ["transcript", "turn", "text", "attribution"]
    rows = list(matrix.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5 and all(sum(r[4:]) == 1 for r in rows)
    assert matrix.freeze_panes == "A2"


def test_filters_limit_lengths(sheet_project, tmp_path):
    out = tmp_path / "q.csv"
    sheet_project("quotes", "-o", str(out), "--code", "professional_roles", "--limit", "1")
    assert len(list(csv.reader(out.open(encoding="utf-8-sig")))) == 2
    assert sheet_project("quotes", "-o", str(out), "--min-length", "20", "--force").exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert rows and all(len(r["text"]) >= 20 for r in rows)
    bad = sheet_project("quotes", "-o", str(out), "--where", "shool=x")
    assert bad.exit_code == 2 and "unknown attribute 'shool'" in bad.output
    unknown = sheet_project("quotes", "-o", str(tmp_path / "q.pdf"))
    assert unknown.exit_code == 2 and "does not end in a format this command writes" in unknown.output


def test_file_derived_names_are_pseudonymised_too(sheet_project, tmp_path):
    sheet_project("pseudonyms", "add", "De Linde", "School A")
    out = tmp_path / "s.csv"
    assert sheet_project("summary", "--format", "csv", "--table", "transcripts", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "linde" not in text.lower() and "po_leraar_school_a" in text
    codings = tmp_path / "c.csv"
    assert sheet_project("codings", "export", "-o", str(codings)).exit_code == 0
    exported = codings.read_text(encoding="utf-8-sig")
    assert not re.search(r"\b(Sanne|Daan)\b|linde", exported, re.IGNORECASE) and "Lotte" in exported


def test_a_streamed_word_file_holds_what_python_docx_itself_writes(tmp_path, monkeypatch):
    import zipfile

    from docx.shared import Pt

    from jhs_qual.export import wordfile

    monkeypatch.setattr(wordfile, "BATCH", 3)  # spooled several times over
    paragraphs = [("Citaten", "Title", None), ("Flexibiliteit / flexibility", "Heading 1", None),
                  ("Juf zei: “dat doen we samen” — échte <samen>werking & zo", "Intense Quote", None),
                  ("— een basisschoolleraar (t1, turn 2; coder anna)", None, 9), (None, "Quote", None),
                  *((f"citaat {n}", "Intense Quote", None) for n in range(10))]
    plain = docx.Document()
    for text, style, size in paragraphs:
        made = plain.add_paragraph(text, style)
        if size:
            made.runs[0].font.size = Pt(size)
    with wordfile.StreamedDocx(("Title", "Heading 1", "Quote", "Intense Quote"), spool_dir=tmp_path) as streamed:
        for text, style, size in paragraphs:
            streamed.add(text, style, size)
        streamed.save(tmp_path / "streamed.docx")
    plain.save(tmp_path / "plain.docx")
    with zipfile.ZipFile(tmp_path / "plain.docx") as a, zipfile.ZipFile(tmp_path / "streamed.docx") as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        assert all(a.read(name) == b.read(name) for name in a.namelist() if name != "docProps/core.xml")
    assert [p.text for p in docx.Document(tmp_path / "streamed.docx").paragraphs] == [t or "" for t, _, _ in paragraphs]
    assert sorted(tmp_path.iterdir()) == [tmp_path / "plain.docx", tmp_path / "streamed.docx"]  # no spool left
