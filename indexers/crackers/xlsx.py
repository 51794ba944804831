"""XLSX cracker (openpyxl, read-only): one page per worksheet, the cells as text.

Every worksheet becomes a page (``number`` from 1 in workbook order, ``name`` the
sheet's name); its ``text`` is the sheet row by row, the cells of a row joined by
tabs, trailing empty cells and blank rows left out. Cells are read as their stored
values (``data_only``: a formula gives the value Excel last calculated, nothing when
it never was): numbers as written (``3``, not ``3.0``), dates and times in ISO 8601
(``2024-01-02``, ``2024-01-02 03:04:05``), booleans as ``TRUE``/``FALSE``. Chart
sheets have no cells and no page.

The workbook is streamed (``read_only=True``), never loaded whole, and reading stops
at :data:`MAX_SHEET_CELLS` cells of one sheet and :data:`MAX_CELLS` of the workbook
(a skipped row counts as one cell, so a sheet of a million empty rows stops too):
the sheet is cut there with a warning (``"sheet 'Data' truncated after 200000
cells"``), and sheets after the workbook limit are left out, named in a warning.
A sheet's dimensions are not trusted (``reset_dimensions``): a forged ``A1:XFD1048576``
cannot make every row 16,384 cells wide. A sheet whose XML breaks off keeps the rows
read before, with a warning (``"sheet 'Data' damaged: kept the 12 rows read before
(...)"``).

``metadata``: title, author, created, modified from the core properties, ``page_count``
(sheets read) and ``sheet_names`` (all, in order). A file openpyxl cannot open raises
:class:`CrackError` (``"unreadable XLSX: ..."``); an encrypted workbook is an OLE2 file,
not a zip, and never reaches this cracker (see :mod:`.legacy`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache, partial
from typing import Any

from .base import Blob, Cracker, CrackError, new_document
from .embedded import package_errors
from .limits import check_package, limits_of
from .sniff import XLSX

__all__ = ["XlsxCracker", "MAX_SHEET_CELLS", "MAX_CELLS", "cell_text", "sheet_pages",
           "worksheet_rows"]

# openpyxl's streaming reader takes ~20 us a cell (measured: 500,000 cells of a generated
# sheet in 10 s, one core, 73 MB peak), so the limits keep a workbook under ~10 s
MAX_SHEET_CELLS = 200_000  # cells read from one worksheet
MAX_CELLS = 500_000  # cells read from the whole workbook


class XlsxCracker(Cracker):
    """Excel 2007+ workbooks (.xlsx, .xlsm)."""

    name = "xlsx"
    mime_types = (XLSX, "application/vnd.ms-excel.sheet.macroEnabled.12")
    extensions = ("xlsx", "xlsm")

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        check_package(blob.data, "XLSX", limits_of(blob))
        workbook = _open(blob.data)
        try:
            doc = new_document(blob, **_properties(workbook))
            doc["pages"], doc["warnings"] = _sheets(workbook)
        except _read_errors() as error:
            raise CrackError(f"unreadable XLSX: {error or type(error).__name__}") from error
        finally:
            workbook.close()
        doc["metadata"]["page_count"] = len(doc["pages"])
        if not doc["pages"]:
            doc["warnings"].append("the workbook has no worksheet")
        return [doc]


@lru_cache(maxsize=1)
def _read_errors() -> tuple[type[BaseException], ...]:
    """What openpyxl may raise on a damaged workbook (imported on first use)."""
    from openpyxl.utils.exceptions import InvalidFileException

    return (*package_errors(), InvalidFileException)


def _open(data: bytes):
    import openpyxl  # imported on the first workbook only
    import warnings

    try:
        with warnings.catch_warnings():  # "Workbook contains no default style" and such
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _read_errors() as error:
        raise CrackError(f"unreadable XLSX: {error or type(error).__name__}") from error


def _sheets(workbook) -> tuple[list[dict[str, Any]], list[str]]:
    """Pages of the worksheets within the limits, and the warnings."""
    sheets = [(sheet.title, partial(_rows, sheet)) for sheet in workbook.worksheets]
    return sheet_pages(sheets, _read_errors())


def _rows(sheet) -> Iterator[Sequence[Any]]:
    sheet.reset_dimensions()  # a forged dimension would pad every row
    return sheet.iter_rows(values_only=True)


def sheet_pages(sheets: Sequence[tuple[str, Callable[[], Iterable[Sequence[Any]]]]],
                errors: tuple[type[BaseException], ...] = ()
                ) -> tuple[list[dict[str, Any]], list[str]]:
    """Pages of ``(name, rows)`` sheets within :data:`MAX_SHEET_CELLS` and
    :data:`MAX_CELLS`, and the warnings; ``rows()`` yields each row's values. A sheet
    whose reading raises one of ``errors`` keeps the rows read before, with a warning."""
    pages, warnings, budget = [], [], MAX_CELLS
    for index, (name, rows) in enumerate(sheets):
        if budget <= 0:
            left = ", ".join(repr(other) for other, _ in sheets[index:])
            warnings.append(f"workbook truncated after {MAX_CELLS} cells; sheets not read: {left}")
            break
        lines: list[str] = []
        try:
            used, cut = _read_sheet(rows(), min(MAX_SHEET_CELLS, budget), lines)
        except errors as error:
            used, cut = len(lines), False
            warnings.append(f"sheet {name!r} damaged: kept the {len(lines)} rows read before "
                            f"({error or type(error).__name__})")
        budget -= used
        if cut:
            warnings.append(f"sheet {name!r} truncated after {used} cells")
        pages.append({"number": len(pages) + 1, "name": name, "text": "\n".join(lines),
                      "needs_ocr": False})
    return pages, warnings


def _read_sheet(rows: Iterable[Sequence[Any]], limit: int, lines: list[str]) -> tuple[int, bool]:
    """Append the rows' text lines to ``lines``; (cells read, whether the limit cut it)."""
    used = 0
    for row in rows:
        if used + max(1, len(row)) > limit:
            return used, True
        used += max(1, len(row))
        cells = [cell_text(value) for value in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            lines.append("\t".join(cells))
    return used, False


def worksheet_rows(data: bytes, problems: Any) -> Iterator[tuple[str, list[str]]]:
    """(sheet name, cells as text) of every non-blank row of every worksheet, trailing
    empty cells dropped: the records of ``--parsing-mode xlsx`` (``.rows.Rows``). At most
    :data:`MAX_CELLS` cells are read; what stops the reading is added to ``problems``
    (``.rows.Problems``)."""
    try:
        workbook = _open(data)
    except CrackError as error:
        problems.add(str(error))
        return
    budget = MAX_CELLS
    try:
        for sheet in workbook.worksheets:
            for row in _rows(sheet):
                budget -= max(1, len(row))
                if budget < 0:
                    problems.add(f"workbook truncated after {MAX_CELLS} cells")
                    return
                cells = [cell_text(value) for value in row]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    yield sheet.title, cells
    except _read_errors() as error:
        problems.add(f"unreadable XLSX: {error or type(error).__name__}")
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """One cell's value as text (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _properties(workbook) -> dict[str, Any]:
    """title/author/created/modified (empty ones left out) and the sheet names."""
    props = workbook.properties
    found = {"title": props.title, "author": props.creator,
             "created": props.created, "modified": props.modified}
    meta = {key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in found.items() if value}
    meta["sheet_names"] = list(workbook.sheetnames)
    return meta
