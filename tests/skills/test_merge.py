from skills.merge import MergeSkill, image_text


def merge(text, number, images):
    return MergeSkill().run([{"text": text, "number": number, "images": images}])[0]["merged_text"]


def test_a_scanned_page_becomes_its_ocr_text():
    images = [{"id": "p1-render", "page": 1, "offset": 0, "ocr": {"text": "TOP SECRET memo"}}]
    assert merge("", 1, images) == "TOP SECRET memo"


def test_image_text_goes_at_the_image_place_and_only_on_its_page():
    text = "First paragraph.\nSecond paragraph."
    images = [{"id": "p2-i0", "page": 2, "offset": 17, "ocr": {"text": "elsewhere"}},
              {"id": "p1-i0", "page": 1, "offset": 17, "ocr": {"text": "SCOREBOARD 112"},
               "caption": {"text": "a scoreboard", "confidence": 0.4},
               "tags": [{"name": "scoreboard", "score": 0.9}, {"name": "arena", "score": 0.3}],
               "labels": [{"name": "Nike", "type": "BRAND"}]}]
    assert merge(text, 1, images) == (
        "First paragraph.\nSCOREBOARD 112\n"
        "[image p1-i0: a scoreboard | tags: scoreboard, arena | labels: Nike]\nSecond paragraph.")


def test_images_without_findings_leave_the_text_alone():
    assert merge("Just text.", 1, [{"id": "p1-i0", "page": 1, "offset": 4}]) == "Just text."
    assert image_text({"id": "x", "ocr": {"text": "  "}, "tags": []}) == ""


def test_several_images_keep_their_order():
    images = [{"id": "b", "page": 1, "offset": 3, "ocr": {"text": "B"}},
              {"id": "a", "page": 1, "offset": 1, "ocr": {"text": "A"}}]
    assert merge("abcd", 1, images) == "a\nA\nbc\nB\nd"
