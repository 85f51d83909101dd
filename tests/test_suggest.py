"""The suggestion engine on real Dutch sentences, and the suggest, suggest-text,
autocode and keywords commands."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from jhs_qual.cli import cli
from jhs_qual.codebook import load_codebook
from jhs_qual.store import Project
from jhs_qual.suggest.engine import CodeTerms, KeywordIndex, Settings
from jhs_qual.suggest.learn import evaluate, log_odds
from jhs_qual.suggest.pipeline import load_pipeline
from jhs_qual.suggest.service import Suggester, sources_from_codebooks
from tests.conftest import CODEBOOK_FILES, SAMPLES

NL = None


def index(*codes: CodeTerms, settings: Settings = Settings()) -> KeywordIndex:
    return KeywordIndex(list(codes), load_pipeline("nl"), settings)


def first(idx: KeywordIndex, text: str):
    (found,) = idx.suggest([text])
    return found


def test_lemmas_match_inflections():
    idx = index(CodeTerms("b/pesten", keywords=("pesten",)), CodeTerms("b/afstemmen", keywords=("afstemmen",)))
    found = first(idx, "Ze pestten hem en we hebben het afgestemd.")
    assert {s.code: [(m.term, m.keyword, m.how) for m in s.matched] for s in found} == {
        "b/pesten": [("pestten", "pesten", "lemma")],
        "b/afstemmen": [("afgestemd", "afstemmen", "lemma")],
    }


def test_match_spans_point_into_the_text():
    text = "Eerst “ruzie”, toen ruzie."
    (suggestion,) = first(index(CodeTerms("b/x", keywords=("ruzie",))), text)
    assert [text[m.start:m.end] for m in suggestion.matched] == ["ruzie", "ruzie"]


def test_inflections_the_lookup_table_lacks():
    from jhs_qual.suggest.inflect import base_forms

    assert {"leraar"} <= set(base_forms("leraren")) and {"juf"} <= set(base_forms("juffen"))
    assert {"groep"} <= set(base_forms("groepjes")) and {"spel"} <= set(base_forms("spelletjes"))
    assert {"kind"} <= set(base_forms("kinderen")) and {"brief"} <= set(base_forms("brieven"))
    assert base_forms("collega's") == ["collega"] and base_forms("les") == []
    idx = index(CodeTerms("b/roles", keywords=("leraar", "kaart")))
    (s,) = first(idx, "De leraren deelden kaartjes uit.")
    assert [(m.term, m.keyword, m.how) for m in s.matched] == [("leraren", "leraar", "lemma"), ("kaartjes", "kaart", "lemma")]
    assert first(idx, "De lerares") == []  # not a regular inflection of leraar


def test_dutch_compounds():
    idx = index(CodeTerms("b/samen", keywords=("samenwerking",)), CodeTerms("b/jeugd", keywords=("jeugdhulp",)),
                CodeTerms("b/sfeer", keywords=("sfeer",)))
    found = {s.code: s.matched[0] for s in first(idx, "De samenwerkingsafspraken met jeugdhulpverleners en de klassfeer.")}
    assert (found["b/samen"].term, found["b/samen"].how) == ("samenwerkingsafspraken", "compound")
    assert (found["b/jeugd"].term, found["b/jeugd"].how) == ("jeugdhulpverleners", "compound")
    assert (found["b/sfeer"].term, found["b/sfeer"].how) == ("klassfeer", "compound")
    assert first(idx, "samenwerking")[0].matched[0].how == "exact"
    short = index(CodeTerms("b/boos", keywords=("boos",)))  # a 4-letter part is never looked for inside words
    assert first(short, "De boosheid was groot.") == []


def test_words_joined_by_a_slash_match_apart():
    idx = index(CodeTerms("b/roles", keywords=("leraren", "juf")), CodeTerms("b/net", keywords=("netwerk",)))
    found = {s.code: [m.term for m in s.matched] for s in first(idx, "Twee leraren/juffen, het gezin/netwerk.")}
    assert found == {"b/roles": ["leraren", "juffen"], "b/net": ["netwerk"]}


def test_phrases_match_on_lemma_and_form():
    idx = index(CodeTerms("b/nodig", phrases=("we hebben elkaar nodig",)), CodeTerms("b/tien", phrases=("tot tien tellen",)))
    found = first(idx, "Ja, we hebben elkaar echt nodig. We hebben elkaar nodig!")
    assert [(s.code, [m.term for m in s.matched]) for s in found] == [("b/nodig", ["We hebben elkaar nodig"])]
    assert first(idx, "Toen telde ik tot tien.") == []  # word order matters in a phrase


def test_excluded_terms_suppress_a_code():
    idx = index(CodeTerms("b/x", keywords=("beter",), exclude=("beter kennen",)))
    assert first(idx, "Het kan beter.")
    assert first(idx, "We kennen elkaar nu beter kennen we elkaar.") == []


def test_fuzzy_catches_typos_but_never_short_words():
    idx = index(CodeTerms("b/x", keywords=("samenwerking", "boos", "klas")))
    (s,) = first(idx, "De samenwerkking loopt goed.")
    assert s.matched[0].how == "fuzzy" and s.matched[0].keyword == "samenwerking"
    assert first(idx, "De boot lag in de klap.") == []  # boos~boot, klas~klap: too short to fuzz
    strict = index(CodeTerms("b/x", keywords=("samenwerking",)), settings=Settings(fuzzy_threshold=99.0))
    assert first(strict, "De samenwerkking loopt goed.") == []


def test_thresholds_come_from_the_config(tmp_path, monkeypatch):
    config = tmp_path / "jhs-qual" / "config.toml"
    config.parent.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    book = ["--codebook", str(CODEBOOK_FILES[0])]
    typo = "De samenwerkking loopt goed.\n"
    assert "(fuzzy)" in CliRunner().invoke(cli, ["suggest-text", *book], input=typo).output
    config.write_text('coder = "anna"\n\n[suggest]\nfuzzy_threshold = 99\n', encoding="utf-8")
    assert "(fuzzy)" not in CliRunner().invoke(cli, ["suggest-text", *book], input=typo).output
    from jhs_qual.config import Config

    loaded = Config.load(config)
    assert loaded.suggest == Settings(fuzzy_threshold=99.0)
    loaded.save()
    assert Config.load(config).suggest == Settings(fuzzy_threshold=99.0)  # kept when the config is saved


@pytest.mark.parametrize("table, message", [
    ("fuzzy_treshold = 90", "suggest.fuzzy_treshold: unknown setting 'fuzzy_treshold'; did you mean 'fuzzy_threshold'?"),
    ("fuzzy_threshold = 120", "suggest.fuzzy_threshold: fuzzy_threshold must be a number from 50 to 100"),
    ("fuzzy_min_length = 6.5", "suggest.fuzzy_min_length: fuzzy_min_length must be a whole number from 3 to 30"),
    ("learned_strength = true", "suggest.learned_strength: learned_strength must be a number from 0.0 to 1.0"),
])
def test_bad_thresholds_are_named(tmp_path, monkeypatch, table, message):
    config = tmp_path / "jhs-qual" / "config.toml"
    config.parent.mkdir()
    config.write_text(f"[suggest]\n{table}\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["suggest-text", "--codebook", str(CODEBOOK_FILES[0])], input="klas\n")
    assert result.exit_code == 2 and f"{config}: {message}" in result.output


def test_scores_rank_more_and_longer_evidence_higher():
    idx = index(CodeTerms("b/a", keywords=("afstemmen", "rolverdeling"), phrases=("we hebben elkaar nodig",)),
                CodeTerms("b/b", keywords=("afstemmen",)))
    (a, b) = first(idx, "We hebben elkaar nodig: afstemmen en een duidelijke rolverdeling.")
    assert (a.code, b.code) == ("b/a", "b/b") and 0 < b.score < a.score < 1


def test_shipped_codebook_examples_rank_their_own_code():
    """Each code's invented example, against the codebooks of its own interviews:
    its code is among the first three for every example, first for most."""
    books = {p.stem: load_codebook(p) for p in CODEBOOK_FILES}
    groups = [[books["bronstein"], books["professional_topics"]], [books["pupil_topics"]]]
    ranks = []
    for group in groups:
        suggester = Suggester(sources_from_codebooks(group))
        for book in group:
            for code in book.codes:
                (found,) = suggester.suggest([code.example], top=3)
                ranks.append([s.code for s in found].index(f"{book.id}/{code.id}") if
                             f"{book.id}/{code.id}" in [s.code for s in found] else 99)
    assert all(r < 3 for r in ranks)
    assert sum(r == 0 for r in ranks) >= 13


def test_a_batch_gives_what_each_text_gives_alone():
    """Texts are tokenized a few at a time joined into one document, and matched
    as one batch: spans, scores and matches are those of each text on its own,
    whatever whitespace, emptiness or length the texts have."""
    suggester = Suggester(sources_from_codebooks([load_codebook(p) for p in CODEBOOK_FILES[:2]]))
    turns = [t for t in (SAMPLES / "po_leraar_de_linde.txt").read_text(encoding="utf-8").split("\n\n") if t.strip()]
    texts = turns[:40] + ["", "  ", "samenwerking\nmet de\tjeugdhulp  ", "\n\nwe hebben elkaar nodig\n", "één 😀 afstemmen"]
    batch = suggester.suggest(texts, top=5)
    assert len(batch) == len(texts)
    assert [batch[i] for i in range(len(texts))] == [suggester.suggest([t], top=5)[0] for t in texts]
    for text, found in zip(texts, batch):
        assert all(text[m.start:m.end] == m.term and m.term for s in found for m in s.matched)
    assert batch[-2] and batch[-2][0].matched[0].term == "we hebben elkaar nodig"


def test_threads_asking_at_once_get_what_one_at_a_time_gets():
    """The workbench asks from worker threads; new word forms grow the index meanwhile."""
    from concurrent.futures import ThreadPoolExecutor

    books = [load_codebook(p) for p in CODEBOOK_FILES[:2]]
    turns = [t for t in (SAMPLES / "so_jeugdhulpverlener_de_horizon.txt").read_text(encoding="utf-8").split("\n\n")
             if t.strip()]
    expected = [Suggester(sources_from_codebooks(books)).suggest([t], calibrated=False)[0] for t in turns]
    fresh = KeywordIndex([t for source in sources_from_codebooks(books) for t in source.codes], load_pipeline("nl"))
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda t: fresh.suggest([t])[0], turns)) == expected


def test_json_is_the_suggestions_as_json():
    suggester = Suggester(sources_from_codebooks([load_codebook(CODEBOOK_FILES[0])]))
    texts = ["We stemmen af met de jeugdhulpverlener over \"de rolverdeling\".", "niets", "Samenwerkingsafspraken"]
    found = suggester.suggest(texts, top=2)
    for i, (text, line) in enumerate(zip(texts, found.json(offsets=[100, 0, 7]))):
        offset = [100, 0, 7][i]
        assert json.loads(line) == [
            {"code": s.code, "score": round(s.score, 4), "rank": s.rank, "matched": [
                {"term": m.term, "keyword": m.keyword, "how": m.how, "strength": round(m.strength, 3),
                 "start": m.start + offset, "end": m.end + offset} for m in s.matched]}
            for s in found[i]]


def test_batches_shared_by_two_processes_come_out_in_order():
    """suggest-text's output: the first batch here, the rest by two forked workers
    (where there are two cores), in input order, the same bytes as one by one."""
    from jhs_qual.suggest.service import batch_lines, output_lines

    suggester = Suggester(sources_from_codebooks([load_codebook(CODEBOOK_FILES[2])]))
    turns = [t for t in (SAMPLES / "po_leerlingen_groep6_de_linde.txt").read_text(encoding="utf-8").split("\n") if t.strip()]
    options = {"top": 2, "min_score": 0.2, "as_json": True}
    expected = b"".join(batch_lines(suggester, [turn], **options).encode() for turn in turns)
    assert b"".join(output_lines(suggester, iter(turns), first=3, size=7, **options)) == expected
    assert len(expected.splitlines()) == len(turns) and b"sel_individual" in expected
    assert list(output_lines(suggester, iter([]), **options)) == []


def test_codes_of_two_languages_rank_together():
    nl = CodeTerms("b/samen", keywords=("samenwerking",))
    en = CodeTerms("e/cooperation", keywords=("cooperation", "together"))
    from jhs_qual.suggest.service import CodeSource

    suggester = Suggester([CodeSource("nl", "a", (nl,)), CodeSource("en", "b", (en,))])
    (found,) = suggester.suggest(["Samenwerking: working together, in cooperation."])
    assert [s.code for s in found] == ["e/cooperation", "b/samen"]  # two English keywords outscore one Dutch
    assert suggester.suggest(["Samenwerking"], top=1)[0][0].code == "b/samen"


def test_a_function_word_is_weak_evidence():
    """'ons' is a keyword of collective ownership, but alone it says little: it
    counts half (stop_word_strength), so a content word outranks it."""
    idx = index(CodeTerms("b/own", keywords=("ons",)), CodeTerms("b/flex", keywords=("mening",)))
    (flex, own) = first(idx, "Wij respecteren de mening van ieder van ons.")
    assert (flex.code, own.code) == ("b/flex", "b/own") and own.matched[0].strength == 0.5
    plain = index(CodeTerms("b/own", keywords=("ons",)), settings=Settings(stop_word_strength=1.0))
    assert first(plain, "van ons")[0].matched[0].strength == 1.0


def test_one_word_counts_once_for_keywords_with_the_same_lemma():
    """'groep' is the keyword 'groep' and the lemma of the keyword 'groepjes': one piece of evidence."""
    idx = index(CodeTerms("b/g", keywords=("groep", "groepjes")), CodeTerms("b/h", keywords=("groep",)))
    (g, h) = first(idx, "In de groep.")
    assert [m.keyword for m in g.matched] == ["groep"] and g.score == h.score
    (g, _) = first(idx, "In groepjes.")
    assert [(m.keyword, m.how) for m in g.matched] == [("groepjes", "exact")]


def test_log_odds_finds_the_distinctive_word():
    from collections import Counter

    in_code = Counter({"afstemmen": 30, "school": 20})
    rest = Counter({"afstemmen": 2, "school": 80, "klas": 60})
    z = log_odds(in_code, rest)
    assert z["afstemmen"] > 1.96 > z["school"]


def test_evaluate_counts():
    result = evaluate([[("a", 0.9), ("b", 0.5)], [("b", 0.8)], [("a", 0.1)]], [{"a"}, {"a"}, set()], min_score=0.3)
    assert result.per_code["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert result.per_code["b"]["precision"] == 0.0
    assert (result.top1, result.top3, result.units) == (0.5, 0.5, 2)


# --- commands --------------------------------------------------------------------------------

def test_suggest_text_json_lines():
    lines = "Ik werd boos en toen ging ik tot tien tellen.\nNiets om te coderen hier.\n"
    result = CliRunner().invoke(cli, ["suggest-text", "--codebook", str(CODEBOOK_FILES[2]), "--top", "2", "--json"],
                                input=lines)
    assert result.exit_code == 0, result.output
    first_line, second = [json.loads(line) for line in result.output.splitlines()]
    assert first_line["text"] == "Ik werd boos en toen ging ik tot tien tellen."
    top = first_line["suggestions"][0]
    assert top["code"] == "pupil_topics/sel_individual" and 0 < top["score"] <= 1
    assert {"term": "boos", "keyword": "boos", "how": "exact"}.items() <= top["matched"][0].items()
    assert second["suggestions"] == []


@pytest.fixture
def coded(run):
    assert run("import", str(SAMPLES / "po_leraar_de_linde.txt")).exit_code == 0
    for turn in (36, 38, 42, 44, 56, 58):
        run("code", "add", "po_leraar_de_linde", "interdependence", "--turn", str(turn), "--coder", "anna")
    return run


def test_suggest_command(coded):
    result = coded("suggest", "po_leraar_de_linde", "--codebook", "bronstein", "--codebook", "professional_topics")
    assert result.exit_code == 0, result.output
    assert "turn 36 Leraar" in result.output and "bronstein/interdependence" in result.output
    assert "pupil_topics" not in result.output
    rows = [json.loads(line) for line in coded("suggest", "po_leraar_de_linde", "--json", "--unit", "sentence").output.splitlines()]
    assert all(r["end"] > r["start"] for r in rows) and len(rows) > 37  # sentences outnumber turns


def test_suggest_evaluate(coded):
    result = coded("suggest", "--evaluate", "--coder", "anna", "--codebook", "bronstein")
    assert result.exit_code == 0, result.output
    assert "overall (micro)" in result.output and "bronstein/interdependence" in result.output
    data = json.loads(coded("suggest", "--evaluate", "--coder", "anna", "--json").output)
    assert data["units_coded"] == 6 and 0 <= data["top3"] <= 1


def test_autocode_replaces_its_own_run_and_refuses_a_human(coded):
    result = coded("autocode", "--coder", "auto", "--min-score", "0.5", "--codebook", "bronstein")
    assert result.exit_code == 0, result.output
    with Project.open(coded.project_path) as project:
        first_run = [(c.code, c.start) for c in project.codings(["auto"])]
        origins = {r[0] for r in project.db.execute("SELECT origin FROM codings c JOIN coders d ON d.id = c.coder_id WHERE d.name = 'auto'")}
    assert first_run and origins == {"auto"}
    coded("autocode", "--coder", "auto", "--min-score", "0.9", "--codebook", "bronstein")
    with Project.open(coded.project_path) as project:
        assert len(project.codings(["auto"])) < len(first_run)  # replaced, not added to
    refused = coded("autocode", "--coder", "anna")
    assert refused.exit_code == 2 and "coder 'anna' has 6 coding(s) made by hand" in refused.output


def test_keywords_learn_accept_and_write_keeping_comments(coded, tmp_path):
    book = tmp_path / "bronstein.yaml"
    book.write_text(CODEBOOK_FILES[0].read_text(encoding="utf-8"), encoding="utf-8")
    strict = coded("keywords", "learn", "interdependence", "--coder", "anna")
    args = ["keywords", "learn", "interdependence", "--coder", "anna", "--min-count", "1", "--top", "5", "--min-z", "0"]
    listing = coded(*args)
    assert listing.exit_code == 0, listing.output
    # six segments: only 'leren' (3 times in them, once elsewhere) is significant at z >= 1.96
    assert strict.output.startswith("1 candidate") and listing.output.startswith("5 candidates")
    candidate = listing.output.splitlines()[3].split()[0]
    result = coded(*args, "--accept", candidate, "--add-to", str(book))
    assert result.exit_code == 0, result.output
    assert "accepted 1 new term" in result.output and "updated bronstein" in result.output
    text = book.read_text(encoding="utf-8")
    assert text.startswith("# Bronstein's (2003) mechanisms")  # comments kept
    assert f"      - {candidate}\n" in text
    assert load_codebook(book).code("interdependence").keywords[-1] == candidate
    bad = coded(*args, "--accept", "zzz")
    assert bad.exit_code == 2 and "not among the candidates: zzz" in bad.output
    used = coded("suggest", "po_leraar_de_linde", "--use-learned", "--json")
    assert used.exit_code == 0


def test_suggest_bad_input(coded):
    assert "--evaluate needs --coder" in coded("suggest", "--evaluate").output
    assert "no codebook 'nope'" in coded("suggest", "po_leraar_de_linde", "--codebook", "nope").output
    assert "name a TRANSCRIPT" in coded("suggest").output


@pytest.mark.parametrize("path", CODEBOOK_FILES, ids=lambda p: p.stem)
def test_editing_a_codebook_keeps_it_byte_for_byte(path, tmp_path):
    """Adding a keyword it already has changes nothing: comments, order, quotes and indentation stay."""
    from jhs_qual.codebook.edit import add_keywords

    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    book = load_codebook(copy)
    assert add_keywords(copy, book.id, book.codes[0].id, [book.codes[0].keywords[0].upper()]) == 0
    assert copy.read_bytes() == path.read_bytes()


def test_ties_share_a_rank_and_are_not_ordered_by_name():
    """Equal scores are reported as equal ranks (the issue measured a third of answers tied,
    then broken alphabetically)."""
    suggester = Suggester(sources_from_codebooks([load_codebook(CODEBOOK_FILES[0])]))
    (found,) = suggester.suggest(["Samen de lessen en de klas"], top=5)
    tied = [s for s in found if s.score == found[0].score]
    assert len(tied) >= 2 and {s.rank for s in tied} == {1}
    assert all(s.rank == 1 + sum(t.score > s.score for t in found) for s in found)
