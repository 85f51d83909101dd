"""`jhs-qual suggest` in a project learns from its codings (issue: suggestions that learn).

Fixture data written for this test: answers of two interview groups, one answer
per transcript (as a project of answers cut out of group interviews would be),
about things no keyword of the codebooks names. Fifteen per group are coded
with `jhs-qual code add`; the rest must be ranked by what those codings teach."""

from __future__ import annotations

import json

PUPILS = [  # (answer, code): a tent used as a quiet corner is the lessons; the playground fights the group
    ("We hebben een tent gebouwd met kussens.", "intervention"),
    ("In de tent mag je zitten met een dekentje.", "intervention"),
    ("De tent staat achter in het lokaal.", "intervention"),
    ("Ik zat in de tent met een knuffel.", "intervention"),
    ("Die tent was van stof en stokken.", "intervention"),
    ("We versierden de tent met sterren.", "intervention"),
    ("In de tent lagen kussens en een lampje.", "intervention"),
    ("De tent hebben we zelf opgezet.", "intervention"),
    ("Op het plein waren er altijd knokpartijen.", "sel_group"),
    ("Bij het plein duwden jongens elkaar omver.", "sel_group"),
    ("Op het plein is het nu minder knokken.", "sel_group"),
    ("Het plein was vroeger een slagveld.", "sel_group"),
    ("Op het plein spelen we nu met zijn allen.", "sel_group"),
    ("Bij het plein kiest niemand meer partij.", "sel_group"),
    ("Op het plein knokken alleen de groep zevens nog.", "sel_group"),
    # not coded: the rest
    ("Een tent met kussens vond ik het fijnst.", "intervention"),
    ("Het plein is rustiger, minder knokpartijen.", "sel_group"),
    ("De tent had een lampje.", "intervention"),
    ("Op het plein duwt niemand meer.", "sel_group"),
]
STAFF = [
    ("We wisselen elke maand de rollen: dan draai ik de kring.", "flexibility"),
    ("Soms draai ik de kring en zij de administratie.", "flexibility"),
    ("Ik geef de kring uit handen als zij dat wil.", "flexibility"),
    ("De kring draaien we om en om.", "flexibility"),
    ("Wie de kring draait, wisselen we.", "flexibility"),
    ("Ik liet de kring aan haar, dat was wennen.", "flexibility"),
    ("Zij draaide de kring, ik keek mee.", "flexibility"),
    ("Het rooster van de kring wisselen we.", "flexibility"),
    ("Elke vrijdag schrijven we in het logboek hoe het ging tussen ons.", "process_reflection"),
    ("In het logboek noteren we wat we van elkaar vonden.", "process_reflection"),
    ("Het logboek lezen we samen terug.", "process_reflection"),
    ("Ons logboek gaat over onze samenwerking.", "process_reflection"),
    ("We vullen het logboek in na de les.", "process_reflection"),
    ("Het logboek laat zien waar we botsten.", "process_reflection"),
    ("Na elk blok pakken we het logboek erbij.", "process_reflection"),
    ("De kring draaien we nu om beurten.", "flexibility"),
    ("Het logboek hielp ons om eerlijk te zijn.", "process_reflection"),
    ("Ik geef de kring vaker aan haar.", "flexibility"),
    ("Het logboek bespreken we met de ib'er.", "process_reflection"),
]


def write_answers(folder, group, rows, role, label):
    names = []
    for i, (answer, _) in enumerate(rows):
        name = f"{group}_{i:02d}"
        (folder / f"{name}.txt").write_text(f"---\nrole: {role}\n---\nInterviewer: Vertel eens?\n{label}: {answer}\n",
                                            encoding="utf-8")
        names.append(name)
    return names


def top_codes(run, names, *args):
    tops = {}
    for name in names:
        (line,) = [json.loads(x) for x in run("suggest", name, "--json", "--min-score", "0", *args).output.splitlines()]
        tops[name] = line["suggestions"]
    return tops


def test_suggest_ranks_the_rest_by_the_codings(run, tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    groups = [(write_answers(folder, "pupil", PUPILS, "leerling", "Leerling"), PUPILS),
              (write_answers(folder, "staff", STAFF, "leraar", "Leraar"), STAFF)]
    assert run("import", str(folder)).exit_code == 0
    for names, rows in groups:
        for name, (_, code) in list(zip(names, rows))[:15]:
            assert run("code", "add", name, code, "--turn", "2", "--coder", "anna").exit_code == 0
    for names, rows in groups:
        rest = list(zip(names, rows))[15:]
        learned = top_codes(run, [n for n, _ in rest], "--coder", "anna")
        before = top_codes(run, [n for n, _ in rest], "--no-learning", "--no-semantic")
        right = sum(learned[n][0]["code"].endswith("/" + code) for n, (_, code) in rest)
        right_before = sum(bool(before[n]) and before[n][0]["code"].endswith("/" + code) for n, (_, code) in rest)
        assert right == len(rest) and right_before < len(rest)
        assert all(learned[n][0]["learned"] >= 1 for n, _ in rest)  # and it says so


def test_learn_from_one_coder_and_the_curve(run, tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    names = write_answers(folder, "staff", STAFF, "leraar", "Leraar")
    assert run("import", str(folder)).exit_code == 0
    for name, (_, code) in zip(names, STAFF):
        run("code", "add", name, code, "--turn", "2", "--coder", "ben")
    bad = run("suggest", names[0], "--coder", "nobody")
    assert bad.exit_code == 2 and "--coder" in bad.output
    report = json.loads(run("suggest", "--evaluate", "--coder", "ben", "--json").output)
    curve = {row["n"]: row for row in report["learning_curve"]}
    assert set(curve) == {0, 5, 10, 15}
    assert curve[15]["top1"] > curve[0]["top1"] and curve[15]["top1"] > curve[15]["random_top1"]
