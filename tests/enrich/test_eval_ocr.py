"""``enrich eval ocr``: the error rates and their normalisation, the gold folder's pairs,
and a run through the real cracking and OCR path (enrich/eval/ocr.py, ocr_metrics.py,
enrich/cli/eval_ocr.py)."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from enrich.cli.app import app
from enrich.eval.errors import EvalError, OcrGoldError
from enrich.eval.ocr import OcrOptions, _copy_scans, evaluate_ocr, read_pairs
from enrich.eval.ocr_metrics import Rates, error_rates, normalize
from enrich.testing.ocr_scans import DEGRADATIONS, font_files, memo_texts, write_pair

tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                               reason="the Tesseract binary is not installed")


def test_normalisation_is_the_stated_one():
    assert normalize("  Over\tthe  \n\n fence ") == "over the fence"
    assert normalize("a well-\n  known   co-\nowner") == "a wellknown coowner"
    assert normalize("\u201cQuoted\u201d \u2013 it\u2019s \ufb01ne") == '"quoted" - it\'s fine'
    assert normalize("Case Kept", case=True) == "Case Kept"


def test_error_rates_count_characters_and_words():
    same = error_rates("The depot, 14 March.", "the  depot,\n14 March.")
    assert (same.char_edits, same.word_edits, same.cer, same.wer) == (0, 0, 0.0, 0.0)
    joined = error_rates("second line here", "secondline here")  # a lost space
    assert (joined.char_edits, joined.words, joined.word_edits) == (1, 3, 2)
    assert error_rates("abc", "").cer == 1.0 and error_rates("", "x").wer == 1.0
    assert error_rates("Word", "word", case=True).char_edits == 1
    total = Rates(10, 1, 2, 1) + Rates(30, 2, 6, 0)  # micro: long texts weigh more
    assert (total.cer, total.wer) == (3 / 40, 1 / 8)


def test_pairs_and_what_is_unpaired(tmp_path):
    (tmp_path / "a").mkdir()
    for name in ("a/one.png", "a/one.txt", "two.pdf", "three.txt"):
        (tmp_path / name).write_bytes(b"x")
    pairs, unpaired = read_pairs(tmp_path)
    assert [p.name for p in pairs] == ["a/one.png"] and pairs[0].reference == "x"
    assert unpaired == ["three.txt", "two.pdf"]
    with pytest.raises(OcrGoldError, match="not a folder"):
        read_pairs(tmp_path / "a" / "one.png")
    (tmp_path / "a" / "one.txt").unlink()
    with pytest.raises(OcrGoldError, match="no scan with a transcript"):
        read_pairs(tmp_path)
    (tmp_path / "a" / "one.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(OcrGoldError, match="UTF-8"):
        read_pairs(tmp_path)


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ocr-gold")
    fonts, memos = font_files() or [None], memo_texts()
    write_pair(folder, "typed", memos[0], fonts[0], DEGRADATIONS[0], seed=1, fmt="png")
    write_pair(folder, "scans/worn", memos[1], fonts[0], DEGRADATIONS[2], seed=2,
               fmt="pdf", back=memos[2])
    (folder / "blank.png").write_bytes(_blank_png())
    (folder / "blank.txt").write_text("words nobody typed")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    (folder / "broken.txt").write_text("never read")
    return folder


def _blank_png() -> bytes:
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("L", (850, 1100), 255).save(out, "PNG")
    return out.getvalue()


@tesseract
@pytest.mark.slow
def test_eval_ocr_reads_scans_as_index_does_and_scores_them(gold, tmp_path):
    result = CliRunner().invoke(app, ["eval", "ocr", str(gold), "--engine", "tesseract",
                                      "--workers", "1", "--json", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    docs = {d["name"]: d for d in report["documents"]}
    assert set(docs) == {"typed.png", "scans/worn.pdf", "blank.png", "broken.pdf"}
    assert docs["broken.pdf"]["failed"] and docs["broken.pdf"]["wer"] == 1.0
    assert docs["typed.png"]["wer"] < 0.1 and docs["scans/worn.pdf"]["wer"] < 0.25
    assert docs["blank.png"]["wer"] == 1.0 and docs["blank.png"]["word_confidence"] is None
    assert 0.5 < docs["typed.png"]["word_confidence"] <= 1
    assert [f["name"].rsplit("/", 1)[-1] for f in report["failed"]] == ["broken.pdf"]
    assert report["failed"][0]["reason"]
    assert report["engines"] and report["engines"][0].startswith("tesseract")
    words = sum(d["rates"]["words"] for d in docs.values())
    assert report["overall"]["words"] == words and report["pages"] == 3
    edits = sum(d["rates"]["word_edits"] for d in docs.values())
    assert report["overall"]["wer"] == round(edits / words, 4)
    assert report["pages_per_second"] > 0
    table = CliRunner().invoke(app, ["eval", "ocr", str(gold), "--engine", "tesseract",
                                     "--workers", "1", "--limit", "1"])
    assert table.exit_code == 0 and "all (micro)" in table.output
    assert "unpaired" not in table.output


@pytest.mark.slow
def test_eval_ocr_with_rapidocr_and_a_skillset_of_ones_own(gold, tmp_path):
    skillset = tmp_path / "skills.yaml"
    skillset.write_text("name: mine\nskills:\n  - skill: ocr\n    params: {engine: tesseract}\n"
                        "  - skill: merge\n  - skill: join\n")
    report = evaluate_ocr(gold, OcrOptions(engine="rapidocr", skillset=skillset, limit=1,
                                           work=tmp_path / "work"))
    assert [d["name"] for d in report["documents"]] == ["blank.png"]  # sorted: the first
    report = evaluate_ocr(gold, OcrOptions(engine="rapidocr", skillset=skillset,
                                           work=tmp_path / "work"))
    docs = {d["name"]: d for d in report["documents"]}
    assert report["engines"] and report["engines"][0].startswith("rapidocr")
    assert docs["typed.png"]["cer"] < 0.1  # the engine asked for, not the skillset's


@pytest.mark.slow
def test_params_of_the_ocr_skill_reach_it(gold, tmp_path):
    import typer

    from enrich.cli.eval_ocr import parse_params
    assert parse_params(["deskew=false", "min_confidence=0.3"]) == {"deskew": False,
                                                                   "min_confidence": 0.3}
    with pytest.raises(typer.BadParameter, match="KEY=VALUE"):
        parse_params(["deskew"])
    report = evaluate_ocr(gold, OcrOptions(engine="rapidocr", work=tmp_path,
                                           params={"min_confidence": 1.01}))
    assert report["params"] == {"min_confidence": 1.01}
    assert report["engines"] and report["engines"][0].startswith("rapidocr")
    # no word is that sure: the skill got the parameter and kept nothing
    assert {d["name"]: d["wer"] for d in report["documents"]}["typed.png"] == 1.0


def test_params_without_an_ocr_skill_are_refused(gold, tmp_path):
    skillset = tmp_path / "skills.yaml"
    skillset.write_text("name: plain\nskills:\n  - skill: language\n")
    with pytest.raises(EvalError, match=r"\['deskew'\] are for the ocr skill"):
        evaluate_ocr(gold, OcrOptions(skillset=skillset, params={"deskew": True},
                                      work=tmp_path / "work"))
    assert not (tmp_path / "work" / "scans").exists()  # refused before anything is copied


def test_scans_are_copied_afresh(tmp_path):
    (tmp_path / "gold").mkdir()
    (tmp_path / "gold" / "a.png").write_bytes(b"new!")
    (tmp_path / "gold" / "a.txt").write_text("a")
    pairs, _ = read_pairs(tmp_path / "gold")
    scans = tmp_path / "work" / "scans"
    (scans / "old").mkdir(parents=True)
    (scans / "a.png").write_bytes(b"old!")  # the same size: copied all the same
    (scans / "old" / "b.png").write_bytes(b"stale")
    gold = tmp_path / "gold"
    assert _copy_scans(gold, pairs, scans) == [(scans / "a.png").resolve()]
    assert (scans / "a.png").read_bytes() == b"new!"
    assert sorted(p.name for p in scans.rglob("*")) == ["a.png"]
    (gold / "more").mkdir()
    (gold / "more" / "b.png").write_bytes(b"gold")  # not among the pairs (--limit)
    (gold / "more" / "b.txt").write_text("b")
    for folder in (gold, gold / "more", tmp_path):  # the gold, inside it, holding it
        with pytest.raises(EvalError, match="overlaps the gold folder"):
            _copy_scans(gold, pairs, folder)
    assert sorted(p.name for p in gold.rglob("*")) == ["a.png", "a.txt", "b.png", "b.txt",
                                                       "more"]
