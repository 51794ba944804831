"""``enrich train entities|dictionary``: learn from the corrections in a store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from enrich.cli.app import app
from enrich.cli.common import DataOption, JsonOption, console, data_dir, emit_json
from enrich.eval import FORMATS
from enrich.train import TrainOptions, check_output, train_entities, write_dictionary

__all__ = ["train_app"]

train_app = typer.Typer(
    help="Learn from the corrections analysts made in a store: fine-tune the spaCy "
         "recogniser (`train entities`), or write the entities they kept as a dictionary "
         "for the entity_lookup skill (`train dictionary`).",
    no_args_is_help=True)
app.add_typer(train_app, name="train")

ForceOption = Annotated[bool, typer.Option(
    "--force", help="Replace --out when it exists (a model folder or a file; never another "
                    "folder).")]


@train_app.command("entities")
def entities_command(
    base: Annotated[str | None, typer.Option(
        help="The spaCy model to start from: a package name or a model folder [default: "
             "the entities skill's default model]", show_default=False)] = None,
    out: Annotated[Path, typer.Option(
        help="The model folder to write (nlp.to_disk, plus enrich-training.json); use it "
             "as the entities skill's `model:` parameter.")] = Path("enrich-entities-model"),
    gold: Annotated[Path | None, typer.Option(
        help="Also learn from a gold file: CoNLL, DocRED JSON or spaCy JSONL (what `enrich "
             "eval entities` reads); its types are taught as the model's own labels.",
        show_default=False)] = None,
    gold_format: Annotated[str | None, typer.Option(
        "--gold-format", help=f"The gold format ({', '.join(FORMATS)}) [default: guessed]",
        show_default=False)] = None,
    data: DataOption = None,
    iterations: Annotated[int, typer.Option(min=1, help="Passes over the examples.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed (shuffling, dropout, rehearsal "
                                           "sample).")] = 0,
    rehearsal: Annotated[float, typer.Option(
        min=0.0, help="Pseudo-rehearsal against catastrophic forgetting: unreviewed "
                      "sentences of the store, labelled by the base model itself, mixed in "
                      "per learned sentence (0 turns it off).")] = 1.0,
    force: ForceOption = False,
    json_output: JsonOption = False,
) -> None:
    """Fine-tune the spaCy NER of --base on the store's corrected and accepted mentions
    in their sentences (rejected ones as non-entities; the rest of each sentence
    unknown), plus --gold, with pseudo-rehearsal (the base model's own predictions on
    unreviewed sentences of the store, mixed in) against catastrophic forgetting.
    Writes a model folder that the entities skill loads by path."""
    store = _store(data, required=gold is None)
    check_output(out, force)
    options = TrainOptions(out=out, base=base, store=store, gold=gold,
                           gold_format=gold_format, iterations=iterations, seed=seed,
                           rehearsal=rehearsal, force=force)
    if json_output:
        emit_json(train_entities(options))
        return
    with Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("train", total=iterations, loss="-")
        summary = train_entities(options, on_iteration=lambda i, loss: bar.update(
            task, completed=i, loss=f"{loss:.2f}"))
    _print_summary(summary)


def _store(flag: Path | None, required: bool) -> Path | None:
    """The store file of --data; None when there is none and it is not required."""
    from indexers.stores import DataDir

    root = data_dir(flag, must_exist=required)
    store = DataDir(root).store
    return store if store.is_file() else None


def _print_summary(summary: dict[str, Any]) -> None:
    ex = summary["examples"]
    console.print(f"base {escape(summary['base'])} ({escape(summary['base_model'])}); "
                  f"{ex['sentences']} corrected sentences ({ex['positive']} entity spans, "
                  f"{ex['negative']} rejected spans), {ex['gold']} gold lines "
                  f"({ex['gold_spans']} spans), {ex['rehearsal']} rehearsal sentences; "
                  f"skipped: {ex['misaligned']} misaligned, {ex['cut']} cut, "
                  f"{ex['overlapping']} overlapping", highlight=False)
    table = Table(title="loss per iteration")
    table.add_column("iteration", justify="right")
    table.add_column("NER loss", justify="right")
    for i, loss in enumerate(summary["losses"], 1):
        table.add_row(str(i), f"{loss:.3f}")
    console.print(table)
    console.print(f"wrote {escape(summary['out'])} in {summary['seconds']:.1f} s; use it with "
                  f"the entities skill: params: {{model: {escape(summary['out'])}}}",
                  highlight=False)


@train_app.command("dictionary")
def dictionary_command(
    out: Annotated[Path, typer.Option(
        help="The dictionary file to write (JSON, the entity_lookup skill's "
             "`dictionary:` parameter).")] = Path("enrich-dictionary.json"),
    data: DataOption = None,
    force: ForceOption = False,
    json_output: JsonOption = False,
) -> None:
    """Write the entities that active accept, retype, rename, merge or alias corrections
    kept (their current name, type and key, with the aliases analysts added) as a
    dictionary for the entity_lookup skill, so they are found in new documents by name."""
    store = _store(data, required=True)
    check_output(out, force, model=False)
    summary = write_dictionary(store, out)
    if json_output:
        emit_json(summary)
        return
    types = ", ".join(f"{k} {v}" for k, v in summary["types"].items())
    console.print(f"wrote {escape(summary['out'])}: {summary['entries']} entities ({types}), "
                  f"{summary['aliases']} aliases; use it with the entity_lookup skill: "
                  f"params: {{dictionary: {escape(summary['out'])}}}", highlight=False)
