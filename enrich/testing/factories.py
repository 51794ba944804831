"""Tiny fixture files for the tests and the benchmarks.

Every function writes one small file at ``path`` and returns ``path`` (as a
``Path``). They are deterministic and fast (milliseconds), so tests build their
fixtures in ``tmp_path`` instead of checking binaries into the repository, and
``bench/`` builds its corpora with the same code.

Good files: :func:`text_pdf`, :func:`scanned_pdf`, :func:`text_image`, :func:`png`,
:func:`jpeg_with_exif`, :func:`docx`, :func:`csv_file`.
Bad files: :func:`zero_byte_pdf`, :func:`header_only_pdf`, :func:`encrypted_pdf`,
:func:`broken_xref_pdf`, :func:`cyclic_xobject_pdf`, :func:`invalid_utf8_txt`,
:func:`huge_png`.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from enrich.errors import MissingPackage

PathLike = str | Path

# The EXIF values jpeg_with_exif writes, so tests can assert on them.
EXIF_MAKE = "EnrichCam"
EXIF_MODEL = "Model 7"
EXIF_DATETIME_ORIGINAL = "2023:05:01 12:34:56"


def _photo(size: tuple[int, int] = (200, 150)) -> Image.Image:
    """A colourful generated 'photo' (gradient plus shapes), deterministic."""
    w, h = size
    img = Image.new("RGB", size)
    img.putdata([(x * 255 // w, y * 255 // h, 128) for y in range(h) for x in range(w)])
    draw = ImageDraw.Draw(img)
    draw.ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(220, 40, 40))
    return img


# --------------------------------------------------------------------- PDFs


def _fpdf() -> type:
    """fpdf2's ``FPDF`` class; it is a ``dev`` extra, not a runtime dependency."""
    try:
        from fpdf import FPDF
    except ImportError as exc:
        raise MissingPackage("fpdf2", "dev", "Writing PDF fixtures") from exc
    return FPDF


def text_pdf(path: PathLike, pages: Sequence[str], image: bool = False,
             title: str | None = None, author: str | None = None) -> Path:
    """A born-digital PDF (A4) with one text page per item of ``pages``.

    With ``image=True`` a generated 200x150 px photo is drawn on page 1 at
    x=20 mm, y=60 mm (top-left origin), 70 mm wide.
    """
    FPDF = _fpdf()
    pdf = FPDF()
    pdf.set_creation_date(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_font("Helvetica", size=12)
    for number, text in enumerate(pages, 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
        if image and number == 1:
            pdf.image(_photo(), x=20, y=60, w=70)
    pdf.output(str(path))
    return Path(path)


def _render_text(text: str, size: tuple[int, int] = (850, 1100)) -> Image.Image:
    """White page with ``text`` drawn in black, like a 100 dpi letter-size scan."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=40)
    draw.multiline_text((60, 80), text, fill=0, font=font)
    return img


def scanned_pdf(path: PathLike, text: str, *more_pages: str) -> Path:
    """A PDF whose pages are only JPEG images of ``text`` (and ``more_pages``): no text layer."""
    FPDF = _fpdf()
    pdf = FPDF(unit="pt", format="letter")
    for page in (text, *more_pages):
        buf = io.BytesIO()
        _render_text(page).save(buf, format="JPEG", quality=80)
        buf.seek(0)
        pdf.add_page()
        pdf.image(buf, x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.output(str(path))
    return Path(path)


def text_image(path: PathLike, text: str, size: tuple[int, int] = (700, 300)) -> Path:
    """A picture of ``text`` (black on white, saved in the format ``path``'s suffix names)."""
    _render_text(text, size=size).save(path)
    return Path(path)


def zero_byte_pdf(path: PathLike) -> Path:
    """An empty file named like a PDF."""
    Path(path).write_bytes(b"")
    return Path(path)


def header_only_pdf(path: PathLike) -> Path:
    """Just the PDF header line and nothing else."""
    Path(path).write_bytes(b"%PDF-1.7\n")
    return Path(path)


def encrypted_pdf(path: PathLike, user_password: str = "secret") -> Path:
    """A text PDF that needs ``user_password`` to open (RC4, fpdf2)."""
    FPDF = _fpdf()
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-" + user_password, user_password=user_password)
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 6, "classified text")
    pdf.output(str(path))
    return Path(path)


def broken_xref_pdf(path: PathLike, text: str = "xref damage survivor") -> Path:
    """A text PDF whose xref table and ``startxref`` offset are garbage.

    The objects themselves are intact, so a reader that rebuilds the
    cross-reference table by scanning for ``N 0 obj`` (pdfium does) still gets
    the text; every offset the file states is wrong.
    """
    data = text_pdf(path, [text]).read_bytes()
    xref = data.rindex(b"\nxref\n") + 1
    # Scramble every offset in the table, keeping its length.
    table_end = data.index(b"trailer", xref)
    table = re.sub(rb"\d{10} (\d{5}) ([nf])", rb"0000000017 \1 \2", data[xref:table_end])
    tail = re.sub(rb"startxref\s+\d+", b"startxref\n12", data[table_end:])
    Path(path).write_bytes(data[:xref] + table + tail)
    return Path(path)


def _assemble_pdf(objects: Sequence[bytes]) -> bytes:
    """A classic PDF file from object bodies (object i+1 = objects[i]), catalog = 1."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(dictionary: bytes, content: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(content), content)


def cyclic_xobject_pdf(path: PathLike, fan_out: int = 1) -> Path:
    """Handwritten PDF whose form XObjects draw each other: Fm1 -> Fm2 -> Fm1 ...

    The page also shows the real text "cycle survivor", which a cracker must
    still find without hanging or overflowing the stack. With ``fan_out=2``
    each form draws the other twice: 2^depth drawings, a "billion laughs" PDF.
    """
    draw = b" /%s Do" * fan_out
    form = b"/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /XObject << /%s %d 0 R >> >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Fm1 6 0 R >> >> >>",
        _stream(b"", b"BT /F1 24 Tf 72 700 Td (cycle survivor) Tj ET q /Fm1 Do Q"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(form % (b"Fm2", 7), b"q 0 0 50 50 re f%s Q" % (draw % ((b"Fm2",) * fan_out))),
        _stream(form % (b"Fm1", 6), b"q 0 0 20 20 re f%s Q" % (draw % ((b"Fm1",) * fan_out))),
    ]
    Path(path).write_bytes(_assemble_pdf(objects))
    return Path(path)


# ------------------------------------------------------------------- images


def noise_png(seed: int, size: tuple[int, int] = (96, 72)) -> bytes:
    """PNG bytes of random pixels (``size`` is width, height): a distinct image per seed."""
    import numpy as np

    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def png(path: PathLike, size: tuple[int, int] = (64, 48)) -> Path:
    """A small RGB PNG (generated photo)."""
    _photo(size).save(path, format="PNG")
    return Path(path)


def jpeg_with_exif(path: PathLike, size: tuple[int, int] = (64, 48)) -> Path:
    """A JPEG with Make, Model (IFD0) and DateTimeOriginal (Exif IFD) tags."""
    exif = Image.Exif()
    exif[0x010F] = EXIF_MAKE
    exif[0x0110] = EXIF_MODEL
    exif.get_ifd(0x8769)[0x9003] = EXIF_DATETIME_ORIGINAL
    _photo(size).save(path, format="JPEG", exif=exif.tobytes())
    return Path(path)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _zeros_zlib(size: int, block_size: int = 1 << 21) -> bytes:
    """A zlib stream of ``size`` zero bytes, built without holding them in memory.

    One block is deflated once and its (byte-aligned, full-flushed) output is
    repeated; the Adler-32 trailer is computed block by block.
    """
    def deflate(n: int, mode: int) -> bytes:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        return packer.compress(bytes(n)) + packer.flush(mode)

    full, rest = divmod(size, block_size)
    body, adler = deflate(block_size, zlib.Z_FULL_FLUSH) * full, 1
    for _ in range(full):
        adler = zlib.adler32(bytes(block_size), adler)
    adler = zlib.adler32(bytes(rest), adler)
    return b"\x78\xda" + body + deflate(rest, zlib.Z_FINISH) + struct.pack(">I", adler)


def huge_png(path: PathLike, width: int = 20000, height: int = 20000) -> Path:
    """A valid all-black 8-bit grayscale PNG of ``width`` x ``height`` pixels.

    Written by hand: 20000x20000 (400 MB of pixels) costs ~400 KB on disk and
    a fraction of a second, and the pixels never exist in memory.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = _zeros_zlib((width + 1) * height)  # each row: filter byte 0 + pixels
    data = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))
    Path(path).write_bytes(data)
    return Path(path)


# ------------------------------------------------------------ office, text


def docx(path: PathLike, paragraphs: Iterable[str], table: Sequence[Sequence[str]] | None = None,
         title: str | None = None, author: str | None = None) -> Path:
    """A DOCX with ``paragraphs``, then an optional ``table`` (rows of cells)."""
    import docx as python_docx

    document = python_docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    props = document.core_properties
    props.title, props.author = title or "", author or ""
    props.created = datetime(2024, 1, 2, 3, 4, 5)
    document.save(str(path))
    return Path(path)


def csv_file(path: PathLike, rows: Iterable[Sequence[object]], delimiter: str = ",") -> Path:
    """A CSV file of ``rows`` (the first row is the header)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return Path(path)


INVALID_UTF8_BYTES = b"\xff\xfe\xc3\x28"


def invalid_utf8_txt(path: PathLike) -> Path:
    """UTF-8 text (with real accents) damaged by 4 bytes that are not UTF-8."""
    good = "Caf\u00e9 na\u00efve r\u00e9sum\u00e9: the quick brown fox.\n".encode()
    Path(path).write_bytes(good + b"broken " + INVALID_UTF8_BYTES + b" bytes here\n" + good)
    return Path(path)


# ------------------------------------------------- images inside documents


def gradient_photo(size: tuple[int, int]) -> Image.Image:
    """Like ``_photo`` (red across, green down, a red disc) but built in C: fast at any size."""
    w, h = size
    down = Image.linear_gradient("L")  # 256x256, 0 at the top
    red = down.transpose(Image.Transpose.ROTATE_90).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    img = Image.merge("RGB", (red.resize(size), down.resize(size), Image.new("L", size, 128)))
    ImageDraw.Draw(img).ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(220, 40, 40))
    return img


def photo_bytes(size: tuple[int, int], format: str = "JPEG", mode: str = "RGB") -> bytes:
    """A generated photo (:func:`gradient_photo`) of ``size`` pixels encoded as ``format``."""
    buf = io.BytesIO()
    gradient_photo(size).convert(mode).save(buf, format=format)
    return buf.getvalue()


def image_file(path: PathLike, size: tuple[int, int] = (64, 48), format: str = "PNG",
               mode: str = "RGB") -> Path:
    """A generated photo saved as ``format`` (BMP, TIFF, GIF, WEBP, JPEG, PNG) in ``mode``."""
    Path(path).write_bytes(photo_bytes(size, format, mode))
    return Path(path)


def flow_pdf(path: PathLike, blocks: Sequence[str | tuple[int, int]], image_width_mm: float = 60.0,
             image_format: str = "JPEG") -> Path:
    """A one-page A4 PDF drawing ``blocks`` top to bottom at the left margin.

    A ``str`` is a paragraph (Helvetica 12, 6 mm lines); a ``(width, height)``
    tuple is a generated photo of that many pixels, drawn ``image_width_mm`` wide
    and stored as ``image_format``: ``"JPEG"`` is embedded as is (DCTDecode),
    ``"PNG"`` as Flate-compressed pixels.
    """
    FPDF = _fpdf()
    pdf = FPDF()
    pdf.set_creation_date(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    for block in blocks:
        if isinstance(block, str):
            pdf.multi_cell(0, 6, block, new_x="LMARGIN", new_y="NEXT")
        else:
            source = (io.BytesIO(photo_bytes(tuple(block), "JPEG")) if image_format == "JPEG"
                      else gradient_photo(tuple(block)))
            pdf.image(source, x=pdf.l_margin, w=image_width_mm)  # moves y below the image
            pdf.set_x(pdf.l_margin)
    pdf.output(str(path))
    return Path(path)


def _gray_image_object(width: int, height: int, data: bytes, flate: bool = False) -> bytes:
    extra = b" /Filter /FlateDecode" if flate else b""
    return _stream(b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                   b"/BitsPerComponent 8%s" % (width, height, extra), data)


def huge_image_pdf(path: PathLike, width: int = 20000, height: int = 20000) -> Path:
    """A text page showing an all-black ``width`` x ``height`` greyscale image, then a 100x80 one.

    Handwritten: the big image's pixels are a zlib stream of zeros (~400 KB for
    20000x20000), so the file is small while decoding it would need 400 MB.
    The text "huge image survivor" is above both images.
    """
    small = bytes(x * 2 for x in range(100)) * 80
    content = (b"BT /F1 12 Tf 72 740 Td (huge image survivor) Tj ET "
               b"q 200 0 0 200 72 500 cm /Im1 Do Q q 100 0 0 80 72 380 cm /Im2 Do Q")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R /Im2 7 0 R >> >> >>",
        _stream(b"", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _gray_image_object(width, height, _zeros_zlib(width * height), flate=True),
        _gray_image_object(100, 80, small),
    ]
    Path(path).write_bytes(_assemble_pdf(objects))
    return Path(path)


def textless_pdf(path: PathLike, width_pt: float = 612, height_pt: float = 792) -> Path:
    """One page of ``width_pt`` x ``height_pt`` points with a drawn box and no text at all."""
    content = b"0.2 g 36 36 %.2f %.2f re f" % (width_pt / 2, height_pt / 2)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents 4 0 R >>"
        % (width_pt, height_pt),
        _stream(b"", content),
    ]
    Path(path).write_bytes(_assemble_pdf(objects))
    return Path(path)


def offpage_text_pdf(path: PathLike) -> Path:
    """Text above and below a 100x80 image, plus text drawn outside the page box.

    pdfium lists the outside characters ("hidden outside") among the page's
    characters but leaves them out of the page text, so character indexes and
    text indexes differ on this page. The image is drawn inside a form XObject
    translated by ``cm``, so its page position needs the form's matrix.
    """
    gradient = bytes(x * 2 for x in range(100)) * 80
    content = (b"BT /F1 12 Tf 72 720 Td (Above the picture) Tj ET "
               b"BT /F1 12 Tf -300 500 Td (hidden outside) Tj ET "
               b"q 1 0 0 1 72 540 cm /Fm1 Do Q "
               b"BT /F1 12 Tf 72 500 Td (Below the picture) Tj ET")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Fm1 6 0 R >> >> >>",
        _stream(b"", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 200 160] "
                b"/Resources << /XObject << /Im1 7 0 R >> >>", b"q 200 0 0 160 0 0 cm /Im1 Do Q"),
        _gray_image_object(100, 80, gradient),
    ]
    Path(path).write_bytes(_assemble_pdf(objects))
    return Path(path)


def default_skillset_without(path: PathLike, skills: Sequence[str]) -> Path:
    """The built-in skillset without ``skills``, written as YAML to ``path``."""
    import yaml

    from enrich.skillset import Skillset

    described = Skillset.default().to_dict()
    described["skills"] = [s for s in described["skills"] if s["skill"] not in skills]
    Path(path).write_text(yaml.safe_dump(described), encoding="utf-8")
    return Path(path)
