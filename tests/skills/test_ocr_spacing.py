"""Spaces restored in RapidOCR segments: the page's gap threshold, the gaps measured
on drawn ink, and RapidOCR itself on a typed, scanned page."""

import io
import random
import shutil

import numpy as np
import pytest
from PIL import Image

from enrich.testing.ocr_scans import DEGRADATIONS, font_files, typed_page
from skills import ocr_spacing
from skills.ocr import OcrSkill
from skills.ocr_spacing import MIN_GAP, gap_threshold, restore_spaces, segment_gaps


def gaps(rng, centre, spread, n):
    return [max(0.0, rng.gauss(centre, spread)) for _ in range(n)]


@pytest.mark.parametrize("letter, word", [(0.15, 0.62), (0.08, 0.3), (0.02, 0.2)],
                         ids=["monospace", "proportional", "worn-proportional"])
def test_threshold_lies_between_the_pages_letter_and_word_gaps(letter, word):
    rng = random.Random(7)
    labelled = gaps(rng, word, 0.03, 60)
    dropped = gaps(rng, word, 0.03, 12)  # word gaps the engine read without a space
    unlabelled = gaps(rng, letter, 0.03, 300) + dropped
    threshold = gap_threshold(labelled, unlabelled)
    assert letter + 0.05 < threshold < word - 0.05
    assert sum(g > threshold for g in unlabelled) == pytest.approx(len(dropped), abs=3)


def test_monospace_letter_gaps_are_no_word_gaps_on_a_proportional_scale():
    rng = random.Random(3)  # monospace: letter gaps as wide as a proportional word gap
    threshold = gap_threshold(gaps(rng, 0.6, 0.03, 40), gaps(rng, 0.25, 0.03, 200))
    assert threshold > 0.32


def test_few_labelled_spaces_fall_back_to_the_split_of_all_gaps():
    rng = random.Random(5)
    unlabelled = gaps(rng, 0.05, 0.02, 80) + gaps(rng, 0.3, 0.02, 15)
    threshold = gap_threshold([0.31, 0.29], unlabelled)
    assert 0.1 < threshold < 0.25


def test_single_words_get_no_space_inside():
    rng = random.Random(9)
    assert gap_threshold([], gaps(rng, 0.06, 0.02, 40)) >= MIN_GAP
    assert gap_threshold([], [0.1, 0.1, 0.1]) >= MIN_GAP


def ink_line(cells):
    """A grey page with one row of black bars at ``cells`` ([x0, x1] pairs), its
    segment polygon and one character box per bar (centred on it)."""
    grey = np.full((80, 40 + cells[-1][1]), 255, np.uint8)
    for x0, x1 in cells:
        grey[20:60, x0:x1] = 0
    polygon = [[10, 15], [cells[-1][1] + 10, 15], [cells[-1][1] + 10, 65], [10, 65]]
    boxes = [[[x0, 15], [x1, 15], [x1, 65], [x0, 65]] for x0, x1 in cells]
    return grey, polygon, boxes


def test_gaps_are_measured_on_the_ink_between_characters():
    grey, polygon, boxes = ink_line([(20, 40), (45, 65), (90, 110)])
    measured = segment_gaps(grey, polygon, boxes, "abc")
    assert [(i, lab) for i, _, lab in measured] == [(1, False), (2, False)]
    assert measured[0][1] == pytest.approx(5 / 50, abs=0.03)
    assert measured[1][1] == pytest.approx(25 / 50, abs=0.03)


def test_spaces_restored_where_gaps_match_the_engines_own_spaces():
    rng = random.Random(1)
    cells, text, x = [], "", 20
    for word in range(12):
        if word:
            text += " " if word % 3 else ""  # every third space dropped by the engine
            x += 15  # word gap 18 px
        letters = rng.randint(2, 6)
        for _ in range(letters):
            cells.append((x, x + 14))
            x += 17  # letter gap 3 px
        text += "x" * letters
    grey, polygon, boxes = ink_line(cells)
    chars = text.replace(" ", "")
    spaced_boxes, k = [], 0
    for char in text:  # the engine's boxes: one per character, a space's is the next one's
        spaced_boxes.append(boxes[k])
        k += char != " "
    found = [[polygon, text, 0.9, spaced_boxes, list(text), [0.9] * len(text)]]
    [restored] = restore_spaces(grey, found)
    assert restored.split() == ["x" * len(w) for w in restored.split()]
    assert len(restored.split()) == 12 and restored.replace(" ", "") == chars


def test_results_without_character_boxes_keep_their_text():
    grey = np.full((50, 50), 255, np.uint8)
    assert restore_spaces(grey, [[[[0, 0], [9, 0], [9, 9], [0, 9]], "ab", 0.9]]) == ["ab"]


FONTS = {path.name: path for path in font_files()}


@pytest.mark.skipif("LiberationSerif-Regular.ttf" not in FONTS,
                    reason="the Liberation fonts are not installed (fonts-liberation)")
def test_rapidocr_reads_typed_words_apart(monkeypatch):
    text = ("NOTICE TO ALL STAFF\nPlease send the two reports to the office\n"
            "before noon on the first day of the month. Do not approach the crew.")
    office = next(d for d in DEGRADATIONS if d.name == "office")
    page = typed_page(text, FONTS["LiberationSerif-Regular.ttf"], office, seed=3)
    buffer = io.BytesIO()
    page.convert("RGB").crop((0, 0, page.width, 700)).save(buffer, "PNG")
    skill = OcrSkill(engine="rapidocr", threads=1)
    skill.warm_up()
    [result] = skill.run([{"image": buffer.getvalue()}])
    assert result["ocr"]["text"].split("\n")[0] == "NOTICE TO ALL STAFF"
    assert "Do not approach the crew" in result["ocr"]["text"]
    # without the restoration, RapidOCR runs the first line's words together
    monkeypatch.setattr(ocr_spacing, "restore_spaces", lambda grey, found: [r[1] for r in found])
    [raw] = skill.run([{"image": buffer.getvalue()}])
    assert raw["ocr"]["text"].split("\n")[0] != "NOTICE TO ALL STAFF"


def test_words_span_their_characters_boxes_and_confidences():
    from skills.ocr import _split_words

    box = [[10, 5], [20, 5], [20, 30], [10, 30]]
    result = [[[0, 0], [90, 0], [90, 40], [0, 40]], "ab c", 0.8,
              [box, [[22, 5], [30, 5], [30, 30], [22, 30]], box,
               [[60, 5], [75, 5], [75, 30], [60, 30]]],
              list("ab c"), [0.9, 0.7, 0.5, 0.6]]
    marks = ocr_spacing.char_marks(result)
    assert marks == [([10, 5, 20, 30], 0.9), ([22, 5, 30, 30], 0.7), ([60, 5, 75, 30], 0.6)]
    segment = {"text": "ab c", "box": [0, 0, 90, 40], "confidence": 0.8}
    words = _split_words(segment, marks)
    assert words == [{"text": "ab", "box": [10, 0, 30, 40], "confidence": 0.8},
                     {"text": "c", "box": [60, 0, 75, 40], "confidence": 0.6}]
    assert ocr_spacing.char_marks(result[:3]) is None  # read without return_word_box
    # boxes (or confidences) that do not match the text: no marks, the text kept as read
    grey = np.full((50, 100), 255, np.uint8)
    for bad in ([*result[:4], list("abXc"), result[5]], [*result[:3], result[3][:3],
                                                         list("ab c"), result[5]],
                [*result[:5], result[5][:2]]):
        assert ocr_spacing.char_marks(bad) is None
        assert restore_spaces(grey, [bad]) == ["ab c"]


@pytest.mark.parametrize("angle", [-1.5, 0.7, 2.4])
def test_skew_of_a_typed_page_is_found(angle):
    from enrich.testing.ocr_scans import memo_texts
    from skills.ocr_preprocess import skew_angle

    clean = next(d for d in DEGRADATIONS if d.name == "clean")
    page = typed_page(memo_texts()[0], None, clean, seed=1)
    turned = page.rotate(angle, fillcolor=255)
    assert skew_angle(np.asarray(turned)) == pytest.approx(-angle, abs=0.15)
    assert skew_angle(np.asarray(page)) == pytest.approx(0, abs=0.15)
    assert skew_angle(np.full((200, 200), 255, np.uint8)) == 0.0  # blank


def test_boxes_on_a_turned_page_map_back():
    from PIL import Image, ImageDraw

    from skills.ocr_preprocess import unrotate_box

    page = Image.new("L", (800, 600), 255)
    ImageDraw.Draw(page).rectangle([100, 400, 140, 440], fill=0)
    turned = np.asarray(page.rotate(3, fillcolor=255))
    ys, xs = np.nonzero(turned < 128)
    back = unrotate_box([xs.min(), ys.min(), xs.max(), ys.max()], 3, (800, 600))
    assert back == pytest.approx([100, 400, 140, 440], abs=4)


def test_rapidocr_deskews_and_boxes_fit_the_stored_page():
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (900, 300), "white")
    font = ImageFont.load_default(36)
    ImageDraw.Draw(page).text((60, 120), "Harbour crane schedule", fill="black", font=font)
    ink = np.nonzero(np.asarray(page.convert("L").rotate(2.5, fillcolor=255)) < 128)
    buffer = io.BytesIO()
    page.rotate(2.5, fillcolor="white").save(buffer, "PNG")
    skill = OcrSkill(engine="rapidocr", threads=1, deskew=True)
    skill.warm_up()
    [result] = skill.run([{"image": buffer.getvalue()}])
    assert result["ocr"]["text"] == "Harbour crane schedule"
    x0, y0, x1, y1 = result["ocr"]["lines"][0]["box"]
    assert x0 <= ink[1].min() + 8 and x1 >= ink[1].max() - 8
    assert y0 <= ink[0].min() + 8 and y1 >= ink[0].max() - 8


def test_a_dithered_scan_is_descreened_and_a_thresholded_one_left_alone():
    from enrich.testing.ocr_scans import memo_texts
    from skills.ocr_preprocess import descreen, isolated_share

    page = typed_page(memo_texts()[0], (font_files() or [None])[0], DEGRADATIONS[1], 3)
    dithered = page.convert("1").convert("RGB")  # Pillow dithers (Floyd-Steinberg)
    thresholded = page.point(lambda v: 255 if v > 160 else 0).convert("RGB")
    assert isolated_share(np.asarray(dithered.convert("L"))) > 0.5
    smoothed, done = descreen(dithered)
    assert done and isolated_share(np.asarray(smoothed.convert("L"))) < 0.1
    for image in (page.convert("RGB"), thresholded):
        assert descreen(image) == (image, False)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract binary")
def test_tesseract_reads_a_dithered_scan_and_a_blank_scan_is_a_warning():
    from enrich.eval.ocr_metrics import error_rates
    from enrich.testing.ocr_scans import memo_texts

    text = memo_texts()[0]
    page = typed_page(text, (font_files() or [None])[0], DEGRADATIONS[1], 3).convert("1")
    blank = Image.new("L", (850, 1100), 255)
    blobs = []
    for image in (page, blank):
        out = io.BytesIO()
        image.save(out, "PNG")
        blobs.append(out.getvalue())
    skill = OcrSkill(engine="tesseract")
    read, empty = skill.run([{"image": blobs[0], "needs_ocr": True},
                             {"image": blobs[1], "needs_ocr": True}])
    assert error_rates(text, read["ocr"]["text"]).wer < 0.1  # 1.0 without descreening
    assert empty["ocr"]["text"] == "" and "no text read" in empty["_warnings"][0]
    assert skill.run([{"image": blobs[1], "needs_ocr": False}])[0].get("_warnings") is None
