"""Codebook YAML: the shipped codebooks, and every validation error with file, line, field."""

from __future__ import annotations

import pytest

from jhs_qual.domain import applies, disjoint
from jhs_qual.keys import reserved_keys
from jhs_qual.codebook import check_together, load_codebook, parse_codebook, resolve_code
from jhs_qual.errors import BadInput
from tests.conftest import CODEBOOK_FILES

FIXED_IDS = {
    "bronstein": ["interdependence", "new_activities", "flexibility", "collective_ownership", "process_reflection"],
    "professional_topics": ["pupil_sel", "competence_pupils", "competence_network"],
    "pupil_topics": [
        "intervention", "sel_individual", "sel_group", "professional_roles",
        "contact_youth_worker", "contact_parents", "improvements",
    ],
}


def test_shipped_codebooks_have_the_fixed_ids_and_load_together():
    books = [load_codebook(path) for path in CODEBOOK_FILES]
    check_together(books)
    assert {b.id: [c.id for c in b.codes] for b in books} == FIXED_IDS


@pytest.mark.parametrize("path", CODEBOOK_FILES, ids=lambda p: p.stem)
def test_shipped_codes_are_complete(path):
    book = load_codebook(path)
    assert book.language == "nl"
    for code in book.codes:
        assert code.label_nl and code.label_en and code.definition and code.example
        assert code.use_when and code.do_not_use_when
        assert code.key and code.colour.startswith("#")
        terms = code.keywords + code.phrases
        assert len(terms) >= 15, f"{code.id} has only {len(terms)} keywords and phrases"
        assert len(code.phrases) >= 10, f"{code.id} needs multi-word phrases as spoken"


def test_keyword_variants_interviewees_use():
    codes = {c.id: c for p in CODEBOOK_FILES for c in load_codebook(p).codes}
    assert "we hebben elkaar nodig" in codes["interdependence"].phrases
    assert "afstemmen" in codes["interdependence"].keywords
    assert "rolverdeling" in codes["interdependence"].keywords
    assert "boos" in codes["sel_individual"].keywords
    assert "pesten" in codes["sel_individual"].keywords
    assert "juf" in codes["professional_roles"].keywords


GOOD = """\
id: demo
title: Demo
language: nl
codes:
  - id: one
    label_nl: Een
    label_en: One
    colour: "#112233"
    key: a
  - id: two
    label_nl: Twee
    label_en: Two
    parent: one
"""


def test_minimal_codebook_with_parent_and_default_colour():
    book = parse_codebook(GOOD, "demo.yaml")
    assert [(c.id, c.parent, c.key) for c in book.codes] == [("one", None, "a"), ("two", "one", "")]
    assert book.codes[1].colour.startswith("#")
    assert book.codes[1].line == 10


@pytest.mark.parametrize(
    "text, message, line, field",
    [
        ("id: demo\ntitle: [unclosed\n", "YAML syntax error", 3, None),
        ("id: demo\nid: again\ntitle: x\n", "appears twice", 2, "id"),
        (GOOD.replace("    key: a\n", "    key: a\n    defintion: typo\n"), "unknown field", 10, "defintion"),
        (GOOD.replace("  - id: two", "  - id: one"), "duplicate code id 'one' (first on line 5)", 10, "id"),
        (GOOD.replace("parent: one", "parent: zero"), "unknown parent 'zero'", 10, "two.parent"),
        (GOOD.replace("    label_nl: Twee\n", ""), "missing 'label_nl'", 10, "two.label_nl"),
        (GOOD.replace("    label_en: One\n", "    label_en: ''\n"), "missing 'label_en'", 5, "one.label_en"),
        (GOOD.replace('"#112233"', '"blue"'), "bad colour 'blue'", 8, "one.colour"),
        (GOOD.replace('"#112233"', '"#12345"'), "bad colour", 8, "one.colour"),
        (GOOD.replace("codes:", "applies_to: leerling\ncodes:"), "must map attribute names", 4, "applies_to"),
        (GOOD.replace("codes:", "applies_to:\n  Role: [x]\ncodes:"), "not an attribute name", 5, "applies_to"),
        (GOOD.replace("codes:", "applies_to:\n  role: []\ncodes:"), "non-empty list", 5, "applies_to.role"),
        (GOOD.replace("key: a", "key: ab"), "one character", 9, "one.key"),
        (GOOD.replace("id: one", "id: One"), "not a valid id", 5, "id"),
        (GOOD.replace("language: nl", "language: de"), "language 'de'", 3, "language"),
        (GOOD.replace("title: Demo\n", ""), "missing 'title'", 1, "title"),
        ("id: demo\ntitle: x\nlanguage: nl\ncodes: []\n", "non-empty list of codes", 4, "codes"),
        (GOOD.replace("    parent: one", "    keywords: samen") , "list of words", 13, "two.keywords"),
    ],
)
def test_validation_errors_point_at_file_line_field(text, message, line, field):
    with pytest.raises(BadInput) as info:
        parse_codebook(text, "demo.yaml")
    error = info.value
    assert message in error.message
    assert (error.file, error.line, error.field) == ("demo.yaml", line, field)
    assert error.one_line().startswith(f"demo.yaml:{line}: ")


def test_parent_cycle():
    text = GOOD.replace("    key: a\n", "    key: a\n    parent: two\n")
    with pytest.raises(BadInput, match="parent cycle: one -> two -> one|parent cycle: two -> one -> two"):
        parse_codebook(text, "demo.yaml")


def test_self_parent_is_a_cycle():
    with pytest.raises(BadInput, match="parent cycle: one -> one"):
        parse_codebook(GOOD.replace("    key: a\n", "    key: a\n    parent: one\n"), "demo.yaml")


def test_duplicate_shortcut_keys_across_codebooks():
    first = parse_codebook(GOOD, "first.yaml")
    second = parse_codebook(GOOD.replace("id: demo", "id: other").replace("key: a", "key: a"), "second.yaml")
    with pytest.raises(BadInput) as info:
        check_together([first, second])
    assert "shortcut key 'a' is also used by demo/one (first.yaml:5)" in info.value.message
    assert (info.value.file, info.value.line, info.value.field) == ("second.yaml", 5, "one.key")


def test_duplicate_codebook_ids():
    with pytest.raises(BadInput, match="codebook id 'demo' is also used"):
        check_together([parse_codebook(GOOD, "a.yaml"), parse_codebook(GOOD.replace("key: a", "key: b"), "b.yaml")])


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        load_codebook(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes("id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(BadInput, match="not UTF-8"):
        load_codebook(bad)


def test_resolve_code_references():
    pairs = [("bronstein", "flexibility"), ("a", "same"), ("b", "same")]
    assert resolve_code("flexibility", pairs) == ("bronstein", "flexibility")
    assert resolve_code("bronstein/flexibility", pairs) == ("bronstein", "flexibility")
    assert resolve_code("b/same", pairs) == ("b", "same")
    with pytest.raises(BadInput, match="ambiguous") as info:
        resolve_code("same", pairs)
    assert "a/same, b/same" in info.value.hint
    with pytest.raises(BadInput, match="no code 'flex'") as info:
        resolve_code("flex", pairs)
    assert "bronstein/flexibility" in info.value.hint


def test_workbench_keys_are_refused_naming_both():
    book = parse_codebook(GOOD.replace("key: a", "key: i"), "demo.yaml")
    with pytest.raises(BadInput) as info:
        check_together([book])
    assert "taken by the workbench (Definition, keymap id toggle_definition)" in info.value.message
    assert (info.value.line, info.value.field) == (5, "one.key")
    # remapped in the config: the old key is free, the new one taken
    check_together([book], reserved=reserved_keys({"toggle_definition": "ctrl+d"}))
    with pytest.raises(BadInput, match="keymap id undo"):
        check_together([parse_codebook(GOOD, "demo.yaml")], reserved=reserved_keys({"undo": "a"}))


def test_applies_to_is_read_and_lets_disjoint_codebooks_share_keys():
    pupils = parse_codebook(GOOD.replace("codes:", "applies_to:\n  role: [leerling]\ncodes:"), "pupils.yaml")
    assert pupils.applies_to == {"role": ("leerling",)}
    staff = parse_codebook(GOOD.replace("id: demo", "id: staff").replace(
        "codes:", "applies_to: {role: [leraar, Mentor], wave: 2019}\ncodes:"), "staff.yaml")
    assert staff.applies_to == {"role": ("leraar", "Mentor"), "wave": ("2019",)}
    check_together([pupils, staff])  # both use 'a', but never on the same transcript
    everyone = parse_codebook(GOOD.replace("id: demo", "id: all"), "all.yaml")
    with pytest.raises(BadInput, match="shortcut key 'a' is also used by demo/one"):
        check_together([pupils, everyone])


def test_applies():
    scope = {"role": ("leerling",), "wave": ("2021", "2020")}
    assert applies(scope, {"role": "Leerling", "wave": "2021"})
    assert not applies(scope, {"role": "leraar", "wave": "2021"})
    assert applies(scope, {"wave": "2020"})  # no role known: not excluded by it
    assert applies({}, {"role": "x"})
    assert disjoint({"role": ("a",)}, {"role": ("b",)}) and not disjoint({"role": ("a",)}, {"wave": ("b",)})
