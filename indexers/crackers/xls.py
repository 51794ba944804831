"""XLS cracker (xlrd): Excel 97-2003 workbooks, one page per worksheet like XLSX.

xlrd (2.x reads ``.xls`` only, BIFF 2-8) is the maintained reader of the binary Excel
format. Pages, cell text and the cell limits are the XLSX cracker's
(:func:`~.xlsx.sheet_pages`, :func:`~.xlsx.cell_text`): a sheet's rows as tab-separated
lines, numbers as written, dates in ISO 8601 (xlrd tells a date by the cell's number
format), booleans as ``TRUE``/``FALSE``, error cells as Excel shows them (``#DIV/0!``).

xlrd parses a whole worksheet when it is first read (``on_demand`` loads sheets one at
a time), so a file over :data:`MAX_XLS_BYTES` is refused with the advice to convert it
to ``.xlsx``, which is streamed. A password-protected workbook fails with
``"password-protected .xls workbook: ..."``; a damaged one with ``"unreadable XLS:
..."``. ``metadata``: ``author`` (the last user xlrd reports), ``page_count``,
``sheet_names``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from functools import partial
from typing import Any

from .base import Blob, Cracker, CrackError, new_document
from .sniff import OLE2
from .xlsx import sheet_pages

__all__ = ["XlsCracker", "MAX_XLS_BYTES"]

MAX_XLS_BYTES = 32 * 1024 * 1024  # larger .xls files are refused (xlrd loads a sheet whole)
XLS = "application/vnd.ms-excel"


class XlsCracker(Cracker):
    """Excel 97-2003 workbooks (.xls, .xlt)."""

    name = "xls"
    mime_types = (XLS,)
    extensions = ("xls", "xlt")

    def score(self, blob: Blob) -> int:
        """Also a compound file whose directory was not seen (damaged, or past the
        sniffed head of a large file) named .xls: xlrd says what is wrong with it."""
        if blob.mime_type == OLE2 and blob.extension in self.extensions:
            return 10
        return super().score(blob)

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        if len(blob.data) > MAX_XLS_BYTES:
            raise CrackError(f".xls workbook of {len(blob.data)} bytes is over the "
                             f"{MAX_XLS_BYTES} bytes read in the old binary format; convert "
                             "it to .xlsx (read as a stream) and index the copy")
        import xlrd  # imported on the first .xls only

        try:
            book = xlrd.open_workbook(file_contents=bytes(blob.data), on_demand=True,
                                      logfile=_Quiet())
        except _ERRORS + (xlrd.XLRDError, xlrd.compdoc.CompDocError) as error:
            raise CrackError(_reason(error)) from error
        try:
            doc = new_document(blob, **({"author": book.user_name} if book.user_name else {}))
            doc["metadata"]["sheet_names"] = book.sheet_names()
            sheets = [(name, partial(_rows, book, n)) for n, name in enumerate(book.sheet_names())]
            doc["pages"], doc["warnings"] = sheet_pages(
                sheets, _ERRORS + (xlrd.XLRDError, xlrd.compdoc.CompDocError))
        except _ERRORS + (xlrd.XLRDError, xlrd.compdoc.CompDocError) as error:
            raise CrackError(_reason(error)) from error
        finally:
            book.release_resources()
        doc["metadata"]["page_count"] = len(doc["pages"])
        return [doc]


_ERRORS = (ValueError, KeyError, IndexError, TypeError, AssertionError, AttributeError,
           struct.error, EOFError, OverflowError, UnicodeDecodeError, ZeroDivisionError,
           MemoryError, RecursionError)


def _reason(error: BaseException) -> str:
    message = str(error) or type(error).__name__
    if "encrypted" in message.lower():
        return ("password-protected .xls workbook: save a copy without the password and "
                "index that copy")
    return f"unreadable XLS: {message}"


def _rows(book, index: int) -> Iterator[list[Any]]:
    """The values of a sheet's rows, as the XLSX reader gives them."""
    import xlrd

    sheet = book.sheet_by_index(index)
    try:
        for r in range(sheet.nrows):
            yield [_value(cell, book.datemode, xlrd) for cell in sheet.row(r)]
    finally:
        book.unload_sheet(index)


def _value(cell, datemode: int, xlrd) -> Any:
    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value


class _Quiet:
    """xlrd writes warnings (odd records) to a log file; they are not the user's concern."""

    def write(self, text: str) -> None:
        pass
