"""``enrich eval ocr GOLD``: read scans with the real pipeline and score the text
against their transcripts (character and word error rates)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from skills.ocr import ENGINES

from enrich.cli.common import JsonOption, console, emit_json
from enrich.cli.eval import LimitOption, SkillsetOption, WorkersOption, WorkOption, eval_app
from enrich.config import get_setting
from enrich.eval.ocr import OcrOptions, evaluate_ocr

__all__ = ["ocr_command", "parse_params"]

Engine = Enum("Engine", {e: e for e in ENGINES}, type=str)


@eval_app.command("ocr")
def ocr_command(
    gold: Annotated[Path, typer.Argument(
        help="A folder of scans (PDF, PNG, JPEG, TIFF...) each next to its transcript "
             "(memo.pdf and memo.txt, UTF-8), in any sub-folder.", show_default=False)],
    engine: Annotated[Engine, typer.Option(
        help="The OCR skill's engine: tesseract, rapidocr, or auto (Tesseract when "
             "installed).")] = Engine.auto,
    skillset: SkillsetOption = None, limit: LimitOption = None, work: WorkOption = None,
    workers: WorkersOption = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="A parameter of the ocr skill, KEY=VALUE (YAML value: "
                        "deskew=false, min_confidence=0.3); repeatable.")] = None,
    case: Annotated[bool, typer.Option(
        "--case", help="Count a letter in the wrong case as an error [default: compare "
                       "case-folded].")] = False,
    json_output: JsonOption = False,
) -> None:
    """Character and word error rates (CER, WER) of each scan's text, as `enrich index`
    reads it (cracking, page renders, OCR, merge), and of all together (edits over all
    reference characters or words), with the pages OCR'd per second. Both texts are
    normalised first: NFKC, straight quotes and dashes, words hyphenated at a line end
    joined, whitespace collapsed, and case folded unless --case. Without --skillset the
    run has only the ocr, merge and join skills."""
    report = evaluate_ocr(gold, OcrOptions(
        engine=engine.value, skillset=get_setting("skillset", skillset),
        workers=get_setting("workers", workers), limit=limit, work=work, case=case,
        params=parse_params(param or [])))
    if json_output:
        emit_json(report)
        return
    table = Table(title=f"OCR: {escape(', '.join(report['engines']) or report['engine'])}")
    for column in ("scan", "pages", "CER", "WER", "word confidence"):
        table.add_column(column, justify="left" if column == "scan" else "right")
    for doc in report["documents"]:
        table.add_row(escape(doc["name"]), str(doc["pages"]), f"{doc['cer']:.1%}",
                      f"{doc['wer']:.1%}", _confidence(doc["word_confidence"]))
    overall = report["overall"]
    table.add_row("all (micro)", str(report["pages"]), f"{overall['cer']:.1%}",
                  f"{overall['wer']:.1%}", "", style="bold")
    console.print(table)
    for failed in report["failed"]:
        console.print(f"[red]failed[/red] {escape(failed['name'])}: {escape(failed['reason'])}")
    if report["gold"]["unpaired"]:
        console.print(f"unpaired, left out: {escape(', '.join(report['gold']['unpaired']))}")
    console.print(f"{report['pages']} pages in {report['seconds']} s with "
                  f"{report['workers']} worker(s): {report['pages_per_second']} pages/s. "
                  f"Normalised: {report['normalisation']}.")


def parse_params(items: list[str]) -> dict[str, Any]:
    """``--param KEY=VALUE`` options as a dict, each value read as YAML (``false``, 0.3)."""
    params = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise typer.BadParameter(f"{item!r}: use KEY=VALUE", param_hint="--param")
        try:
            params[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as error:
            raise typer.BadParameter(f"{item!r}: {error}", param_hint="--param") from None
    return params


def _confidence(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
