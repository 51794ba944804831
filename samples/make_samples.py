"""Generate the enrich demo corpus into ``samples/corpus/``.

Everything in the corpus is drawn or written by this script: fictional basketball
game notes (PDF), a fictional 1960s memo as a scanned page without a text layer,
three drawings (one JPEG with EXIF), a CSV export, a Markdown scouting report and a
DOCX memo. Real players, teams, brands and places are named *fictionally*, as the
product's classic example; nothing here is a real quote or a real report.

The output is deterministic: fixed random seeds, fixed PDF creation dates, fixed
DOCX core properties and ZIP timestamps. Re-running with the same library versions
(fpdf2, Pillow, python-docx) rewrites byte-identical files.

    .venv/bin/python samples/make_samples.py            # writes samples/corpus/
    .venv/bin/python samples/make_samples.py --out DIR  # somewhere else

See ``samples/README.md`` for what each file is and which words are unique to which.
"""

from __future__ import annotations

import argparse
import csv
import io
import zipfile
from pathlib import Path

import numpy as np
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from sample_text import CREATED, CSV_ROWS, DOCX_PARAGRAPHS, FOOTER, GAME_NOTES, MEMO_LINES, SCOUTING_REPORT

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "corpus"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts"), Path("/Library/Fonts"))


def find_font(name: str) -> str | None:
    """Path of a TrueType font shipped with the system, or None."""
    for folder in FONT_DIRS:
        hits = sorted(folder.rglob(name)) if folder.is_dir() else []
        if hits:
            return str(hits[0])
    return None


def load_font(name: str, size: int) -> ImageFont.ImageFont:
    path = find_font(name)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def jpeg_bytes(img: Image.Image, quality: int = 85, exif: Image.Exif | None = None) -> bytes:
    buf = io.BytesIO()
    kwargs = {"exif": exif.tobytes()} if exif is not None else {}
    img.save(buf, "JPEG", quality=quality, optimize=True, **kwargs)
    return buf.getvalue()


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def draw_court(width: int = 400, height: int = 300) -> Image.Image:
    """A half basketball court seen from above, as a 'photo' for a game-notes PDF."""
    img = Image.new("RGB", (width, height), (205, 150, 95))
    d = ImageDraw.Draw(img)
    for x in range(0, width, 16):  # floor boards
        d.line([(x, 0), (x, height)], fill=(190, 138, 86), width=1)
    line = (250, 250, 250)
    d.rectangle([8, 8, width - 9, height - 9], outline=line, width=4)
    d.rectangle([width // 2 - 60, 8, width // 2 + 60, 130], outline=line, fill=(150, 40, 50), width=4)
    d.ellipse([width // 2 - 45, 85, width // 2 + 45, 175], outline=line, width=4)
    d.arc([40, -150, width - 40, 250], 0, 180, fill=line, width=4)
    d.ellipse([width // 2 - 50, height - 60, width // 2 + 50, height + 40], outline=line, width=4)
    d.line([(width // 2 - 30, 30), (width // 2 + 30, 30)], fill=(30, 30, 30), width=5)  # backboard
    d.ellipse([width // 2 - 12, 34, width // 2 + 12, 52], outline=(235, 90, 20), width=3)  # rim
    return img.filter(ImageFilter.SMOOTH)


def draw_basketball(size: int = 400) -> Image.Image:
    img = Image.new("RGB", (size, size), (245, 245, 240))
    d = ImageDraw.Draw(img)
    m, seam = 30, (40, 25, 15)
    d.ellipse([m, m, size - m, size - m], fill=(225, 110, 35), outline=seam, width=6)
    d.line([(size // 2, m), (size // 2, size - m)], fill=seam, width=6)
    d.line([(m, size // 2), (size - m, size // 2)], fill=seam, width=6)
    d.arc([m - 120, m + 20, size // 2 - 20, size - m - 20], -60, 60, fill=seam, width=6)
    d.arc([size // 2 + 20, m + 20, size - m + 120, size - m - 20], 120, 240, fill=seam, width=6)
    return img


def draw_sneaker(width: int = 480, height: int = 320) -> Image.Image:
    """A side view of a basketball shoe with a swoosh-like curve on the upper."""
    img = Image.new("RGB", (width, height), (235, 238, 242))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([40, 230, 450, 270], radius=18, fill=(250, 250, 250), outline=(60, 60, 60), width=3)
    upper = [(50, 232), (60, 150), (110, 120), (170, 70), (250, 60), (270, 120), (330, 150),
             (410, 175), (445, 205), (448, 232)]
    d.polygon(upper, fill=(25, 25, 30), outline=(10, 10, 10))
    d.line([(170, 75), (255, 130)], fill=(200, 200, 200), width=3)  # laces
    d.line([(185, 68), (262, 118)], fill=(200, 200, 200), width=3)
    swoosh = [(90, 205), (160, 212), (260, 196), (400, 150), (270, 212), (170, 226), (105, 222)]
    d.polygon(swoosh, fill=(245, 245, 245))
    return img.filter(ImageFilter.SMOOTH)


def draw_scoreboard(width: int = 520, height: int = 260) -> Image.Image:
    img = Image.new("RGB", (width, height), (20, 20, 24))
    d = ImageDraw.Draw(img)
    big, small = load_font("DejaVuSans-Bold.ttf", 56), load_font("DejaVuSans-Bold.ttf", 26)
    amber, white = (255, 176, 0), (240, 240, 240)
    d.rectangle([6, 6, width - 7, height - 7], outline=(90, 90, 90), width=4)
    d.text((40, 24), "LAKERS", font=small, fill=white)
    d.text((width - 200, 24), "CELTICS", font=small, fill=white)
    d.text((50, 70), "112", font=big, fill=amber)
    d.text((width - 180, 70), "108", font=big, fill=amber)
    d.text((width // 2 - 40, 150), "QTR 4", font=small, fill=white)
    d.text((width // 2 - 40, 190), "0:00", font=small, fill=amber)
    return img


def sneaker_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "enrich samples"  # Make
    exif[0x0110] = "enrich samples"  # Model
    exif[0x010E] = "Drawing of a black basketball shoe with a white curve"  # ImageDescription
    exif[0x0131] = "samples/make_samples.py"  # Software
    exif[0x0132] = "2024:01:15 09:30:00"  # DateTime
    ifd = exif.get_ifd(0x8769)  # Exif sub-IFD
    ifd[0x9003] = "2024:01:14 19:45:00"  # DateTimeOriginal
    ifd[0x9004] = "2024:01:14 19:45:00"  # DateTimeDigitized
    return exif


def typewritten_page(lines: list[str], seed: int = 1963) -> Image.Image:
    """A letter page at 150 dpi: grey paper, typewriter-style text, a little noise and tilt."""
    width, height, margin = 1275, 1650, 120
    rng = np.random.default_rng(seed)
    paper = rng.normal(222, 6, (height, width)).clip(0, 255).astype(np.uint8)
    img = Image.fromarray(paper, "L")
    d = ImageDraw.Draw(img)
    font = load_font("DejaVuSansMono.ttf", 25)
    y = margin
    for line in lines:
        ink = int(rng.integers(25, 60))
        d.text((margin + int(rng.integers(-1, 2)), y), line, font=font, fill=ink)
        y += 40
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    return img.rotate(0.4, resample=Image.BICUBIC, fillcolor=222)


# --------------------------------------------------------------------------- files


class NotesPDF(FPDF):
    """Letter pages with a one-line footer that says the notes are fictional."""

    def footer(self) -> None:
        self.set_y(-18)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 5, f"{FOOTER}  Page {self.page_no()}", align="C")


def new_pdf(title: str, footer: bool = True) -> FPDF:
    pdf = NotesPDF(format="letter") if footer else FPDF(format="letter")
    pdf.set_creation_date(CREATED)
    pdf.set_title(title)
    pdf.set_author("enrich samples")
    pdf.set_creator("samples/make_samples.py")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)
    return pdf


def write_block(pdf: FPDF, kind: str, value: str, pictures: dict[str, bytes]) -> None:
    if kind == "h":
        pdf.set_font("Helvetica", "B", 15)
        pdf.multi_cell(0, 8, value)
        pdf.ln(3)
    elif kind == "p":
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, value)
        pdf.ln(3)
    elif kind == "img":
        w = 110
        pdf.image(io.BytesIO(pictures[value]), x=(pdf.w - w) / 2, w=w)
        pdf.ln(4)


def game_notes_pdf(spec: dict, pictures: dict[str, bytes]) -> bytes:
    pdf = new_pdf(spec["title"])
    for page in spec["pages"]:
        pdf.add_page()
        for kind, value in page:
            write_block(pdf, kind, value, pictures)
    return bytes(pdf.output())


def scanned_pdf(page: Image.Image) -> bytes:
    """One page whose only content is a JPEG of the page: no text layer."""
    pdf = new_pdf("Scanned memo (fictional)", footer=False)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(io.BytesIO(jpeg_bytes(page, quality=60)), x=0, y=0, w=pdf.w, h=pdf.h)
    return bytes(pdf.output())


def csv_text() -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["player", "team", "sponsor", "city", "note"])
    writer.writerows(CSV_ROWS)
    return buf.getvalue()


def docx_bytes() -> bytes | None:
    """A short DOCX memo, or None when python-docx is not installed."""
    try:
        import docx
    except ImportError:
        return None
    doc = docx.Document()
    for kind, text in DOCX_PARAGRAPHS:
        doc.add_heading(text, level=1) if kind == "title" else doc.add_paragraph(text)
    props = doc.core_properties
    props.author = props.last_modified_by = "enrich samples"
    props.title, props.revision = "Travel memo (fictional)", 1
    props.comments = "Generated by samples/make_samples.py for the enrich demo corpus."
    props.created = props.modified = CREATED.replace(tzinfo=None)
    buf = io.BytesIO()
    doc.save(buf)
    return stable_zip(buf.getvalue())


def stable_zip(data: bytes) -> bytes:
    """Rewrite a ZIP with fixed timestamps and order, so the bytes do not depend on the clock."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 15, 9, 30, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def build() -> dict[str, bytes]:
    """All corpus files by name."""
    pictures = {"court": jpeg_bytes(draw_court(), quality=80)}
    files = {spec["file"]: game_notes_pdf(spec, pictures) for spec in GAME_NOTES}
    files["memo-1963-scan.pdf"] = scanned_pdf(typewritten_page(MEMO_LINES))
    files["basketball.png"] = png_bytes(draw_basketball())
    files["sneaker.jpg"] = jpeg_bytes(draw_sneaker(), exif=sneaker_exif())
    files["scoreboard.png"] = png_bytes(draw_scoreboard())
    files["player-notes.csv"] = csv_text().encode("utf-8")
    files["warriors-scouting-report.md"] = SCOUTING_REPORT.encode("utf-8")
    memo = docx_bytes()
    if memo is not None:
        files["lakers-travel-memo.docx"] = memo
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: samples/corpus)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    files = build()
    for name, data in sorted(files.items()):
        (args.out / name).write_bytes(data)
        print(f"{len(data):>9,}  {args.out / name}")
    print(f"{sum(map(len, files.values())):>9,}  total bytes, {len(files)} files")


if __name__ == "__main__":
    main()
