"""The comparison screen (F5): two coders' agreement per code, then their consensus item by item.

The coders are picked from a list (`p`); the agreement table holds the same
figures as `jhs-qual compare` (per turn, interviewer turns left out) before
any consensus exists. Ctrl+B builds the consensus; each time the screen is
shown again it is built again (additively, decisions kept), so codings made
after the first build appear as new items. Agreement and consensus are worked
out in workers over connections of their own: the workbench goes on meanwhile.
"""

from __future__ import annotations

import bisect

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option

from jhs_qual.errors import JhsError
from jhs_qual.keys import COMPARE
from jhs_qual.tui.keymap import bindings
from jhs_qual.tui.dialogs import AskText, PickOne
from jhs_qual.tui.screens.base import LiveScreen, read_aside


class CompareScreen(LiveScreen):
    BINDINGS = bindings(COMPARE, {"back": "app.back", "take_a": "settle('a')", "take_b": "settle('b')",
                                  "take_both": "settle('both')", "take_neither": "settle('neither')",
                                  "build_consensus": "build"})

    def __init__(self) -> None:
        super().__init__()
        self.pair: tuple[str, str] | None = None
        self.into: str | None = None  # the consensus coder of the pair, once built
        self.items: list[dict] = []
        self.agreement_shown: tuple[str, str] | None = None  # the pair whose table is on screen

    def compose(self) -> ComposeResult:
        yield Static("", id="compare-title", classes="title")
        yield DataTable(id="agreement", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="consensus"):
            yield OptionList(id="items")
            yield Static("", id="item-detail")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.pair = self._default_pair()
        self.refresh_data()
        self.query_one("#items", OptionList).focus()

    def on_screen_resume(self) -> None:
        """Shown again: build again if the project changed since (here, or in another window not
        polled yet); not when nothing did (a second build would share the CPU with the first).
        LiveScreen's handler runs after this one and finds nothing stale; Textual's own must run
        too (it lays the screen out: preventing the default left the screen blank)."""
        self.stale = False
        if self.is_mounted and self._built_at != self._version():
            self.refresh_data()

    _built_at: tuple[int, int] | None = None

    def _version(self) -> tuple[int, int]:
        """Another connection's commits and this window's changes, as they stand."""
        return self.app.project.data_version(), self.app.own_changes

    def _coders(self) -> list[str]:
        """People who coded: not consensus coders."""
        consensus = set(self.app.project.consensus_coders())
        return [name for name in self.app.project.coder_names(with_codings=True) if name not in consensus]

    def _default_pair(self) -> tuple[str, str] | None:
        """The pair of an existing consensus, else the current coder and another."""
        row = self.app.project.consensus_pair()
        if row:
            self.into = row[2]
            return row[0], row[1]
        coders = self._coders()
        if len(coders) < 2:
            return None
        first = self.app.coder if self.app.coder in coders else coders[0]
        return first, next(c for c in coders if c != first)

    def refresh_data(self) -> None:
        self._built_at = self._version()
        title = self.query_one("#compare-title", Static)
        if self.pair is None:
            title.update("Two coders needed: code a transcript under two names (p picks the coders)")
            return
        a, b = self.pair
        in_hand, self._in_hand = self._in_hand, None
        if in_hand is not None and in_hand[:3] == (a, b, self.into):  # just built, or a decision made here
            self._show_items(*in_hand)
            return
        self._fill_agreement(a, b)
        if self.into is None:
            self.items = []
            self.query_one("#items", OptionList).clear_options()
            title.update(f"{a} (A) and {b} (B): agreement per code, per turn   (p coders, ctrl+b build a consensus)")
            return
        lead = self.app.role == "lead"  # a coder sees the consensus as the lead left it
        title.update(f"{a} (A) and {b} (B) → '{self.into}': "
                     + ("building the consensus again (new codings become new items) …" if lead else "reading …"))
        self._consensus(a, b, self.into, lead, False)

    _in_hand: tuple | None = None  # (a, b, into, items, turns) read, to show without building again
    _turns: dict[int, list[int]] = {}  # where each listed item's transcript's turns start

    @work(thread=True, exclusive=True, group="consensus")
    def _consensus(self, a: str, b: str, into: str, build: bool, asked: bool) -> None:
        """Build the consensus (additively: decisions are kept) and read its items, in a worker over
        a connection of its own: at thousands of transcripts that takes seconds, and the
        workbench goes on meanwhile. `asked`: ctrl+b, which says what the build did."""

        def build_and_read(project) -> tuple:
            summary = error = None
            if build:
                try:
                    summary = project.build_consensus(a, b, into)
                except JhsError as raised:
                    error = raised.one_line()
            if asked and error:
                return summary, error, [], {}
            items = project.consensus_items(into, include_settled=True)
            turns = {tid: [turn[1] for turn in found]
                     for tid, found in project.turn_positions({i["transcript_id"] for i in items}).items()}
            return summary, error, items, turns

        done, failed = read_aside(self.app.project.path, build_and_read)
        summary, error, items, turns = done or (None, failed, [], {})
        self.app.call_from_thread(self._consensus_read, a, b, into, items, turns, summary, error, asked)

    def _consensus_read(self, a: str, b: str, into: str, items: list[dict], turns: dict, summary: dict | None,
                        error: str | None, asked: bool) -> None:
        if not self.is_mounted or self.pair != (a, b) or (not asked and into != self.into):
            return  # other coders (or another consensus) were picked meanwhile
        if error:
            self._status(error)
            if asked or summary is None and not items:
                return
        if asked:
            self.into = into
            self.app.history.final(f"building the consensus '{into}'")
        if asked or (summary and (summary["added"] or summary["new_items"])):  # this window wrote
            self._in_hand = (a, b, into, items, turns)
            self.app.changed()  # the other screens follow; this one shows the items just read (refresh_data)
            self._in_hand = None
        else:
            self._show_items(a, b, into, items, turns)
        if asked:
            self._status(f"{summary['agreed']} agreed, {summary['new_items']} new item(s), {summary['open']} open")

    def _show_items(self, a: str, b: str, into: str, items: list[dict], turns: dict[int, list[int]]) -> None:
        self._turns = turns
        listing = self.query_one("#items", OptionList)
        keep = listing.highlighted
        listing.clear_options()
        self.items = sorted(items, key=lambda i: (i["decision"] is not None, i["transcript"], i["id"]))
        open_count = sum(1 for i in self.items if i["decision"] is None)
        self.query_one("#compare-title", Static).update(
            f"{a} (A) and {b} (B) → '{into}': {open_count} open, {len(self.items) - open_count} "
            "settled   a: take A  b: take B  o: both  n: neither   p: coders")
        options = []
        for item in self.items:
            spans = item["a_spans"] + item["b_spans"]
            starts = turns.get(item["transcript_id"], [])
            turn = bisect.bisect_right(starts, min(s[0] for s in spans)) if spans and starts else "?"
            label = Text(f"#{item['id']} {item['transcript']} turn {turn} · {item['code']}",
                         style="dim" if item["decision"] else "bold")
            if item["decision"]:
                label.append(f"  [{item['decision']}]")
            options.append(Option(label, id=str(item["id"])))
        listing.add_options(options)
        if self.items:
            listing.highlighted = min(keep or 0, len(self.items) - 1)

    def _fill_agreement(self, a: str, b: str) -> None:
        """The agreement table, worked out in a worker over a connection of its own (every
        answer of every transcript both coded: seconds at thousands of transcripts), so that the
        workbench goes on meanwhile; the table says it is on its way."""
        self.agreement_shown = None
        table = self.query_one("#agreement", DataTable)
        table.clear(columns=True)
        table.add_columns("code", "units", f"A: {a}", f"B: {b}", "agree %", "kappa", "alpha")
        table.add_row(Text(f"working out how {a} and {b} agree …", style="dim"), "", "", "", "", "", "")
        self._agreement(a, b, self.app.project.path)

    @work(thread=True, exclusive=True, group="agreement")
    def _agreement(self, a: str, b: str, path) -> None:
        from jhs_qual.analysis.compare import compare, within_reached

        def agreement(project) -> tuple:
            turns, unread = within_reached(project.codable_turns(), project.reached_by([a, b]))
            result = compare([a, b], "turn", project.text_lookup(), turns, project.codings([a, b]),
                             scopes=project.codebooks_by_transcript(), segments=False)
            labels = {f"{c['codebook_id']}/{c['code_id']}": c["label_nl"] for c in project.codes()}  # as elsewhere
            return result, unread, labels

        done, error = read_aside(path, agreement)
        self.app.call_from_thread(self._show_agreement, a, b, *(done or (None, 0, {})), error)

    def _show_agreement(self, a: str, b: str, result, unread: int, labels: dict[str, str],
                        error: str | None = None) -> None:
        if self.pair != (a, b) or not self.is_mounted:
            return  # other coders were picked meanwhile: their table is on its way
        if error:
            self._status(error)
            return
        table = self.query_one("#agreement", DataTable)
        table.clear()

        def number(x: float, digits: int = 3) -> str:
            return "n/a" if x != x else f"{round(x, digits) + 0.0:.{digits}f}"

        for row in result.codes + ([result.overall] if result.overall else []):
            table.add_row(labels.get(row.code, row.code), row.units, row.coded_by[a], row.coded_by[b],
                          number(100 * row.percent, 1), number(row.kappa), number(row.alpha))
        if unread:
            self._status(f"{unread} turn(s) not both of them reached are left out (the compare command's "
                         "--all-units counts them)")
        if not result.transcripts:
            self._status(f"no transcript is coded by both {a} and {b} yet")
        self.agreement_shown = (a, b)

    def _status(self, message: str) -> None:
        self.query_one("#status", Static).update(message)

    def action_pick_coders(self) -> None:
        coders = self._coders()
        if len(coders) < 2:
            self._status("fewer than two coders have codings")
            return

        def first(i: int | None) -> None:
            if i is None:
                return
            rest = [c for c in coders if c != coders[i]]
            self.app.push_screen(PickOne(f"A is {coders[i]}; coder B?", rest),
                                 lambda j: j is not None and self._set_pair(coders[i], rest[j]))

        self.app.push_screen(PickOne("Coder A?", coders), first)

    def _set_pair(self, a: str, b: str) -> None:
        self.pair = (a, b)
        row = self.app.project.consensus_pair(a, b)
        self.into = row[2] if row else None
        self.refresh_data()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        item = self._item()
        if item is None:
            return
        text = self.app.project.text_lookup()[item["transcript_id"]]
        detail = Text()
        for side, name in (("a_spans", f"A · {item['coder_a']}"), ("b_spans", f"B · {item['coder_b']}")):
            detail.append(f"{name}\n", style="bold")
            if not item[side]:
                detail.append("  (did not code it)\n\n", style="dim")
            for start, end, memo in item[side]:
                detail.append("  " + " ".join(text[start:end].split()) + "\n")
                if memo:
                    detail.append(f"  memo: {memo}\n", style="italic")
                detail.append("\n")
        self.query_one("#item-detail", Static).update(detail)

    def _item(self) -> dict | None:
        items = self.query_one("#items", OptionList)
        if not self.items or items.highlighted is None:
            return None
        return self.items[items.highlighted]

    def action_settle(self, decision: str) -> None:
        item = self._item()
        if item is None or not self.app.require_lead("settle a consensus"):
            return
        project, before = self.app.project, item["decision"]
        self.app.history.change(f"settle #{item['id']} ({decision})", lambda: project.settle(item["id"], decision),
                                lambda _: project.settle(item["id"], before) if before else project.unsettle(item["id"]))
        self._status(f"#{item['id']}: {decision} (u to undo)")
        item["decision"] = decision
        self._in_hand = (*self.pair, self.into, self.items, self._turns)  # nothing to build again for a decision
        self.app.changed()
        self._in_hand = None
        items = self.query_one("#items", OptionList)
        following = next((i for i, it in enumerate(self.items) if it["decision"] is None and it["id"] != item["id"]),
                         items.highlighted)
        items.highlighted = following

    def action_build(self) -> None:
        if not self.app.require_lead("build a consensus"):
            return
        if self.pair is None:
            self._status("pick two coders first (p)")
            return

        def build(name: str | None) -> None:
            if name:
                self._status(f"building the consensus '{name}' …")
                self._consensus(*self.pair, name, True, True)

        self.app.push_screen(AskText(f"Consensus of {self.pair[0]} and {self.pair[1]}: its coder name",
                                     value="consensus", allow_empty=False), build)
