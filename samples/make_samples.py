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
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "corpus"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts"), Path("/Library/Fonts"))
FOOTER = "Fictional game notes written for the enrich demo corpus. Names are used fictionally."
CREATED = datetime(2024, 1, 15, 9, 30, tzinfo=timezone.utc)

# --------------------------------------------------------------------------- text

# Each PDF is a list of pages; each page is a list of blocks: ("h", text) heading,
# ("p", text) paragraph, ("img", name) picture. One page per list on purpose, so that
# page-scope co-occurrence sees the names that belong together on the same page.
LAKERS_AT_CELTICS = {
    "file": "lakers-at-celtics-game-notes.pdf",
    "title": "Game Notes: Los Angeles Lakers at Boston Celtics",
    "pages": [
        [
            ("h", "Game Notes: Los Angeles Lakers at Boston Celtics"),
            ("p", "TD Garden, Boston, Massachusetts. Regular season, 2023-24 (fictional notes)."),
            ("img", "court"),
            ("p", "The Los Angeles Lakers open a four-game road trip in Boston against the Boston "
                  "Celtics. LeBron James arrives after a rest day in Los Angeles and is expected to "
                  "start at forward. He will debut a new colourway of his Nike signature shoe, "
                  "which Nike previewed at a small event in Los Angeles on Monday."),
            ("p", "Jayson Tatum leads the Celtics in scoring over the last ten games. Boston has won "
                  "six straight at home, and the TD Garden crowd expects a close finish."),
        ],
        [
            ("h", "Player notes"),
            ("p", "LeBron James: averaging 25.1 points, 7.4 rebounds and 8.0 assists over his last "
                  "five games. The Lakers staff in Los Angeles kept his minutes under 35 in the last "
                  "back-to-back. James has scored at least 20 points in his last nine visits to "
                  "Boston."),
            ("p", "Anthony Davis: probable with a sore ankle. Davis and LeBron James ran the two-man "
                  "game on almost half of the Lakers half-court possessions last week."),
            ("p", "Jayson Tatum: 29 points per game in January. Tatum has been the first option in "
                  "every Boston Celtics late-game set this month."),
            ("p", "Jaylen Brown: back from a two-game absence. Brown and Tatum together have a plus "
                  "11.3 net rating at TD Garden this season."),
        ],
        [
            ("h", "Off the court"),
            ("p", "Nike hosted a youth clinic in Los Angeles before the trip; LeBron James handed out "
                  "shoes to players from three high schools in South Los Angeles."),
            ("p", "In Boston, Adidas runs a shoe drive outside TD Garden on game night, collecting "
                  "used sneakers for community courts in Roxbury and Dorchester."),
            ("p", "Next game: the Lakers travel to New York City to face the New York Knicks at "
                  "Madison Square Garden, then return west to play the Golden State Warriors in "
                  "San Francisco."),
        ],
    ],
}

WARRIORS_VS_LAKERS = {
    "file": "warriors-vs-lakers-game-notes.pdf",
    "title": "Game Notes: Golden State Warriors vs Los Angeles Lakers",
    "pages": [
        [
            ("h", "Game Notes: Golden State Warriors vs Los Angeles Lakers"),
            ("p", "Chase Center, San Francisco, California. Regular season, 2023-24 (fictional notes)."),
            ("p", "Stephen Curry and the Golden State Warriors host LeBron James and the Los Angeles "
                  "Lakers in the second meeting of the season. The Warriors won the first game in Los "
                  "Angeles by four points, with Curry scoring 14 in the fourth quarter."),
            ("p", "Curry wears the newest Under Armour Curry Flow model tonight; Under Armour staff "
                  "set up a display in the Chase Center concourse. LeBron James is listed in his "
                  "Nike signature shoe, as in every game of this road trip."),
        ],
        [
            ("h", "Player notes"),
            ("p", "Stephen Curry: 11 made three-pointers in his last two games at Chase Center. Curry "
                  "has played every home game this season and leads the Golden State Warriors in "
                  "minutes."),
            ("p", "Draymond Green: back in the starting lineup. Green will likely guard LeBron James "
                  "for long stretches, as he did in Los Angeles."),
            ("p", "Klay Thompson: shooting 41 percent from three in San Francisco this month."),
            ("p", "LeBron James: 31 points and 9 assists in the first meeting. The Los Angeles Lakers "
                  "are 3-1 on this trip after wins in Boston and New York City."),
        ],
        [
            ("h", "Community and sponsors"),
            ("p", "Under Armour and the Warriors unveil a refurbished outdoor court in the Bayview "
                  "district of San Francisco on Saturday. Stephen Curry will attend with his "
                  "foundation."),
            ("p", "Nike staff travelling with the Lakers will visit a middle school in Oakland. "
                  "LeBron James recorded a short video message for the students in Los Angeles "
                  "last week."),
            ("p", "Next game: the Warriors visit the Boston Celtics at TD Garden."),
        ],
    ],
}

CELTICS_VS_WARRIORS = {
    "file": "celtics-vs-warriors-game-notes.pdf",
    "title": "Game Notes: Boston Celtics vs Golden State Warriors",
    "pages": [
        [
            ("h", "Game Notes: Boston Celtics vs Golden State Warriors"),
            ("p", "TD Garden, Boston, Massachusetts. Regular season, 2023-24 (fictional notes)."),
            ("p", "The Boston Celtics host Stephen Curry and the Golden State Warriors on the last "
                  "night of their East Coast trip. Jayson Tatum and Jaylen Brown have both been "
                  "cleared to play. The Warriors flew in from San Francisco on Tuesday."),
            ("p", "Curry again wears Under Armour; a group of Under Armour employees from the "
                  "Baltimore headquarters will sit courtside. Tatum has scored 30 or more in each of "
                  "his last three games against Golden State."),
        ],
        [
            ("h", "Coaching notes"),
            ("p", "Boston's staff expects the Warriors to open with the Kestrelwing set: Curry runs "
                  "off two staggered screens on the weak side while Draymond Green holds the ball at "
                  "the elbow. The Kestrelwing look produced eleven open threes in San Francisco last "
                  "month, so Boston will switch every off-ball screen."),
            ("p", "Jayson Tatum will start on Curry in late-game possessions. Jaylen Brown takes "
                  "Klay Thompson. Boston wants the ball in Tatum's hands on every late possession."),
        ],
        [
            ("h", "Around the arena"),
            ("p", "Adidas collects used sneakers outside TD Garden again tonight for community courts "
                  "in Boston. The Celtics shop on Causeway Street has a Jayson Tatum jersey restock."),
            ("p", "Next games: the Celtics fly to Los Angeles to face LeBron James and the Los Angeles "
                  "Lakers; the Warriors return home to San Francisco."),
        ],
    ],
}

SEASON_NOTEBOOK = {
    "file": "season-notebook.pdf",
    "title": "Season Notebook: Stars, Shoes and Cities",
    "pages": [
        [
            ("h", "Season Notebook: Stars, Shoes and Cities"),
            ("p", "A fictional mid-season notebook on three stars, the brands on their feet and the "
                  "cities they play in."),
            ("p", "LeBron James remains the face of Nike basketball in Los Angeles. Nike opened a "
                  "pop-up store on Figueroa Street near Crypto.com Arena, and LeBron James signed "
                  "shoes there before a Los Angeles Lakers home game."),
            ("p", "Stephen Curry and Under Armour continue a long partnership in San Francisco. The "
                  "Golden State Warriors sold out every game at Chase Center, and Curry's Under "
                  "Armour shoes sold out at the arena store twice."),
        ],
        [
            ("h", "Boston"),
            ("p", "Jayson Tatum carries the Boston Celtics, who lead the East. Boston fans line up on "
                  "Causeway Street hours before tip-off, and an Adidas clinic in Boston drew two "
                  "hundred young players last weekend."),
            ("h", "What to watch"),
            ("p", "LeBron James against Jayson Tatum in Boston and in Los Angeles; Stephen Curry "
                  "against the Lakers in San Francisco; and Nike, Under Armour and Adidas each "
                  "planning a spring launch in the three cities."),
        ],
    ],
}

GAME_NOTES = (LAKERS_AT_CELTICS, WARRIORS_VS_LAKERS, CELTICS_VS_WARRIORS, SEASON_NOTEBOOK)

MEMO_LINES = [
    "CONFIDENTIAL  (FICTIONAL DOCUMENT)",
    "",
    "MEMORANDUM FOR THE RECORD                     14 November 1963",
    "",
    "SUBJECT: Meeting with LANTERNFISH contact, Mexico City",
    "",
    "1. On 12 November 1963 the undersigned met Mr. Arthur Penrose",
    "   of the Gulfport Shipping Company at the Hotel Geneve,",
    "   Mexico City. The meeting lasted about forty minutes.",
    "",
    "2. Penrose said that two associates would travel from New",
    "   Orleans to Miami during the week of 18 November. He named",
    "   them only as Walter Haines and a Mr. Delgado.",
    "",
    "3. LANTERNFISH asked that further contact be made through the",
    "   Dallas office. The undersigned agreed to pass the request",
    "   to Mr. Thomas Whitcomb for decision.",
    "",
    "4. No documents were exchanged. A follow-up meeting is",
    "   planned for early December in Mexico City.",
    "",
    "                                   R. E. Calloway",
    "                                   Station Officer",
    "",
    "Distribution: File (2), Whitcomb (1)",
    "",
    "Fictional memo generated for the enrich demo corpus.",
]

CSV_ROWS = [
    ("LeBron James", "Los Angeles Lakers", "Nike", "Los Angeles",
     "Debuts a new Nike colourway in Boston; minutes managed on back-to-backs."),
    ("Anthony Davis", "Los Angeles Lakers", "Nike", "Los Angeles",
     "Probable with a sore ankle; runs the two-man game with LeBron James."),
    ("Stephen Curry", "Golden State Warriors", "Under Armour", "San Francisco",
     "Under Armour display at Chase Center; eleven threes in two home games."),
    ("Klay Thompson", "Golden State Warriors", "Anta", "San Francisco",
     "Shooting 41 percent from three in San Francisco this month."),
    ("Draymond Green", "Golden State Warriors", "Nike", "San Francisco",
     "Expected to guard LeBron James for long stretches."),
    ("Jayson Tatum", "Boston Celtics", "Jordan Brand", "Boston",
     "Thirty or more points in three straight games against Golden State."),
    ("Jaylen Brown", "Boston Celtics", "Adidas", "Boston",
     "Back from a two-game absence; Adidas shoe drive outside TD Garden."),
    ("LeBron James", "Los Angeles Lakers", "Nike", "Los Angeles",
     "Signed shoes at the Nike pop-up on Figueroa Street in Los Angeles."),
]

SCOUTING_REPORT = """\
# Scouting report: Golden State Warriors (fictional)

*Written for the enrich demo corpus. Names are used fictionally; these are not real
scouting notes.*

## Summary

The Golden State Warriors still run their offence through **Stephen Curry**. In San
Francisco the Warriors play faster, and Curry takes more pull-up threes in the first
quarter. Under Armour staff are courtside at most home games at Chase Center.

## Key players

| player | role | note |
|---|---|---|
| Stephen Curry | guard | constant off-ball movement; switch every screen |
| Draymond Green | forward | the passer at the elbow; guards LeBron James in matchups with the Lakers |
| Klay Thompson | guard | catch-and-shoot threat on the weak side |

## Matchups

- Against the **Los Angeles Lakers**, Green guards LeBron James and the Warriors send a
  second defender when James drives from the left wing.
- Against the **Boston Celtics**, Jayson Tatum usually guards Curry late in games; the
  Warriors answer by screening for Curry twice in a row.

## Travel

The Warriors play in Boston and New York City next month, then return to San Francisco
for a five-game home stand.
"""

DOCX_PARAGRAPHS = [
    ("title", "Travel memo: Lakers East Coast trip (fictional)"),
    ("p", "To: Team operations. From: Travel desk. Written for the enrich demo corpus; names are "
          "used fictionally."),
    ("p", "The Los Angeles Lakers leave Los Angeles on Sunday for Boston, then New York City, then "
          "San Francisco. LeBron James and Anthony Davis fly with the team; Nike will ship two "
          "cases of shoes directly to the team hotel in Boston."),
    ("p", "In San Francisco the team stays near Chase Center. The bus leaves for the arena at 4:30 "
          "pm on game day against the Golden State Warriors."),
    ("p", "Please confirm meal counts with the travel desk by Friday."),
]

# ----------------------------------------------------------------------- drawings


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
