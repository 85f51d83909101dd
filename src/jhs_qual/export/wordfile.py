"""A Word document written as it is made: the body's paragraphs go to a spool file a few
hundred at a time, so a quote sheet of 600,000 quotes takes the memory of a few hundred.

python-docx makes the document (template, styles, the paragraphs' XML); what it would keep
in memory, the body, is serialised here paragraph by paragraph, byte for byte what its own
`save` writes for them (tested), and put in place of a marker paragraph when the package is
written. Two of its conveniences cost a scan per paragraph and are avoided: `add_paragraph`
looks for the section properties among all the body's children (each paragraph goes in
before a marker found once), and a style set by name is checked against every style (the
style's id is looked up once, which is what the `style` setter stores).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

BATCH = 500  # paragraphs held before they are spooled
_MARKER = "jhs-qual: the body goes here"


class StreamedDocx:
    def __init__(self, styles: tuple[str, ...], spool_dir: Path | None = None) -> None:
        import docx
        from docx.enum.style import WD_STYLE_TYPE
        from lxml import etree

        self.document = docx.Document()
        self._style_ids = {name: self.document.part.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH) for name in styles}
        self._end = self.document.add_paragraph(_MARKER)
        self._tostring = lambda element: etree.tostring(element, encoding="UTF-8", xml_declaration=False)
        # a paragraph serialised alone declares the document's namespaces; inside the document it does not
        empty = self.document.add_paragraph()._p
        self._declarations = self._tostring(empty)[len(b"<w:p"):-len(b"/>")]
        empty.getparent().remove(empty)
        self._made: list = []
        self._spool = tempfile.TemporaryFile(dir=spool_dir)  # the pseudonymised output's own text, unlinked

    def __enter__(self) -> StreamedDocx:
        return self

    def __exit__(self, *exc) -> None:
        self._spool.close()

    def add(self, text: str | None = None, style: str | None = None, size: float | None = None):
        """A paragraph at the end (one run of `text`, if given), in a style named in the constructor,
        its text of `size` points."""
        from docx.shared import Pt

        paragraph = self._end.insert_paragraph_before(text)
        if style:
            paragraph._p.style = self._style_ids[style]
        if size:
            paragraph.runs[0].font.size = Pt(size)
        self._made.append(paragraph._p)
        if len(self._made) >= BATCH:
            self._flush()
        return paragraph

    def _xml(self, element) -> bytes:
        return self._tostring(element).replace(self._declarations, b"", 1)

    def _flush(self) -> None:
        for element in self._made:
            self._spool.write(self._xml(element))
            element.getparent().remove(element)
        self._made.clear()

    def save(self, path: Path) -> None:
        """The .docx at `path` (a fresh file: `files.replacing` gives one)."""
        import io

        self._flush()
        marker = self._xml(self._end._p)
        package = io.BytesIO()
        self.document.save(package)
        size = self._spool.tell()
        with zipfile.ZipFile(package) as made, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info in made.infolist():
                if info.filename != "word/document.xml":
                    out.writestr(info, made.read(info))
                    continue
                before, found, after = made.read(info).partition(marker)
                if not found:
                    raise RuntimeError("the marker paragraph is not in the document's XML")
                with out.open(info, "w", force_zip64=size > 2**31) as body:
                    body.write(before)
                    self._spool.seek(0)
                    shutil.copyfileobj(self._spool, body, 1 << 20)
                    body.write(after)
