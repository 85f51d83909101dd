"""Dutch inflections the lookup table lacks: candidate base forms of a word.

spaCy's Dutch lookup table has no entry for many plurals and diminutives
("leraren", "groepjes", "spelletjes"). These rules undo the regular ones:
plural -en (with the spelling changes: leraren -> leraar, juffen -> juf,
brieven -> brief, huizen -> huis), plural -s and -'s, diminutives -je, -tje,
-pje, -etje and their plurals, and the adjective -e. A candidate only counts
when it is a keyword (or a keyword's lemma), so the rules may overreach without
making up matches.
"""

from __future__ import annotations

VOWELS = set("aeiou")


def _open_syllable(stem: str) -> list[str]:
    """After -en is taken off: 'juff' -> 'juf', 'lerar' -> 'leraar', 'briev' -> 'brief'."""
    found = [stem]
    if len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] not in VOWELS:
        found.append(stem[:-1])  # juffen -> juf, klassen -> klas
    if len(stem) >= 3 and stem[-1] not in VOWELS and stem[-2] in VOWELS and stem[-3] not in VOWELS:
        found.append(stem[:-1] + stem[-2] + stem[-1])  # leraren -> leraar, taken -> taak
    found += [s[:-1] + {"v": "f", "z": "s"}[s[-1]] for s in list(found) if s[-1:] in ("v", "z")]
    return found


def base_forms(word: str) -> list[str]:
    """Candidate base forms of a lower-case Dutch word; [] for short words."""
    if len(word) < 4 or not word.replace("'", "").isalpha():
        return []
    found: list[str] = []
    diminutive = False
    for ending in ("etjes", "tjes", "pjes", "jes", "etje", "tje", "pje", "je"):  # groepjes, boompje, balletje
        stem = word[:-len(ending)]
        if word.endswith(ending) and len(stem) >= 2:
            diminutive = True
            found.append(stem)
            if ending.startswith("e") and len(stem) >= 2 and stem[-1] == stem[-2]:
                found.append(stem[:-1])  # balletje -> bal
    if word.endswith("'s"):
        found.append(word[:-2])  # collega's
    elif word.endswith("eren") and len(word) >= 7:
        found.append(word[:-4])  # kinderen -> kind
    if word.endswith("en") and len(word) >= 5 and not diminutive:
        found += _open_syllable(word[:-2])
    elif word.endswith("s") and not word.endswith("'s") and len(word) >= 5 and not diminutive:
        found.append(word[:-1])  # mentors, regels
    if word.endswith("e") and len(word) >= 5 and not diminutive:
        found += _open_syllable(word[:-1])  # moeilijke -> moeilijk, grote -> groot
    return list(dict.fromkeys(f for f in found if f != word and len(f) >= 2))
