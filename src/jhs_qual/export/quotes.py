"""Quote sheets: the verbatim quotes per theme, attributed, pseudonymised, in five formats.

A quote is a coded segment: its words, who said them ("a primary school
teacher", "een basisschoolleraar", from the role and school type
attributes), the transcript, turn and time, the coder and the memo, and if
asked the turn before it for context. Every text field passes through the
pseudonymiser before it is written.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jhs_qual.errors import BadInput
from jhs_qual.export.pseudonyms import Pseudonymiser
from jhs_qual.export.safe import csv_row, markdown, markup, printable
from jhs_qual.files import replacing
from jhs_qual.ingest.turns import format_timestamp

FORMATS = ("docx", "xlsx", "md", "csv", "html")

ROLES = {  # role -> (Dutch, English)
    "leraar": ("leraar", "teacher"), "lerares": ("lerares", "teacher"), "leerkracht": ("leerkracht", "teacher"),
    "docent": ("docent", "teacher"), "mentor": ("mentor", "mentor"),
    "jeugdhulpverlener": ("jeugdhulpverlener", "youth worker"), "leerling": ("leerling", "pupil"),
}
SCHOOL_TYPES = {  # school type -> (Dutch compound prefix, Dutch phrase, English)
    "PO": ("basisschool", "het basisonderwijs", "primary school"),
    "SO": ("so-", "het speciaal onderwijs", "special education"),
    "VSO": ("vso-", "het voortgezet speciaal onderwijs", "secondary special education"),
    "VO": ("vo-", "het voortgezet onderwijs", "secondary school"),
    "MBO": ("mbo-", "het mbo", "secondary vocational education"),
}


def attribution(attributes: dict[str, str]) -> tuple[str, str]:
    """("een basisschoolleraar", "a primary school teacher") from role and school type."""
    role = attributes.get("role", "").strip().lower()
    school = attributes.get("school_type", "").strip().upper()
    nl_role, en_role = ROLES.get(role, (role or "geïnterviewde", role or "interviewee"))
    if school in SCHOOL_TYPES:
        prefix, phrase, english = SCHOOL_TYPES[school]
        dutch = f"een {prefix}{nl_role}" if role in ("leraar", "leerkracht", "leerling", "docent", "mentor") \
            else f"een {nl_role} in {phrase}"
        article = "an" if english[0] in "aeiou" else "a"
        return dutch, f"{article} {english} {en_role}"
    article = "an" if en_role[0] in "aeiou" else "a"
    return f"een {nl_role}", f"{article} {en_role}"


@dataclass(slots=True)
class Quote:
    code: str
    transcript: str
    turn: int | None
    time: str
    speaker: str
    coder: str
    memo: str
    text: str
    context: str
    attribution_nl: str
    attribution_en: str
    attributes: dict[str, str]
    start: int
    turn_memo: str = ""  # the coder's memo on the quoted turn


@dataclass
class Theme:
    code: str
    label_nl: str
    label_en: str
    definition: str
    colour: str
    quotes: list[Quote] = field(default_factory=list)
    memos: list[str] = field(default_factory=list)  # memos on the code: "coder: text"


def gather(project, *, codes: list[str] | None = None, with_children: bool = False,
           where: dict[str, str] | None = None, coder: str | None = None, limit: int | None = None,
           min_length: int = 0, max_length: int | None = None, context: bool = False,
           pseudonymiser: Pseudonymiser | None = None) -> list[Theme]:
    """The themes (codes) with their quotes in transcript order, filtered and pseudonymised."""
    all_codes = project.codes()
    refs = {f"{c['codebook_id']}/{c['code_id']}": c for c in all_codes}
    chosen = codes if codes is not None else list(refs)
    if with_children:
        chosen = _with_children(chosen, all_codes)
    attributes = project.attributes_by_transcript()
    where = where or {}
    clean = pseudonymiser.apply if pseudonymiser else (lambda text: text)
    wanted = set(chosen)
    scoped = project.codebooks_by_transcript()  # a codebook's codes are quoted where it applies
    turn_memos = {(m["transcript_id"], m["start"], m["coder"]): m["text"] for m in project.memos(coder)
                  if m["start"] is not None}
    themes = {}
    for ref in chosen:
        code = refs[ref]
        themes[ref] = Theme(ref, clean(code["label_nl"]), clean(code["label_en"]), code["definition"], code["colour"],
                            memos=[clean(f"{m['coder']}: {m['text']}")
                                   for m in project.memos(coder, code_row_id=code["id"])])
    current, turns, text, about = None, [], "", None
    for row in project.iter_coding_rows(coder, [refs[ref]["id"] for ref in wanted]):  # in transcript order
        tid = row["transcript_id"]
        theme = themes[row["code"]]
        if row["code"].partition("/")[0] not in scoped.get(tid, ()) or (limit and len(theme.quotes) >= limit):
            continue
        if tid != current:  # what is said about a transcript, worked out once and shared by its quotes
            current = tid
            attrs = attributes.get(tid, {})
            skipped = any(attrs.get(k, "").lower() != v.lower() for k, v in where.items())
            positions = project.turn_positions([tid]).get(tid, [])
            turns = [(speaker, content_start, end, ts) for speaker, _, content_start, end, ts in positions]
            text = project.text_lookup()[tid] if context or pseudonymiser else ""
            # a name that crosses a quote's edge, or a turn's, is caught in the words around it, and replaced whole
            cut = pseudonymiser.speech(text, [(start, content_start) for _, start, content_start, _, _ in positions]
                                       ) if pseudonymiser else None
            about = (clean(row["transcript"]), *attribution(attrs), {k: clean(v) for k, v in attrs.items()}, {})
        if skipped:
            continue
        words = " ".join((cut(row["start"], row["end"]) if cut else row["text"]).split())
        if len(words) < min_length or (max_length is not None and len(words) > max_length):
            continue
        name, nl, en, cleaned_attrs, speakers = about
        index = (row["turn"] or 1) - 1
        before = ""
        if context and index > 0:
            speaker, start, end, _ = turns[index - 1]
            before = f"{speaker or ''}: {cut(start, end) if cut else text[start:end]}"
        ts = turns[index][3] if turns else None
        speaker = row["speaker"] or ""
        if speaker not in speakers:
            speakers[speaker] = clean(speaker)
        theme.quotes.append(Quote(
            code=theme.code, transcript=name, turn=row["turn"],
            time=format_timestamp(ts) if ts is not None else "", speaker=speakers[speaker],
            coder=row["coder"], memo=clean(row["memo"]), text=words, context=clean(" ".join(before.split())),
            attribution_nl=nl, attribution_en=en, attributes=cleaned_attrs,
            start=row["start"], turn_memo=clean(turn_memos.get(
                (tid, turns[index][1] if turns else None, row["coder"]), ""))))
    # asked for by name: shown even when empty
    return [theme for theme in themes.values() if theme.quotes or codes is not None]


def _with_children(chosen: list[str], codes: list[dict]) -> list[str]:
    result = list(chosen)
    changed = True
    while changed:
        changed = False
        for c in codes:
            ref, parent = f"{c['codebook_id']}/{c['code_id']}", f"{c['codebook_id']}/{c['parent']}"
            if c["parent"] and parent in result and ref not in result:
                result.append(ref)
                changed = True
    return result


def _where(q: Quote) -> str:
    place = f"turn {q.turn}" + (f", {q.time}" if q.time else "")
    return f"{q.transcript}, {place}"


# --- writers ----------------------------------------------------------------------------------

def write(themes: list[Theme], path: Path, fmt: str, title: str) -> None:
    if fmt not in FORMATS:
        raise BadInput(f"format '{fmt}' unknown", field="--format", hint=f"one of {', '.join(FORMATS)}")
    {"md": _markdown, "csv": _csv, "html": _html, "docx": _docx, "xlsx": _xlsx}[fmt](themes, path, title)


def _markdown(themes, path, title) -> None:
    _stream(path, _markdown_lines(themes, title), "\n")


def _markdown_lines(themes, title) -> Iterator[str]:
    m = markdown  # no raw HTML from a transcript in a Markdown file
    yield from [f"# {m(title)}", ""]
    for theme in themes:
        yield from [f"## {m(theme.label_nl)} / {m(theme.label_en)}", ""]
        if theme.definition:
            yield from [f"*{m(theme.definition)}*", ""]
        yield from [f"Memo: {m(memo)}" for memo in theme.memos] + ([""] if theme.memos else [])
        yield from [f"{len(theme.quotes)} quote(s)", ""]
        for q in theme.quotes:
            if q.context:
                yield from [f"> *{m(q.context)}*", ">"]
            yield from [f"> {m(q.text)}", "",
                        f"— {m(q.attribution_nl)} / {m(q.attribution_en)} ({m(_where(q))}; coder {m(q.coder)})"]
            if q.memo:
                yield f"  memo: {m(q.memo)}"
            if q.turn_memo:
                yield f"  memo on the turn: {m(q.turn_memo)}"
            yield ""


def _stream(path: Path, pieces: Iterable[str], separator: str) -> None:
    """UTF-8 text written as it is made: a quote sheet of any size in the memory of one piece."""
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        pieces = iter(pieces)
        handle.write(next(pieces, ""))
        for piece in pieces:
            handle.write(separator)
            handle.write(piece)


COLUMNS = ["theme", "label_nl", "label_en", "text", "attribution_nl", "attribution_en", "transcript", "turn",
           "time", "speaker", "coder", "memo", "context", "turn_memo"]


def _rows(themes):
    for theme in themes:
        for q in theme.quotes:
            yield [theme.code, theme.label_nl, theme.label_en, q.text, q.attribution_nl, q.attribution_en,
                   q.transcript, q.turn, q.time, q.speaker, q.coder, q.memo, q.context, q.turn_memo]


def _csv(themes, path, title) -> None:
    with replacing(path) as tmp, open(tmp, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(csv_row(COLUMNS))
        writer.writerows(csv_row(row) for row in _rows(themes))


def _html(themes, path, title) -> None:
    _stream(path, _html_parts(themes, title), "")


def _html_parts(themes, title) -> Iterator[str]:
    e = markup
    yield (f"<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>{e(title)}</title>"
           "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;line-height:1.5}"
           "blockquote{margin:1rem 0 .2rem;padding:.4rem 1rem;border-left:.3rem solid #999;background:#f6f6f6}"
           ".context{color:#666;font-style:italic}.by{color:#444;font-size:.9rem;margin-bottom:1rem}</style>"
           f"</head><body><h1>{e(title)}</h1>")
    for theme in themes:
        yield (f"<section><h2 style=\"border-bottom:.2rem solid {e(theme.colour)}\">{e(theme.label_nl)} / "
               f"{e(theme.label_en)}</h2>")
        if theme.definition:
            yield f"<p><em>{e(theme.definition)}</em></p>"
        yield from (f"<p>Memo: {e(memo)}</p>" for memo in theme.memos)
        yield f"<p>{len(theme.quotes)} quote(s)</p>"
        for q in theme.quotes:
            context = f"<p class=\"context\">{e(q.context)}</p>" if q.context else ""
            memo = (f"<br>memo: {e(q.memo)}" if q.memo else "") + (
                f"<br>memo on the turn: {e(q.turn_memo)}" if q.turn_memo else "")
            yield (f"<blockquote>{context}<p>{e(q.text)}</p></blockquote><p class=\"by\">— {e(q.attribution_nl)}"
                   f" / {e(q.attribution_en)} ({e(_where(q))}; coder {e(q.coder)}){memo}</p>")
        yield "</section>"
    yield "</body></html>"


def _docx(themes, path, title) -> None:
    from docx.shared import RGBColor

    from jhs_qual.export.wordfile import StreamedDocx

    with StreamedDocx(("Title", "Heading 1", "Quote", "Intense Quote"), spool_dir=path.parent) as document:
        add = document.add
        add(title, "Title")
        for theme in themes:
            theme = _printable(theme)  # Word refuses control characters
            add(f"{theme.label_nl} / {theme.label_en}", "Heading 1")
            if theme.definition:
                add(theme.definition).runs[0].italic = True
            for memo in theme.memos:
                add(f"Memo: {printable(memo)}")
            add(f"{len(theme.quotes)} quote(s)")
            for q in map(_printable, theme.quotes):
                if q.context:
                    add(style="Quote").add_run(q.context).font.color.rgb = RGBColor(0x66, 0x66, 0x66)
                add(q.text, "Intense Quote")
                add(f"— {q.attribution_nl} / {q.attribution_en} ({_where(q)}; coder {q.coder})", size=9)
                for label, text in (("memo", q.memo), ("memo on the turn", q.turn_memo)):
                    if text:
                        add(f"{label}: {text}", size=9)
        with replacing(path) as tmp:
            document.save(tmp)


def _printable(item):
    """A copy of a quote or theme whose text fields hold only characters Word accepts."""
    from dataclasses import fields, replace

    return replace(item, **{f.name: printable(getattr(item, f.name)) for f in fields(item)
                            if isinstance(getattr(item, f.name), str)})


def _xlsx(themes, path, title) -> None:
    from jhs_qual.export.tables import XlsxBook

    with XlsxBook(path) as book:
        overview = [["theme", "label (nl)", "label (en)", "quotes", "definition", "memos"]]
        overview += [[theme.code, theme.label_nl, theme.label_en, len(theme.quotes), theme.definition,
                      "\n".join(theme.memos)] for theme in themes]
        _xlsx_sheet(book, "overview", overview)
        for theme in themes:
            rows = (row[3:] for row in _rows([theme]))
            _xlsx_sheet(book, theme.code.split("/")[-1], itertools.chain([COLUMNS[3:]], rows))
        header = ["transcript", "turn", "text", "attribution", *(t.code for t in themes)]
        _xlsx_sheet(book, "quote matrix", itertools.chain([header], _matrix(themes)))


def _matrix(themes: list[Theme]) -> Iterator[list]:
    """The quote matrix's rows: each quoted segment once, in (transcript, start) order, with a 0/1 column
    per theme. The themes' quotes are merged in that order, so no table of all segments is ever built;
    a segment's row takes the first quote of it (by theme, then by place)."""
    place = operator.attrgetter("transcript", "start")
    merged = heapq.merge(*(zip(sorted(theme.quotes, key=place), itertools.repeat(1 << bit))
                           for bit, theme in enumerate(themes)), key=lambda item: place(item[0]))
    for _, group in itertools.groupby(merged, key=lambda item: place(item[0])):
        segments: dict[str, list] = {}  # text -> [its first quote, its themes as bits]
        for q, bit in group:
            segments.setdefault(q.text, [q, 0])[1] |= bit
        for q, coded in segments.values():
            yield [q.transcript, q.turn, q.text, q.attribution_en, *((coded >> bit) & 1 for bit in range(len(themes)))]


def _xlsx_sheet(book, title: str, rows: Iterable[list]) -> None:
    """A sheet whose columns are as wide as their first 200 cells (8 to 80 characters);
    a column with longer texts wraps them. Rows are written as they come."""
    from jhs_qual.export.safe import xlsx_value

    rows = iter(rows)
    first = list(itertools.islice(rows, 200))
    widths, wrapped = {}, set()
    for column in range(len(first[0])):
        width = max(len(str(xlsx_value(row[column]) if row[column] is not None else "")) for row in first)
        widths[column] = min(max(width + 2, 8), 80)
        if width > 80:
            wrapped.add(column)
    book.sheet(title, itertools.chain(first, rows), freeze="A2", widths=widths, wrapped=wrapped)
