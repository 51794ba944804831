"""``enrich eval entities|graph GOLD``: measure the pipeline's entities against gold;
``enrich eval retrieval``: measure search on a BEIR set."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from enrich.cli.app import app
from enrich.cli.common import JsonOption, console, emit_json
from enrich.config import SETTINGS, get_setting
from enrich.eval import (FORMATS, EvalOptions, RetrievalOptions, evaluate_entities,
                         evaluate_graph, evaluate_retrieval)
from enrich.eval.retrieval import MODES

__all__ = ["eval_app"]

eval_app = typer.Typer(
    help="Measure entities and the graph against gold files, and search against a BEIR "
         "set: the real pipeline (your skillset, then corpus-level resolution) runs over "
         "the gold texts in a scratch index, and what it found is scored.",
    no_args_is_help=True)
app.add_typer(eval_app, name="eval")

Format = Enum("Format", {f: f for f in FORMATS}, type=str)
GoldArgument = Annotated[Path, typer.Argument(
    help="The gold file: CoNLL (token and BIO tag per line), DocRED JSON or spaCy JSONL.",
    show_default=False)]
FormatOption = Annotated[Format | None, typer.Option(
    "--format", help="The gold format [default: guessed from the suffix and content]",
    show_default=False)]
SkillsetOption = Annotated[Path | None, typer.Option(help=SETTINGS["skillset"].help)]
LabelsOption = Annotated[str | None, typer.Option(
    "--labels", help="Label map overrides: a YAML/JSON file or A=B,C=D (PERSON=PER; "
                     "ORG=corporation|group counts either; ORG= drops a type).")]
LimitOption = Annotated[int | None, typer.Option(min=1, help="Only the first N gold documents.")]
WorkOption = Annotated[Path | None, typer.Option(
    "--data", help="Folder for the gold texts and the evaluation's index, kept afterwards "
                   "(inspect it with `enrich graph ... --data DIR/index`; a second run "
                   "re-indexes only what changed) [default: a temporary folder]",
    show_default=False)]
WorkersOption = Annotated[int | None, typer.Option(
    min=0, help=SETTINGS["workers"].help + " [default: cores]", show_default=False)]
TypesOption = Annotated[str | None, typer.Option(
    "--types", help="Evaluate only these gold types, comma-separated (PER,ORG,LOC,MISC): "
                    "e.g. the types the skillset is set to find [default: all]",
    show_default=False)]
GroupOption = Annotated[int | None, typer.Option(
    "--group", min=1, help="CoNLL: N consecutive sentences per document [default: the "
                           "-DOCSTART- documents, else one sentence per document]",
    show_default=False)]


def _options(fmt, skillset, labels, limit, work, workers, group, types,
             **more: Any) -> EvalOptions:
    return EvalOptions(fmt=fmt.value if fmt else None, skillset=get_setting("skillset", skillset),
                       labels=labels, limit=limit, work=work,
                       workers=get_setting("workers", workers),
                       batch_size=get_setting("batch_size", None), sentences_per_doc=group,
                       types=tuple(t.strip() for t in (types or "").split(",") if t.strip()),
                       **more)


@eval_app.command("entities")
def entities_command(
    gold: GoldArgument, fmt: FormatOption = None, skillset: SkillsetOption = None,
    labels: LabelsOption = None, limit: LimitOption = None, work: WorkOption = None,
    workers: WorkersOption = None, group: GroupOption = None, types: TypesOption = None,
    bare_spacy: Annotated[bool, typer.Option(
        "--bare-spacy", help="Also score a spaCy model's own doc.ents on the same texts "
                             "(no skill, no resolution).")] = False,
    spacy_model: Annotated[str | None, typer.Option(
        help="The model of --bare-spacy [default: the entities skill's default]")] = None,
    ablate: Annotated[bool, typer.Option(
        "--ablate", help="Index again with each resolution rule switched off in turn "
                         "(then all), and show their after-resolution scores.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Exact-span precision, recall and F1 per type, micro and macro, before and after
    corpus-level resolution, and precision per confidence bucket."""
    report = evaluate_entities(gold, _options(fmt, skillset, labels, limit, work, workers,
                                              group, types, bare_spacy=bare_spacy,
                                              spacy_model=spacy_model, ablate=ablate))
    if json_output:
        emit_json(report)
        return
    _print_header(report)
    _print_scores(report)
    _print_calibration(report["calibration"])
    if "ablation" in report:
        _print_ablation(report["ablation"])


@eval_app.command("graph")
def graph_command(
    gold: GoldArgument, fmt: FormatOption = None, skillset: SkillsetOption = None,
    labels: LabelsOption = None, limit: LimitOption = None, work: WorkOption = None,
    workers: WorkersOption = None, types: TypesOption = None,
    json_output: JsonOption = False,
) -> None:
    """DocRED gold, per document: (a) recall of gold entity pairs whose both ends were
    found (a found mention on a gold mention's span and type) and linked (different
    entity keys, both present); (b) gold clusters with >= 2 found mentions whose found
    mentions all land on one entity key."""
    report = evaluate_graph(gold, _options(fmt, skillset, labels, limit, work, workers, None,
                                          types))
    if json_output:
        emit_json(report)
        return
    _print_header(report)
    table = Table(title="graph (document scope)")
    for column in ("figure", "of", "count", "rate"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for label, key, part, whole in (
            ("pairs found and linked", "pairs", "linked", "pairs"),
            ("related pairs found and linked", "related_pairs", "linked", "pairs"),
            ("clusters on one key", "clusters", "one_key", "eligible"),
            ("gold mentions found", "mentions_found", "found", "gold")):
        row = report[key]
        table.add_row(label, str(row.get(whole, 0)), str(row.get(part, 0)), _num(row["rate"]))
    console.print(table)


CorpusOption = Annotated[Path, typer.Option(
    help='BEIR corpus.jsonl: one {"_id", "title", "text"} object a line.', show_default=False)]
QueriesOption = Annotated[Path, typer.Option(
    help='BEIR queries.jsonl: one {"_id", "text"} object a line; a metadata.group (or group) '
         "tag is reported apart.", show_default=False)]
QrelsOption = Annotated[Path, typer.Option(
    help="BEIR qrels.tsv: query-id, corpus-id and an integer score per line after a header "
         "line; a score above 0 is relevant.", show_default=False)]
ModeOption = Annotated[list[str] | None, typer.Option(
    "--mode", metavar="MODE", help=f"Search modes to score, repeated or comma-separated ({', '.join(MODES)}; "
                   "vector and hybrid once search offers them); default: keyword",
    show_default=False)]
CorpusWorkOption = Annotated[Path | None, typer.Option(
    "--data", help="Folder for the corpus texts and the evaluation's index, kept afterwards "
                   "(search it with `enrich search ... --data DIR/index`; a second run "
                   "re-indexes only what changed); default: a temporary folder",
    show_default=False)]


@eval_app.command("retrieval")
def retrieval_command(
    corpus: CorpusOption, queries: QueriesOption, qrels: QrelsOption, mode: ModeOption = None,
    skillset: SkillsetOption = None, work: CorpusWorkOption = None,
    workers: WorkersOption = None, json_output: JsonOption = False,
) -> None:
    """Index a BEIR corpus with the real indexer (your skillset) in a scratch index, run
    every query through search (lenient syntax, 100 results) and print nDCG@10,
    recall@100 and MRR@10 per mode, overall and per query group. Only queries with a
    relevant document are scored; a result with the query's own id is dropped (as BEIR)."""
    report = evaluate_retrieval(RetrievalOptions(
        corpus=corpus, queries=queries, qrels=qrels, modes=tuple(mode or ("keyword",)),
        skillset=get_setting("skillset", skillset), work=work,
        workers=get_setting("workers", workers), batch_size=get_setting("batch_size", None)))
    if json_output:
        emit_json(report)
        return
    docs, run = report["pipeline"]["documents"], report["pipeline"]
    console.print(f"corpus {escape(report['corpus']['path'])}: {report['corpus']['documents']} "
                  f"documents ({docs.get('indexed', 0)} indexed, {docs.get('failed', 0)} failed "
                  f"in {run['seconds']:.1f} s, skillset {escape(run['skillset'])}); "
                  f"{report['queries']['scored']} of {report['queries']['queries']} queries "
                  "scored", highlight=False)
    figures = [f"{name}@{k}" for name, k in report["cutoffs"].items()]
    table = Table(title="retrieval")
    for column in ("mode", "group", "queries", *figures):
        table.add_column(column, justify="left" if column in ("mode", "group") else "right")
    for name, scores in report["modes"].items():
        for group, row in [("all", scores["overall"]), *scores.get("groups", {}).items()]:
            table.add_row(name, escape(group), str(row["queries"]),
                          *(f"{row[k]:.4f}" for k in figures))
    console.print(table)


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _print_header(report: dict[str, Any]) -> None:
    gold, run = report["gold"], report["pipeline"]
    docs = run["documents"]
    console.print(f"gold {escape(gold['path'])} ({gold['format']}): {gold['documents']} "
                  f"documents, {gold['mentions']} mentions; pipeline "
                  f"{escape(run['skillset'])}: {docs.get('indexed', 0)} indexed"
                  + (f" ({docs['unchanged']} unchanged, kept)" if docs.get("unchanged") else "")
                  + ", "
                  f"{docs.get('failed', 0)} failed in {run['seconds']:.1f} s", highlight=False)
    cut = run.get("misaligned_spans") or {}
    if any(cut.values()):
        console.print(f"found spans cut inside a gold token (scored as the tokens they "
                      f"overlap): {cut.get('before', 0)} before, {cut.get('after', 0)} after "
                      "resolution", highlight=False)


def _print_scores(report: dict[str, Any]) -> None:
    sections = [("before", report["before"]), ("after", report["after"])]
    if "bare_spacy" in report:
        sections.append((f"bare {report['bare_spacy']['model']}", report["bare_spacy"]))
    table = Table(title="exact-span precision/recall/F1")
    table.add_column("type")
    table.add_column("gold", justify="right")
    for name, _ in sections:
        table.add_column(escape(name), justify="right")
    after = report["after"]["per_type"]
    rows = [(t, str(after[t]["support"]), lambda s, t=t: s["per_type"][t]) for t in after]
    rows += [("micro", "", lambda s: s["micro"]), ("macro", "", lambda s: s["macro"]),
             ("spans, any type", "", lambda s: s["untyped"])]
    for label, support, pick in rows:
        table.add_row(escape(label), support,
                      *("/".join(f"{pick(s)[k]:.3f}" for k in ("precision", "recall", "f1"))
                        for _, s in sections))
    console.print(table)


def _print_calibration(cal: dict[str, Any]) -> None:
    table = Table(title="calibration: precision of the resolved mentions per confidence")
    for column in ("confidence", "mentions", "correct", "precision"):
        table.add_column(column, justify="left" if column == "confidence" else "right")
    for row in cal["buckets"]:
        table.add_row(row["bucket"], str(row["mentions"]), str(row["correct"]),
                      _num(row["precision"]))
    console.print(table)
    if cal["rising"] is not None:
        console.print(f"precision rises with confidence: {'yes' if cal['rising'] else 'no'}")


def _print_ablation(rows: list[dict[str, Any]]) -> None:
    table = Table(title="ablation: after-resolution micro scores")
    for column in ("variant", "precision", "recall", "f1", "delta F1"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    for row in rows:
        table.add_row(row["variant"], *(f"{row[k]:.3f}" for k in ("precision", "recall", "f1")),
                      f"{row['delta_f1']:+.3f}")
    console.print(table)
