"""Images end to end: OCR'd scans are searchable, missing models disable their skills."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from enrich.testing import factories

pytestmark = pytest.mark.slow
ENRICH = [sys.executable, "-m", "enrich"]
MEMO = "MEMORANDUM FOR THE RECORD\nSubject: LANTERNFISH\nMeeting in Dallas with John Smith"


def enrich(*args, env=None):
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1", **(env or {})}
    return subprocess.run(ENRICH + [str(a) for a in args], capture_output=True, text=True,
                          timeout=300, env=environment)


def ocr_skillset(path, engine):
    path.write_text(textwrap.dedent(f"""
        skills:
          - skill: ocr
            params: {{engine: {engine}}}
          - merge
          - join
          - skill: entities
            inputs: {{text: /document/pages/*/merged_text}}
        entities: [/document/pages/*/entities]
    """))
    return path


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scans")
    factories.scanned_pdf(folder / "memo.pdf", MEMO)
    factories.text_image(folder / "board.png", "SCOREBOARD\nLAKERS 112")
    (folder / "notes.txt").write_text("Plain notes about the Boston game.")
    return folder


@pytest.mark.parametrize("engine", ["tesseract", "rapidocr"])
def test_scanned_pages_and_pictures_become_searchable(scans, tmp_path, engine):
    if engine == "tesseract" and not any(
            os.access(os.path.join(p, "tesseract"), os.X_OK) for p in os.environ["PATH"].split(":")):
        pytest.skip("the tesseract binary is not installed (CI installs it)")
    data = tmp_path / "data"
    run = enrich("index", scans, "--data", data, "--workers", 1, "--json",
                 "--skillset", ocr_skillset(tmp_path / "s.yaml", engine))
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["skills"]["ocr"]["disabled"] is None
    found = json.loads(enrich("search", "LANTERNFISH", "--data", data, "--json",
                              "--facet", "locations").stdout)
    assert [r["uri"].rsplit("/", 1)[-1] for r in found["results"]] == ["memo.pdf"]
    assert "Dallas" in {b["value"] for b in found["facets"]["locations"]}
    # RapidOCR's model drops spaces ("LAKERS112"): search the word alone on its line.
    board = json.loads(enrich("search", "SCOREBOARD", "--data", data, "--json").stdout)
    assert [r["uri"].rsplit("/", 1)[-1] for r in board["results"]] == ["board.png"]


def test_missing_models_disable_their_skills_and_the_run_goes_on(scans, tmp_path):
    data = tmp_path / "data"
    run = enrich("index", scans, "--data", data, "--workers", 1, "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    for skill, model in (("caption", "Salesforce/blip-image-captioning-base"),
                         ("tags", "openai/clip-vit-base-patch32")):
        reason = summary["skills"][skill]["disabled"]
        assert model in reason and "enrich models pull" in reason, reason
    assert summary["skills"]["ocr"]["disabled"] is None
    assert summary["status"] == "ok" and summary["documents"]["indexed"] == 3
    human = enrich("index", scans, "--data", tmp_path / "again", "--workers", 0)
    assert "skill caption disabled" in human.stdout
