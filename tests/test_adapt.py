"""Suggestions that read the question and learn from the codings (suggest/adapt.py)."""

from __future__ import annotations

from jhs_qual.config import Config
from jhs_qual.store import Project
from jhs_qual.suggest.adapt import Learner, code_document, fuse
from jhs_qual.suggest.service import learning_examples
from jhs_qual.tui.app import JhsApp
from jhs_qual.tui.widgets.transcript import TranscriptView
from tests.conftest import SAMPLES


def words(text: str) -> list[str]:
    return [w.strip(".,!?").lower() for w in text.split() if len(w.strip(".,!?")) > 1]


def test_learner_prior_learning_and_forgetting():
    learner = Learner({"b/fun": "leuk spel plezier", "b/hard": "moeilijk lastig saai"}, words)
    assert learner.posterior("leuk", ["b/fun", "b/hard"])["b/fun"] > 0.5  # the codebook as prior
    assert learner.learned(["b/fun", "b/hard"]) == 0
    learner.sync({1: ("b/hard", "de kring duurde lang"), 2: ("b/hard", "lang stilzitten in de kring")})
    assert learner.learned(["b/fun", "b/hard"]) == 2
    assert learner.posterior("weer die kring", ["b/fun", "b/hard"])["b/hard"] > 0.8
    learner.sync({1: ("b/hard", None)})  # 2 was removed (undone): forgotten; 1 is known, not read again
    assert learner.units["b/hard"] == 1 and learner.known == {1}


def test_fuse_weights_learning_by_what_was_coded():
    keyword = {"a": 0.6, "b": 0.5, "c": 0.0}
    alone = fuse(keyword, {}, 0, list(keyword))
    assert max(alone, key=alone.get) == "a"
    learned = {"a": 0.05, "b": 0.9, "c": 0.05}
    few = fuse(keyword, learned, 2, list(keyword))
    many = fuse(keyword, learned, 60, list(keyword))
    assert max(few, key=few.get) == "a" and max(many, key=many.get) == "b"


def test_code_document_holds_what_the_codebook_says():
    doc = code_document({"label_nl": "Flexibiliteit", "definition": "loslaten", "keywords": ["compromis"],
                         "phrases": ["een stapje terug"], "example": "", "use_when": ""})
    assert "Flexibiliteit" in doc and "compromis" in doc and "stapje terug" in doc


def test_examples_carry_the_question(run):
    assert run("import", str(SAMPLES / "so_leerlingen_de_horizon.srt"),
               "--attributes", str(SAMPLES / "attributes.csv")).exit_code == 0
    run("code", "add", "so_leerlingen_de_horizon", "intervention", "--turn", "13", "--coder", "anna")
    with Project.open(run.project_path) as project:
        (code, text), = learning_examples(project, "anna").values()
    assert code == "pupil_topics/intervention"
    assert text.startswith("Leuk.") and "Wat vonden jullie van de lessen?" in text


CAMPFIRE = """---
role: leerling
---
Interviewer: Wat deden jullie op het schoolkamp?
Leerling 1: Kampvuur met marshmallows.
Interviewer: En verder?
Leerling 2: Marshmallows roosteren bij het kampvuur.
Interviewer: Nog meer?
Leerling 3: Het kampvuur en de marshmallows.
Interviewer: En jij?
Leerling 4: Bij het kampvuur marshmallows eten.
"""


async def test_the_workbench_learns_as_you_code_and_says_so(run, tmp_path):
    """With the real engine: answers about something no keyword knows, coded by key, make
    the next such answer suggest that code, explained as learned, without a restart."""
    file = tmp_path / "kamp.txt"
    file.write_text(CAMPFIRE, encoding="utf-8")
    assert run("import", str(file)).exit_code == 0
    with Project.open(run.project_path) as project:
        tid = project.transcript("kamp")["id"]
    app = JhsApp(Project.open(run.project_path), coder="anna", config=Config(path=tmp_path / "c.toml"),
                 open_transcript=(tid, None))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        view = screen.query_one(TranscriptView)
        screen._ready()
        assert "pupil_topics/contact_parents" not in [s.code for s in screen.suggestions]
        for _ in range(3):
            screen._ready()
            await pilot.press("O")  # contact_parents, then the next answer
        assert view.cursor == 7
        screen._ready()
        learned = {s.code: s for s in screen.suggestions}
        assert "pupil_topics/contact_parents" in [s.code for s in screen.suggestions[:3]]
        assert "like 3 coded turns" in learned["pupil_topics/contact_parents"].evidence()


def test_learning_and_encoder_settings(tmp_path):
    from jhs_qual.errors import BadInput

    path = tmp_path / "config.toml"
    path.write_text('[suggest]\nlearn = false\nencoder = "none"\n', encoding="utf-8")
    config = Config.load(path)
    assert config.suggest.learn is False and config.suggest.encoder == "none"
    config.save()
    assert Config.load(path).suggest == config.suggest
    path.write_text('[suggest]\nlearn = "no"\n', encoding="utf-8")
    import pytest

    with pytest.raises(BadInput, match="learn must be true or false"):
        Config.load(path)
