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
