"""Office files this project cannot read, failed with a reason that says what to do.

OLE2 compound files (magic ``D0 CF 11 E0``) are sniffed by the streams they hold
(:mod:`.sniff`): Word 97-2003 ``.doc`` (``WordDocument``), PowerPoint 97-2003 ``.ppt``
(``PowerPoint Document``), a password-protected ``.docx``/``.xlsx``/``.pptx``
(``EncryptedPackage``: Office wraps the encrypted package in OLE2) and any other
compound file; and the Excel binary workbook ``.xlsb`` (a zip of binary parts, which
openpyxl does not read). Excel 97-2003 ``.xls`` (``Workbook``) has a reader (:mod:`.xls`,
xlrd, maintained) and is not taken here; nor is an Outlook ``.msg`` (sniffed by its
``__substg1.0_`` streams), read by :mod:`.msg` with olefile.

No maintained pure-Python or wheel library reads ``.doc`` or ``.ppt`` text: checked
were python-docx and python-pptx (Open XML only), olefile (reads the OLE2 container,
not the Word/PowerPoint binary records inside), msoffcrypto-tool (decrypts, does not
parse), oletools (macro and OLE analysis), textract and antiword/catdoc (unmaintained
or external programs). So these fail with :class:`CrackError`, e.g. ``"legacy Word
97-2003 document (.doc) is not supported: convert it to the Open XML format
(.docx/.xlsx/.pptx) ..."``; the run records the reason and goes on.
"""

from __future__ import annotations

from typing import Any

from .base import Blob, Cracker, CrackError
from .sniff import ENCRYPTED_OOXML, OLE2, XLSB

__all__ = ["LegacyOfficeCracker", "CONVERT_HINT", "ENCRYPTED_MESSAGE"]

CONVERT_HINT = ("convert it to the Open XML format (.docx/.xlsx/.pptx), for example with "
                "`libreoffice --headless --convert-to docx FILE`, and index the copy")
ENCRYPTED_MESSAGE = ("password-protected Office file (an encrypted .docx/.xlsx/.pptx): "
                     "save a copy without the password and index that copy")

_KINDS = {  # extension -> what the file is, for the message
    "doc": "Word 97-2003 document (.doc)", "dot": "Word 97-2003 template (.dot)",
    "ppt": "PowerPoint 97-2003 presentation (.ppt)",
    "pps": "PowerPoint 97-2003 slide show (.pps)", "pot": "PowerPoint 97-2003 template (.pot)",
    "xlsb": "Excel binary workbook (.xlsb)",
}
_MIME_KINDS = {"application/msword": "doc", "application/vnd.ms-powerpoint": "ppt",
               XLSB: "xlsb"}


class LegacyOfficeCracker(Cracker):
    """Legacy binary Office files and password-protected OOXML: failed with the reason."""

    name = "legacy-office"
    mime_types = (*sorted(_MIME_KINDS), ENCRYPTED_OOXML, OLE2)
    extensions = tuple(_KINDS)

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        raise CrackError(reason(blob))


def reason(blob: Blob) -> str:
    """Why ``blob`` cannot be cracked and what to do about it."""
    if blob.mime_type == ENCRYPTED_OOXML:
        return ENCRYPTED_MESSAGE
    if blob.extension == "msg":  # an .msg whose property streams were not found
        return ("damaged Outlook message (.msg): a compound file without the message's "
                "property streams (truncated or not a message)")
    extension = _MIME_KINDS.get(blob.mime_type or "") or blob.extension
    kind = _KINDS.get(extension)
    if kind:
        return f"{'' if extension == 'xlsb' else 'legacy '}{kind} is not supported: {CONVERT_HINT}"
    return ("OLE2 compound file of an unknown kind (not Word, Excel, PowerPoint or Outlook) "
            "is not supported; if it is an Office file, " + CONVERT_HINT)
