"""The workbench's keymap, in one place: every binding of every screen and dialog, with its id,
default keys and meaning (SCREENS: what is in force on each).

The TUI builds its bindings from this table, and the codebook checker reads
it to refuse a code shortcut that a workbench key already takes (also after
the user remaps keys in the config's [keys] table). Keys are written as
Textual names ("ctrl+r", "enter") or as the printable character itself ("u",
"!", "["); `binding_keys` turns them into what Textual expects. Light on
purpose: no Textual import, so `codebook check` stays fast.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple


class Key(NamedTuple):
    id: str
    keys: str  # comma-separated
    description: str
    show: bool = False  # in the footer


APP = (
    Key("quit", "ctrl+q", "Quit"),
    Key("project_screen", "f2", "Transcripts", True),
    Key("quotes_screen", "f3", "Quotes", True),
    Key("summary_screen", "f4", "Summary", True),
    Key("compare_screen", "f5", "Compare", True),
    Key("memos_screen", "f6", "Memos", True),
    Key("help", "?", "Keys", True),
    Key("toggle_theme", "ctrl+t", "Light/dark"),
)

CODING = (
    Key("accept_suggestion", "enter", "Accept", True),
    Key("accept_1", "!", "Accept 1st suggestion"),
    Key("accept_2", "@", "Accept 2nd suggestion"),
    Key("accept_3", "#", "Accept 3rd suggestion"),
    Key("reject_suggestion", "x", "Reject suggestion"),
    Key("next_uncoded", "space", "Uncoded", True),
    Key("toggle_interviewers", "t", "Interviewer turns on/off"),
    Key("undo", "u", "Undo"),
    Key("redo", "ctrl+r", "Redo"),
    Key("memo", "m", "Memo"),
    Key("remove_coding", "backspace,delete", "Remove coding"),
    Key("new_code", "+", "New code (in vivo from the words)"),
    Key("edit_code", "*", "Edit code: rename, define, move, merge"),
    Key("search", "/", "Search"),
    Key("toggle_definition", "i", "Definition"),
    Key("play_turn", "p", "Play the turn's recording (again: stop)"),
    Key("replay_turn", "P", "Play the turn again from its start"),
    Key("skip_back", "<", "Recording: back 5 seconds"),
    Key("slower", "-", "Recording: slower (0.75x, 0.5x, normal)"),
    Key("mark_finished", "f8", "Transcript finished: compare counts all of it (again: not)"),
    Key("back", "escape", "Back"),
)

TRANSCRIPT = (
    Key("next_turn", "down,j", "Next answer"),
    Key("previous_turn", "up,k", "Previous answer"),
    Key("extend_down", "shift+down", "Extend down"),
    Key("extend_up", "shift+up", "Extend up"),
    Key("page_down", "pagedown", "Page down"),
    Key("page_up", "pageup", "Page up"),
    Key("first_turn", "home", "First turn"),
    Key("last_turn", "end", "Last turn"),
    Key("select_sentence", "v", "Select sentence (again: next)"),
    Key("previous_sentence", "V", "Select the last sentence (again: the one before)"),
    Key("sentence_more", "]", "Selection: one sentence more"),
    Key("sentence_less", "[", "Selection: one sentence less"),
    Key("word_right", "right,ctrl+right", "Selection: one word more"),
    Key("word_left", "left,ctrl+left", "Selection: one word less"),
    Key("start_right", "shift+right", "Selection: start a word later"),
    Key("start_left", "shift+left", "Selection: start a word earlier"),
)

PROJECT = (
    Key("open_transcript", "enter", "Open", True),
    Key("filter", "f", "Filter", True),
    Key("clear_filter", "escape", "Clear filter"),
    Key("edit_attributes", "e", "Attributes", True),
    Key("rename_speaker", "s", "Rename speaker"),
    Key("remove_transcript", "delete", "Remove"),
    Key("undo_project", "u", "Undo"),
)

ROWS = (  # a long list drawn a screen at a time (tui/widgets/row_table.py): the transcript list; Enter is the screen's
    Key("row_down", "down,j", "Next row"),
    Key("row_up", "up,k", "Previous row"),
    Key("rows_page_down", "pagedown", "Page down"),
    Key("rows_page_up", "pageup", "Page up"),
    Key("first_row", "home", "First row"),
    Key("last_row", "end", "Last row"),
)

QUOTES = (
    Key("back", "escape", "Back", True),
    Key("choose_code", "c", "Code", True),
    Key("quote_coders", "a", "Coder: me / all / each", True),
    Key("quote_filter", "f", "Filter", True),
)

SUMMARY = (
    Key("back", "escape", "Back", True),
    Key("next_attribute", "right,n", "Next attribute", True),
    Key("previous_attribute", "left,p", "Previous attribute", True),
    Key("summary_coders", "a", "All coders / me", True),
    Key("measure", "t", "Codings / transcripts", True),
    Key("joint_display", "j", "Scales", True),  # the joint display: questionnaire scales beside the codes
)

COMPARE = (
    Key("back", "escape", "Back", True),
    Key("pick_coders", "p", "Coders", True),
    Key("take_a", "a", "Take A", True),
    Key("take_b", "b", "Take B", True),
    Key("take_both", "o", "Both", True),
    Key("take_neither", "n", "Neither", True),
    Key("build_consensus", "ctrl+b", "Build consensus", True),
)

MEMOS = (
    Key("back", "escape", "Back", True),
    Key("memo_coders", "a", "Mine / all coders", True),
    Key("edit_listed_memo", "e", "Edit", True),
)

DIALOG = (
    Key("cancel", "escape", "Cancel", True),
)

MEMO = (
    Key("save_memo", "ctrl+s", "Save", True),
    Key("cancel", "escape", "Cancel", True),
)

SEARCH = (
    Key("cancel", "escape", "Close", True),
    Key("to_results", "down", "Results"),
)

ALL = APP + CODING + TRANSCRIPT  # what is in force where codes are typed: a code's key may not be one of these
# Each screen (or dialog) with the bindings in force there: its own and the app's.
SCREENS = {"coding": APP + CODING + TRANSCRIPT, "transcripts": APP + PROJECT + ROWS, "quotes": APP + QUOTES,
           "summary": APP + SUMMARY, "compare": APP + COMPARE, "memos": APP + MEMOS, "dialog": DIALOG, "memo": MEMO, "search": SEARCH}

# Keys a browser keeps for itself: the page never sees them (Chrome, Firefox, Edge).
BROWSER_KEEPS = frozenset({
    "ctrl+t", "ctrl+w", "ctrl+n", "ctrl+shift+t", "ctrl+shift+w", "ctrl+shift+n", "ctrl+shift+q",
    "ctrl+tab", "ctrl+shift+tab", "ctrl+pageup", "ctrl+pagedown", "f11", "alt+f4",
})
# In the browser workbench (`serve`) these replace defaults that are in BROWSER_KEEPS.
IN_BROWSER = {"toggle_theme": "f9"}
_NAMES = {"space": " ", "at": "@", "plus": "+", "slash": "/", "minus": "-", "underscore": "_"}


def character(key: str) -> str | None:
    """The printable character a key name stands for ('u', 'exclamation_mark' -> '!'),
    or None for keys that type nothing ('ctrl+r', 'enter', 'f2')."""
    key = key.strip()
    if len(key) == 1:
        return key
    if key in _NAMES:
        return _NAMES[key]
    if "+" in key or key in ("enter", "escape", "tab", "backspace", "delete", "home", "end"):
        return None
    for name in (key, key + "_sign"):
        try:
            return unicodedata.lookup(name.replace("_", " ").upper())
        except KeyError:
            continue
    return None


def key_name(character: str) -> str:
    """A printable character's Textual key name ('!' -> 'exclamation_mark'), by Textual's own rule:
    its Unicode name, or Textual's name for a character that has none, through Textual's
    replacements (both public tables of `textual.keys`)."""
    from textual.keys import ASCII_KEY_NAMES, KEY_NAME_REPLACEMENTS

    try:
        key = unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        key = ASCII_KEY_NAMES.get(character, character)
    return KEY_NAME_REPLACEMENTS.get(key, key)


def binding_keys(keys: str) -> str:
    """Our comma-separated keys as Textual key names ('!' -> 'exclamation_mark')."""
    return ",".join(key_name(k) if len(k) == 1 and not k.isalnum() else k
                    for k in (part.strip() for part in keys.split(",")))


def ids() -> list[str]:
    """Every binding id of every screen and dialog."""
    return sorted({k.id for table in SCREENS.values() for k in table})


def check_remap(remap: dict[str, str], *, file=None) -> None:
    """The config's [keys]: every id one of ours, and no screen with one key for two things.
    One line naming the id (and the nearest one) or the clash, else nothing."""
    import difflib

    from jhs_qual.errors import BadInput

    known = ids()
    for binding_id in remap:
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, known, n=1)
            raise BadInput(f"'{binding_id}' is not a key binding id", file=file, field="keys",
                           hint=f"did you mean '{close[0]}'?" if close else "see the ids in 'jhs-qual tui --help'")
    for screen, table in SCREENS.items():
        holder: dict[str, str] = {}
        for binding_id, keys in effective(remap, table).items():
            for key in (k.strip() for k in keys.split(",")):
                if key in holder and holder[key] != binding_id:
                    raise BadInput(f"'{key}' would do two things in the {screen} screen: {holder[key]} and "
                                   f"{binding_id}", file=file, field="keys", hint="give one of them another key")
                holder[key] = binding_id


def effective(remap: dict[str, str] | None = None, table: tuple[Key, ...] = ALL) -> dict[str, str]:
    """binding id -> its keys in `table`, after the user's remapping (the config's [keys])."""
    keys = {k.id: k.keys for k in table}
    keys.update({i: v for i, v in (remap or {}).items() if i in keys})
    return keys


def for_browser(remap: dict[str, str] | None = None) -> dict[str, str]:
    """The remapping to use in a browser: IN_BROWSER under the user's own (the config's [keys])."""
    return {**IN_BROWSER, **(remap or {})}


def kept_by_browser(remap: dict[str, str] | None = None) -> dict[str, str]:
    """binding id -> the keys of it a browser keeps for itself, after `remap` (on any screen)."""
    found = {}
    every = tuple({k.id: k for table in SCREENS.values() for k in table}.values())
    for binding_id, keys in effective(remap, every).items():
        kept = [k.strip() for k in keys.split(",") if k.strip().lower() in BROWSER_KEEPS]
        if kept:
            found[binding_id] = ",".join(kept)
    return found


def reserved_keys(remap: dict[str, str] | None = None) -> dict[str, str]:
    """Printable characters the workbench takes -> what they do; a code may not use them."""
    descriptions = {k.id: k.description for k in ALL}
    taken: dict[str, str] = {}
    for binding_id, keys in effective(remap).items():
        for key in keys.split(","):
            char = character(key)
            if char is not None:
                taken.setdefault(char, f"{descriptions[binding_id]}, keymap id {binding_id}")
    return taken
