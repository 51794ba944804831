"""OcrSkill: real OCR with both engines on small images rendered here."""

import io
import os
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from skills import ocr
from skills.base import WARNINGS, RunContext, SkillError, SkillUnavailable
from skills.ocr import OcrSkill, tesseract_version

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
HAS_TESSERACT = tesseract_version()[0] is not None
ENGINES = [
    pytest.param("tesseract", marks=pytest.mark.skipif(
        not HAS_TESSERACT, reason="the tesseract binary is not installed "
        "(apt-get install tesseract-ocr)")),
    "rapidocr",
]


def font(size: int = 32) -> ImageFont.ImageFont:
    """DejaVu Sans when the system has it, else Pillow's built-in scalable font."""
    if FONT.is_file():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size=size)


def render(lines: list[str], size: tuple[int, int] = (560, 150), at: tuple[int, int] = (20, 20),
           px: int = 32) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((at[0], at[1] + i * int(px * 1.6)), line, fill="black", font=font(px))
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


TWO_LINES = png(render(["LANTERNFISH memo", "Dallas office 1963"]))
BLANK = png(Image.new("RGB", (200, 80), "white"))


@pytest.fixture(scope="module", params=ENGINES)
def skill(request):
    skill = OcrSkill(engine=request.param, threads=2)
    skill.warm_up()
    return skill


def assert_inside(box, width, height):
    x0, y0, x1, y1 = box
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, box


def test_reads_known_words_with_boxes_and_confidences(skill):
    [result] = skill.run([{"image": TWO_LINES}])
    out = result["ocr"]
    for word in ("LANTERNFISH", "memo", "Dallas", "1963"):
        assert word in out["text"]
    assert out["engine"].startswith(
        "tesseract 5." if skill.engine == "tesseract" else "rapidocr-onnxruntime 1.")
    assert skill.model == out["engine"]
    for item in out["lines"] + out["words"]:
        assert_inside(item["box"], 560, 150)
        assert 0.5 <= item["confidence"] <= 1.0
    # The word box is where the word was drawn (x from 20, first line y 20..~55).
    [fish] = [w for w in out["words"] if w["text"] == "LANTERNFISH"]
    assert abs(fish["box"][0] - 20) <= 8 and fish["box"][1] >= 15 and fish["box"][3] <= 65


def test_lines_in_reading_order(skill):
    [result] = skill.run([{"image": TWO_LINES}])
    lines = result["ocr"]["lines"]
    assert len(lines) == 2
    assert "LANTERNFISH" in lines[0]["text"] and "Dallas" in lines[1]["text"]
    assert lines[0]["box"][3] <= lines[1]["box"][1] + 5
    assert result["ocr"]["text"] == "\n".join(line["text"] for line in lines)


def test_blank_image_gives_empty_text(skill):
    [result] = skill.run([{"image": BLANK}])
    assert result["ocr"]["text"] == ""
    assert result["ocr"]["lines"] == [] and result["ocr"]["words"] == []


def test_batch_aligns_and_a_bad_image_fails_alone(skill):
    scoreboard = png(render(["CELTICS 108"], size=(360, 80)))
    results = skill.run([{"image": TWO_LINES}, {"image": b"not an image"}, {"image": None},
                         {"image": BLANK}, {"image": scoreboard}])
    assert "LANTERNFISH" in results[0]["ocr"]["text"]
    assert isinstance(results[1], SkillError) and "unreadable image" in results[1].message
    assert isinstance(results[2], SkillError) and "no image data" in results[2].message
    assert results[3]["ocr"]["text"] == ""
    assert "CELTICS" in results[4]["ocr"]["text"]


def test_a_preprocessing_failure_fails_its_image_alone(skill, monkeypatch):
    from skills import ocr_preprocess
    real = ocr_preprocess.descreen

    def descreen(image):
        if image.size == (123, 45):
            raise ValueError("cannot descreen")
        return real(image)

    monkeypatch.setattr(ocr_preprocess, "descreen", descreen)
    odd = png(Image.new("RGB", (123, 45), "white"))
    results = skill.run([{"image": TWO_LINES}, {"image": odd}, {"image": BLANK}])
    assert "LANTERNFISH" in results[0]["ocr"]["text"]
    assert isinstance(results[1], SkillError)
    assert results[1].message.endswith("ValueError: cannot descreen"), results[1].message
    assert results[2]["ocr"]["text"] == ""


def test_low_confidence_images_get_a_warning(skill):
    [fine] = skill.run([{"image": TWO_LINES}])
    assert WARNINGS not in fine  # real words score over the default 0.7
    strict = OcrSkill(engine=skill.engine, threads=2, warn_confidence=1.01)
    strict.warm_up()
    flagged, blank = strict.run([{"image": TWO_LINES}, {"image": BLANK}])
    assert "low confidence" in flagged[WARNINGS][0] and flagged["ocr"]["words"]
    assert WARNINGS not in blank  # no words: nothing to doubt


def test_large_image_is_downscaled_and_boxes_map_back(skill):
    big = png(render(["LANTERNFISH memo"], size=(1600, 400), at=(800, 200), px=64))
    full = OcrSkill(engine=skill.engine, max_side=None).run([{"image": big}])[0]["ocr"]
    small = OcrSkill(engine=skill.engine, max_side=800).run([{"image": big}])[0]["ocr"]
    assert "LANTERNFISH" in small["text"]
    [box_full], [box_small] = ([line["box"] for line in out["lines"]] for out in (full, small))
    assert box_small[0] > 780 and box_small[3] > 240  # original pixels, not halved
    assert all(abs(a - b) <= 12 for a, b in zip(box_full, box_small))


def test_only_scans_reads_only_images_that_need_ocr():
    skill = OcrSkill(only_scans=True)
    results = skill.run([{"image": TWO_LINES, "needs_ocr": False},
                         {"image": TWO_LINES, "needs_ocr": True},
                         {"image": b"garbage"}])
    assert results[0] == {"ocr": None} and results[2] == {"ocr": None}
    assert "LANTERNFISH" in results[1]["ocr"]["text"]


@pytest.mark.skipif(not HAS_TESSERACT, reason="the tesseract binary is not installed")
def test_auto_prefers_tesseract_and_limits_openmp(monkeypatch):
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    skill = OcrSkill()
    skill.warm_up()
    assert skill.model.startswith("tesseract ")
    assert os.environ["OMP_THREAD_LIMIT"] == "1"
    monkeypatch.setenv("OMP_THREAD_LIMIT", "3")
    OcrSkill(engine="tesseract").warm_up()
    assert os.environ["OMP_THREAD_LIMIT"] == "3"  # a user's setting is kept


@pytest.mark.skipif(not HAS_TESSERACT, reason="the tesseract binary is not installed")
def test_threads_come_from_the_run_context_unless_given():
    shared = OcrSkill(engine="tesseract")
    shared.warm_up(RunContext(threads=8).share(4))
    assert shared.workers == 2  # 8 cores shared by 4 worker processes
    own = OcrSkill(engine="tesseract", threads=3)
    own.warm_up(RunContext(threads=8).share(4))
    assert own.workers == 3


def test_missing_tesseract_forced_is_unavailable_and_auto_falls_back(monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(SkillUnavailable, match="apt-get install tesseract-ocr"):
        OcrSkill(engine="tesseract").warm_up()
    skill = OcrSkill(engine="auto")
    skill.warm_up()
    assert skill.model.startswith("rapidocr-onnxruntime ")


def test_missing_rapidocr_forced_is_unavailable(monkeypatch):
    monkeypatch.setattr(ocr, "_RAPIDOCR", {})
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails
    with pytest.raises(SkillUnavailable, match="pip install rapidocr-onnxruntime"):
        OcrSkill(engine="rapidocr").warm_up()


@pytest.mark.skipif(not HAS_TESSERACT, reason="the tesseract binary is not installed")
def test_missing_tesseract_language_is_unavailable():
    with pytest.raises(SkillUnavailable, match="apt-get install tesseract-ocr-xyz"):
        OcrSkill(engine="tesseract", languages=["eng", "xyz"]).warm_up()


def test_rapidocr_segments_become_lines_in_reading_order():
    def seg(text, x0, y0, x1, y1):
        return {"text": text, "box": [x0, y0, x1, y1], "confidence": 0.9}

    # Given out of order: second row first, a right-hand column far from the left one.
    segments = [seg("second", 10, 60, 90, 85), seg("world", 70, 12, 130, 38),
                seg("hello", 10, 10, 60, 36), seg("column", 600, 11, 700, 37)]
    lines = [ocr._merge(line) for row in ocr._rows(segments) for line in ocr._split_gaps(row)]
    assert [line["text"] for line in lines] == ["hello world", "column", "second"]
    assert lines[0]["box"] == [10, 10, 130, 38]


def test_rapidocr_words_split_segment_box_by_characters():
    words = ocr._split_words({"text": "ab cd", "box": [0, 0, 50, 10], "confidence": 0.8})
    assert [(w["text"], w["box"]) for w in words] == [("ab", [0, 0, 20, 10]),
                                                      ("cd", [30, 0, 50, 10])]


def test_declaration_and_parameters():
    skill = OcrSkill()
    assert (skill.name, skill.context, skill.outputs) == ("ocr", "/document/images/*", ("ocr",))
    assert skill.inputs == {"image": "/document/images/*/data",
                            "needs_ocr": "/document/images/*/needs_ocr"}
    assert skill.params["min_confidence"] == 0.5 and skill.params["max_side"] == 2000
    assert skill.threads is None  # the run context's share of the cores, at warm_up
    assert OcrSkill.runtime_params == {"threads", "timeout"} and not OcrSkill.uses_device
    with pytest.raises(ValueError, match="unknown engine"):
        OcrSkill(engine="abbyy")


def test_tesseract_keeps_a_doubtful_word_only_amid_sure_ones():
    skill = OcrSkill(engine="tesseract", min_confidence=0.5)

    def line(*confidences):
        return [{"text": f"w{i}", "box": [0, 0, 1, 1], "confidence": c}
                for i, c in enumerate(confidences)]

    assert [w["text"] for w in skill._rescue(line(0.95, 0.3, 0.9))] == ["w0", "w1", "w2"]
    assert [w["text"] for w in skill._rescue(line(0.95, 0.1, 0.9))] == ["w0", "w2"]  # too low
    assert [w["text"] for w in skill._rescue(line(0.6, 0.3, 0.7))] == ["w0", "w2"]  # unsure line
    assert [w["text"] for w in skill._rescue(line(0.95, 0.3))] == ["w0"]  # one sure word
