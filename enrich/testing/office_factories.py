"""Office files made in code for the tests: XLSX (openpyxl), PPTX (python-pptx), DOCX
with pictures (python-docx), XLS (xlwt, a dev dependency), password-protected OOXML
(msoffcrypto-tool, a dev dependency) and bare OLE2 compound files standing in for
legacy .doc/.ppt (written by msg_factory's compound file writer).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from enrich.errors import optional_import
from enrich.testing.factories import photo_bytes
from enrich.testing.msg_factory import compound_file

PathLike = str | Path

__all__ = ["xlsx", "big_xlsx", "pptx", "docx_with_pictures", "xls", "encrypted_ooxml", "ole2",
           "seed_files"]


def xlsx(path: PathLike, sheets: Mapping[str, Sequence[Sequence[Any]]],
         title: str | None = None, author: str | None = None) -> Path:
    """A workbook with one worksheet per entry of ``sheets`` (name -> rows of values)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.properties.title, workbook.properties.creator = title, author
    workbook.properties.created = datetime(2024, 1, 2, 3, 4, 5)
    workbook.save(str(path))
    return Path(path)


def big_xlsx(path: PathLike, rows: int, columns: int, name: str = "Big") -> Path:
    """One worksheet of ``rows`` x ``columns`` numbered cells, written as a stream."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(name)
    for r in range(rows):
        sheet.append([f"r{r}c{c}" for c in range(columns)])
    workbook.save(str(path))
    return Path(path)


def pptx(path: PathLike, slides: Sequence[Mapping[str, Any]], title: str | None = None) -> Path:
    """A presentation; each slide a mapping of optional ``title`` (str), ``lines`` (a text
    box's paragraphs), ``picture`` (image file bytes, placed after the lines), ``table``
    (rows of cells), ``grouped`` (a text in a group shape) and ``notes`` (str)."""
    import pptx as python_pptx
    from pptx.util import Inches

    presentation = python_pptx.Presentation()
    for spec in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[5])  # title only
        if spec.get("title"):
            slide.shapes.title.text = spec["title"]
        if spec.get("lines"):
            frame = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1)).text_frame
            frame.text = spec["lines"][0]
            for line in spec["lines"][1:]:
                frame.add_paragraph().text = line
        if spec.get("picture"):
            slide.shapes.add_picture(io.BytesIO(spec["picture"]), Inches(1), Inches(3))
        if spec.get("table"):
            rows = spec["table"]
            grid = slide.shapes.add_table(len(rows), len(rows[0]), Inches(1), Inches(5),
                                          Inches(6), Inches(1)).table
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    grid.cell(r, c).text = value
        if spec.get("grouped"):
            group = slide.shapes.add_group_shape()
            group.shapes.add_textbox(Inches(1), Inches(6), Inches(3), Inches(1)).text_frame.text = \
                spec["grouped"]
        if spec.get("notes"):
            slide.notes_slide.notes_text_frame.text = spec["notes"]
    presentation.core_properties.title = title or ""
    presentation.save(str(path))
    return Path(path)


def docx_with_pictures(path: PathLike, blocks: Sequence[str | bytes],
                       table_picture: bytes | None = None) -> Path:
    """A DOCX of ``blocks`` in order: a str is a paragraph, bytes an image file shown
    inline in a paragraph of its own; ``table_picture`` goes into a one-cell table at
    the end."""
    import docx as python_docx
    from docx.shared import Inches

    document = python_docx.Document()
    for block in blocks:
        if isinstance(block, bytes):
            document.add_picture(io.BytesIO(block), width=Inches(2))
        else:
            document.add_paragraph(block)
    if table_picture:
        cell = document.add_table(rows=1, cols=1).cell(0, 0)
        cell.paragraphs[0].add_run("in a table").add_picture(io.BytesIO(table_picture),
                                                             width=Inches(1))
    document.save(str(path))
    return Path(path)


def xls(path: PathLike, sheets: Mapping[str, Sequence[Sequence[Any]]]) -> Path:
    """An Excel 97-2003 workbook (xlwt, a dev dependency); datetimes get a date format so
    that readers see dates."""
    xlwt = optional_import("xlwt", "dev", "Writing .xls fixtures")
    workbook = xlwt.Workbook()
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
    for name, rows in sheets.items():
        sheet = workbook.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write(r, c, value, dated)
                elif value is not None:
                    sheet.write(r, c, value)
    workbook.save(str(path))
    return Path(path)


def encrypted_ooxml(path: PathLike, source: PathLike, password: str = "secret") -> Path:
    """``source`` (a .docx/.xlsx/.pptx) encrypted with ``password`` as Office does it: the
    package inside an OLE2 compound file (msoffcrypto-tool, ECMA-376 agile encryption)."""
    ooxml = optional_import("msoffcrypto.format.ooxml", "dev", "Encrypting Office fixtures")
    with open(source, "rb") as plain, open(path, "wb") as out:
        ooxml.OOXMLFile(plain).encrypt(password, out)
    return Path(path)


def ole2(path: PathLike, streams: Mapping[str, bytes]) -> Path:
    """An OLE2 compound file holding ``streams`` at its root, the container of legacy
    .doc/.xls/.ppt files: name the main stream ``WordDocument``, ``Workbook`` or
    ``PowerPoint Document``. Written by :func:`~enrich.testing.msg_factory.compound_file`
    (CFB version 3)."""
    Path(path).write_bytes(compound_file(streams))
    return Path(path)


def seed_files() -> dict[str, bytes]:
    """File name -> bytes of one small file per Office format, for the fuzzing seeds."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        ferries = [["port", "departs", "fare"], ["North", datetime(2024, 5, 1, 7), 12.5],
                   ["South", datetime(2024, 5, 2), 9]]
        made = [xlsx(Path(folder) / "sheets.xlsx", {"Ferries": ferries, "Notes": [["calm"]]}),
                pptx(Path(folder) / "slides.pptx", [
                    {"title": "Harbour", "lines": ["The ferry left.", "Gulls followed."],
                     "picture": photo_bytes((120, 90)), "notes": "Say it slowly."},
                    {"title": "Fares", "table": [["port", "fare"], ["North", "12"]]}]),
                docx_with_pictures(Path(folder) / "pictures.docx", [
                    "A photo of the harbour:", photo_bytes((160, 120)), "Taken at dawn."]),
                xls(Path(folder) / "old.xls", {"Ferries": ferries})]
        return {path.name: path.read_bytes() for path in made}
