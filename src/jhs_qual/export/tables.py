"""Tables out: Markdown, CSV, XLSX and a self-contained HTML report with inline SVG charts."""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from jhs_qual.export.safe import csv_row, markdown, markup, printable, shown_decimals, xlsx_value
from jhs_qual.files import replacing

Table = tuple[list[str], list[list]]


class XlsxBook:
    """A workbook written row by row (XlsxWriter's constant_memory mode: each row goes to
    disk as it is written, strings inline, so memory stays that of a row however many
    quotes there are). Every text is a string cell, never a formula, a link or an error
    value ('=1+1', '#N/A', 'https://...' stay text). Used as `with XlsxBook(path) as book:`;
    the file appears, complete, when the block ends (written beside, then renamed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._titles: set[str] = set()  # lower-cased, as Excel compares them

    def _title(self, name: str) -> str:
        """`name` as a sheet title Excel takes: without the characters it forbids, at most 31
        characters, and unique ignoring case (`_2`, `_3` added)."""
        name = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "sheet"
        title, n = name[:31], 1
        while title.lower() in self._titles:
            n += 1
            title = f"{name[:28]}_{n}"
        self._titles.add(title.lower())
        return title

    def __enter__(self) -> "XlsxBook":
        import xlsxwriter

        self._replacing = replacing(self.path)
        tmp = self._replacing.__enter__()
        self.book = xlsxwriter.Workbook(str(tmp), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "tmpdir": str(tmp.parent)})
        self.styles = {"header": self.book.add_format({"bold": True}),
                       "wrapped": self.book.add_format({"text_wrap": True, "valign": "top"})}
        return self

    def __exit__(self, kind, error, trace):
        if kind is None:
            try:
                self.book.close()
            except BaseException as failure:  # the half-written file goes, the error stays
                self._replacing.__exit__(type(failure), failure, failure.__traceback__)
                raise
        return self._replacing.__exit__(kind, error, trace)

    def _decimals(self, decimals: int):
        """A number format showing this many decimals (made once per workbook)."""
        key = f"decimals{decimals}"
        if key not in self.styles:
            self.styles[key] = self.book.add_format({"num_format": "0." + "0" * decimals})
        return self.styles[key]

    def sheet(self, title: str, rows: Iterable[Sequence], *, header: bool = True, freeze: str | None = None,
              widths: dict[int, float] | None = None, wrapped: Collection[int] = ()) -> None:
        """One sheet, under a title Excel takes (`_title`): its first row bold when `header`;
        `widths` and `wrapped` by column (0-based)."""
        from xlsxwriter.utility import xl_cell_to_rowcol

        sheet = self.book.add_worksheet(self._title(title))
        for column, width in (widths or {}).items():
            sheet.set_column(column, column, width, self.styles["wrapped"] if column in wrapped else None)
        if freeze:
            sheet.freeze_panes(*xl_cell_to_rowcol(freeze))
        for number, row in enumerate(rows):
            for column, value in enumerate(row):
                style = self.styles["header"] if header and number == 0 else (
                    self.styles["wrapped"] if column in wrapped else None)
                decimals = shown_decimals(value)
                value = xlsx_value(value)
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(number, column, value, style)
                elif isinstance(value, (int, float)):
                    sheet.write_number(number, column, value, self._decimals(decimals) if decimals else style)
                else:
                    sheet.write_string(number, column, str(value), style)


def write_xlsx(path: Path, sheets: dict[str, Table], notes: list[str] = ()) -> None:
    """One sheet per table, bold frozen header, readable widths."""
    with XlsxBook(path) as book:
        for title, (header, rows) in sheets.items():
            widths = {i: min(max([len(str(name))] + [len(str(r[i])) for r in rows[:500]]) + 2, 60)
                      for i, name in enumerate(header)}
            book.sheet(title, [header, *rows], freeze="B2" if len(header) > 2 else "A2", widths=widths)
        if notes:
            book.sheet("about", [[note] for note in notes], header=False, widths={0: 120})


def write_markdown(path: Path, title: str, sheets: dict[str, Table], notes: list[str] = ()) -> None:
    m = markdown  # no raw HTML from a label or an attribute in a Markdown file
    lines = [f"# {m(title)}", ""] + [f"{m(n)}  " for n in notes] + [""]
    for name, (header, rows) in sheets.items():
        lines += [f"## {m(name)}", "", "| " + " | ".join(m(h) for h in header) + " |",
                  "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(m(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |"
                  for row in rows]
        lines.append("")
    with replacing(path) as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")


def write_csv(path: Path, table: Table) -> None:
    """One table, its header row first: a CSV holds one table (several in one file, between
    title rows, are what no CSV reader reads as a table)."""
    header, rows = table
    with replacing(path) as tmp, open(tmp, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(csv_row(header))
        writer.writerows(csv_row(row) for row in rows)


def bar_chart(title: str, bars: list[tuple[str, float, str]], width: int = 640) -> str:
    """A horizontal bar chart as inline SVG: (label, value, colour) per bar."""
    e = markup
    top = max((v for _, v, _ in bars), default=0) or 1
    row, label_width = 22, 300
    height = row * len(bars) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{e(title)}"><text x="0" y="16" font-weight="bold">{e(title)}</text>']
    for i, (label, value, colour) in enumerate(bars):
        y = 26 + i * row
        length = (width - label_width - 60) * value / top
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{e(label[:44])}</text>'
                     f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="14" fill="{e(colour)}"/>'
                     f'<text x="{label_width + length + 4:.1f}" y="{y + 14}" font-size="12">{value:g}</text>')
    return "".join(parts) + "</svg>"


def heat_map(title: str, labels: list[str], cells: dict[tuple[str, str], int]) -> str:
    """A symmetric matrix as an inline SVG heat map."""
    e = markup
    size, left, top_margin = 22, 260, 200
    top = max(cells.values(), default=0) or 1
    n = len(labels)
    width, height = left + size * n + 180, top_margin + size * n + 10  # room for the slanted labels
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{e(title)}"><text x="0" y="16" font-weight="bold">{e(title)}</text>']
    for i, label in enumerate(labels):
        parts.append(f'<text x="{left - 6}" y="{top_margin + i * size + 15}" font-size="11" '
                     f'text-anchor="end">{e(label[:38])}</text>')
        x = left + i * size + 15
        parts.append(f'<text x="{x}" y="{top_margin - 6}" font-size="11" transform="rotate(-60 {x} {top_margin - 6})">'
                     f'{e(label[:30])}</text>')
    for i, a in enumerate(labels):
        for j, b in enumerate(labels):
            value = cells.get((a, b)) or cells.get((b, a)) or 0
            shade = 255 - int(200 * value / top)
            colour = f"rgb(255,{shade},{shade})" if i != j else "#eeeeee"
            parts.append(f'<rect x="{left + j * size}" y="{top_margin + i * size}" width="{size - 1}" '
                         f'height="{size - 1}" fill="{colour}"><title>{e(a)} + {e(b)}: {value}</title></rect>')
            if value and i != j:
                parts.append(f'<text x="{left + j * size + size / 2}" y="{top_margin + i * size + 15}" '
                             f'font-size="10" text-anchor="middle">{value}</text>')
    return "".join(parts) + "</svg>"


def write_html(path: Path, title: str, sheets: dict[str, Table], charts: list[str], notes: list[str] = (),
               *, numbers: bool = True) -> None:
    """One file, nothing fetched from anywhere: tables and inline SVG charts. `numbers`: the
    columns after the first hold numbers (right-aligned); else text (left-aligned, top)."""
    e = markup
    align = "text-align:right" if numbers else "text-align:left;vertical-align:top"
    parts = [f'<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>{e(title)}</title><style>'
             "body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}"
             "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;"
             f"{align}}}td:first-child,th:first-child{{text-align:left}}svg{{margin:1rem 0;display:block}}"
             f"</style></head><body><h1>{e(title)}</h1>"]
    parts += [f"<p>{e(n)}</p>" for n in notes]
    parts += charts
    for name, (header, rows) in sheets.items():
        parts.append(f"<h2>{e(name)}</h2><table><thead><tr>"
                     + "".join(f"<th>{e(str(h))}</th>" for h in header) + "</tr></thead><tbody>")
        parts += ["<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>" for row in rows]
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    with replacing(path) as tmp:
        tmp.write_text("".join(parts), encoding="utf-8")


def write_docx(path: Path, title: str, sheets: dict[str, tuple[list, list]], notes: list[str]) -> None:
    from docx import Document

    document = Document()
    document.add_heading(printable(title), 0)
    for note in notes:
        document.add_paragraph(printable(note))
    for name, (header, rows) in sheets.items():
        document.add_heading(printable(name), 1)
        table = document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header):
            cell.text = printable(str(text))
        for values in rows:
            for cell, text in zip(table.add_row().cells, values):
                cell.text = printable(str(text))
    with replacing(path) as tmp:
        document.save(tmp)
