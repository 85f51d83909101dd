"""A coder's work is theirs: a consensus goes only into a coder of its own."""

from __future__ import annotations

from pathlib import Path

from jhs_qual.store import Project

SAMPLES = Path(__file__).resolve().parent.parent / "transcripts_sample"
NAME = "so_jeugdhulpverlener_de_horizon"


def _coded(run, coder, codes):
    for turn, code in codes.items():
        assert run("code", "add", NAME, code, "--turn", str(turn), "--coder", coder).exit_code == 0


def test_a_consensus_never_writes_into_a_coder_who_codes_by_hand(run):
    assert run("import", str(SAMPLES / f"{NAME}.txt"), "--attributes", str(SAMPLES / "attributes.csv")).exit_code == 0
    _coded(run, "anna", {4: "new_activities", 6: "pupil_sel", 8: "interdependence"})
    _coded(run, "ben", {4: "new_activities", 6: "pupil_sel", 8: "flexibility"})
    _coded(run, "carla", {10: "flexibility"})
    with Project.open(run.project_path) as project:
        before = len(project.codings(["carla"]))
    refused = run("consensus", "--coders", "anna", "ben", "--into", "carla")
    assert refused.exit_code == 2 and "coder of its own" in refused.output and "--into" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    with Project.open(run.project_path) as project:
        assert len(project.codings(["carla"])) == before
    assert run("consensus", "--coders", "anna", "ben", "--into", "agreed").exit_code == 0
    assert run("consensus", "--coders", "anna", "ben", "--into", "agreed").exit_code == 0  # refreshed, same pair
    other_pair = run("consensus", "--coders", "anna", "carla", "--into", "agreed")
    assert other_pair.exit_code == 2 and "was started for anna and ben" in other_pair.output
    with Project.open(run.project_path) as project:
        assert len(project.codings(["agreed"])) == 2  # the two agreed codings, nothing of carla's


def test_compare_counts_only_what_both_coders_reached(run):
    """B coded turns 2-6, A coded 2-16: no disagreement past turn 6 until B marks the
    transcript finished; compare says what it left out; --all-units counts everything."""
    import json

    assert run("import", str(SAMPLES / f"{NAME}.txt"), "--attributes", str(SAMPLES / "attributes.csv")).exit_code == 0
    _coded(run, "anna", {t: "flexibility" for t in range(2, 17, 2)})
    _coded(run, "bea", {t: "flexibility" for t in range(2, 7, 2)})
    shared = run("disagreements", "--coders", "anna", "bea")
    assert shared.exit_code == 0 and shared.output.startswith("0 units where anna and bea differ")
    assert "not every coder reached left out" in shared.output
    both = json.loads(run("compare", "--coders", "anna", "bea", "--format", "json").output)
    assert both["overall"]["units"] == 3 and both["overall"]["percent"] == 1.0  # answers 2, 4, 6: read by both
    assert both["unreached_turns_left_out"] > 0
    every = json.loads(run("compare", "--coders", "anna", "bea", "--format", "json", "--all-units").output)
    assert every["overall"]["units"] > both["overall"]["units"] and every["overall"]["percent"] < 1.0
    assert every["unreached_turns_left_out"] is None
    assert run("transcripts", "done", NAME, "--coder", "bea").exit_code == 0
    assert "bea 3/31 finished" in run("transcripts").output
    after = run("disagreements", "--coders", "anna", "bea", "--json")
    assert {json.loads(line)["turn"] for line in after.output.splitlines()} == {8, 10, 12, 14, 16}
    assert run("transcripts", "done", NAME, "--coder", "bea", "--undo").exit_code == 0
    assert run("disagreements", "--coders", "anna", "bea", "--json").output == ""
    built = run("consensus", "--coders", "anna", "bea", "--into", "agreed")
    assert "0 new items" in built.output and "3 agreed codings" in built.output


def test_a_removed_transcript_is_kept_aside_and_comes_back_whole(run):
    assert run("import", str(SAMPLES / f"{NAME}.txt"), "--attributes", str(SAMPLES / "attributes.csv")).exit_code == 0
    _coded(run, "anna", {4: "new_activities", 6: "pupil_sel"})
    assert run("transcripts", "done", NAME, "--coder", "anna").exit_code == 0
    refused = run("transcripts", "remove", NAME)
    assert refused.exit_code == 2 and "--with-codings" in refused.output
    removed = run("transcripts", "remove", NAME, "--with-codings")
    assert removed.exit_code == 0 and "kept aside" in removed.output
    assert "kept aside after removal: " + NAME in run("transcripts").output  # the list is empty otherwise
    assert run("check").exit_code == 0
    assert run("transcripts", "restore", NAME).exit_code == 0
    with Project.open(run.project_path) as project:
        tid = project.transcript(NAME)["id"]
        assert len(project.codings(["anna"])) == 2 and project.reached("anna")[tid][1]
        assert project.search_turns("boosheid") and not project.trashed()
    assert run("check").exit_code == 0
    again = run("transcripts", "restore", NAME)
    assert again.exit_code == 2 and "nothing is kept aside" in again.output
    run("transcripts", "remove", NAME, "--with-codings")
    bad = run("transcripts", "purge")
    assert bad.exit_code == 2 and "--all" in bad.output
    assert "forgot 1 removed transcript" in run("transcripts", "purge", "--all").output
    assert run("transcripts", "restore", NAME).exit_code == 2
