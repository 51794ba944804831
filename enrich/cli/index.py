"""``enrich index SOURCE``: crack, enrich and index a folder, a bucket or a table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from indexers.crackers.limits import Limits, parse_limits
from skills.base import check_device

from enrich.cli.app import app
from enrich.page_parts import SPLIT_PAGES
from enrich.cli.common import (DataOption, JsonOption, console, data_dir, emit_json,
                               err_console, fail, parse_size)
from enrich.config import SETTINGS, get_setting
from enrich.commits import COMMIT_BATCHES, COMMIT_PAGES, COMMIT_SECONDS, INTERRUPTED
from enrich.indexer import IndexOptions, RunSummary, run_index


@app.command("index")
def index_command(
    source: Annotated[str | None, typer.Argument(help="What to index: a folder, a file, file://, az://, s3://, gs:// or a SQLAlchemy URL (see below); optional with --rebuild-index.", metavar="SOURCE", show_default=False)] = None,
    data: DataOption = None,
    skillset: Annotated[Path | None, typer.Option(help=SETTINGS["skillset"].help)] = None,
    workers: Annotated[int | None, typer.Option(min=0, help=SETTINGS["workers"].help + " [default: cores]", show_default=False)] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help=SETTINGS["batch_size"].help + " [default: 16]", show_default=False)] = None,
    commit_seconds: Annotated[float, typer.Option(min=0, help=f"Batches that finish within this many seconds of the last commit are committed together (at most {COMMIT_BATCHES} batches or {COMMIT_PAGES:,} pages), so searches see new documents about this often (with --engine ray, when a batch arrives); fewer commits cost less (each re-decides the names it touched and updates the earlier documents that changes). Ctrl-C commits what was enriched; a killed run redoes what was not committed. 0: commit every batch as it comes.")] = COMMIT_SECONDS,
    split_pages: Annotated[int, typer.Option(min=0, help="With 2 or more workers, a document of more pages than this has its page-level skills (entities) run on parts of its pages in every worker, not in one; 0: never split.")] = SPLIT_PAGES,
    max_failed: Annotated[int | None, typer.Option(min=0, help="Fail the run (exit 1) when more than N source items fail; the run stops there.")] = None,
    limit: Annotated[int | None, typer.Option(min=0, help="Process at most N new or changed items.")] = None,
    doc_timeout: Annotated[float | None, typer.Option(min=1, help=SETTINGS["doc_timeout"].help, show_default=False)] = None,
    reindex: Annotated[bool, typer.Option(help="Enrich every item again, changed or not (after installing a missing model, say). A changed skillset does this by itself.")] = False,
    device: Annotated[str | None, typer.Option(help=SETTINGS["device"].help + " [default: auto]", show_default=False)] = None,
    retry_failed: Annotated[bool, typer.Option(help="Process only the items that failed last time (transient and permanent failures alike); `enrich status` lists them.")] = False,
    reset_skill: Annotated[list[str] | None, typer.Option(help="Forget this skill's cached outputs and run it again on every item (repeatable); other skills reuse theirs.")] = None,
    reset: Annotated[bool, typer.Option(help="Forget the whole enrichment cache (cracking and every skill's outputs) and enrich everything again.")] = False,
    cache: Annotated[bool, typer.Option(help="Keep cracking and skill outputs in DATA/cache and reuse them when the same bytes come again with the same skill settings.")] = True,
    max_bytes: Annotated[int | None, typer.Option(min=1, help="Fail items larger than this many bytes (reported per item, not downloaded).")] = None,
    doc_memory: Annotated[str, typer.Option("--doc-memory", help="Memory a worker process may allocate (500MB, 4GB): a document that needs more fails with the reason and the run goes on. auto: three quarters of the machine's memory split between the workers; off: no limit. Not enforced with --workers 0 or on Windows.")] = "auto",
    unpack_limits: Annotated[str | None, typer.Option("--unpack-limits", help="What archives, e-mail attachments and Office packages may unpack, per source item: any of depth=N (containers inside containers opened; 3), members=N (entries in all; 10000), member=SIZE (one member unpacked; 256MB), total=SIZE (all members; 1GB, and at most ratio times the item's size), ratio=N (unpacked to packed, for members over 1 MB; 100), comma-separated: depth=5,total=4GB. A member over a limit is left out with a warning on its parent. Items already indexed keep what they had: add --reindex.", show_default=False)] = None,
    allow_empty: Annotated[bool, typer.Option(help="When the source lists nothing, delete everything indexed from it (by default it is kept, with a warning: an empty listing is more often a wrong container or credentials).")] = False,
    parsing_mode: Annotated[str | None, typer.Option(help="Read each file's records as documents: csv, jsonl, json or xlsx (each worksheet's rows under its header row) (default: one document per file, as cracked).")] = None,
    key: Annotated[str | None, typer.Option(help="Records: the column that names each record (its document id follows it).")] = None,
    text_column: Annotated[list[str] | None, typer.Option(help="Records: a column whose text is searched and enriched (repeatable; default: every text column).")] = None,
    table: Annotated[str | None, typer.Option(help="SQL sources: the table to index.")] = None,
    query: Annotated[str | None, typer.Option(help="SQL sources: a SELECT whose rows are indexed (instead of --table).")] = None,
    high_water_mark: Annotated[str | None, typer.Option(help="SQL sources: a column that grows when a row changes (updated_at, a rowversion); only rows whose value changed are read.")] = None,
    endpoint_url: Annotated[str | None, typer.Option(help="s3:// sources: an S3-compatible endpoint (MinIO, R2...); also $ENRICH_S3_ENDPOINT_URL.")] = None,
    index: Annotated[str | None, typer.Option("--index", help=SETTINGS["index"].help)] = None,
    engine: Annotated[str | None, typer.Option(help=SETTINGS["engine"].help + " [default: local]", show_default=False)] = None,
    ray_address: Annotated[str | None, typer.Option(help=SETTINGS["ray_address"].help)] = None,
    rebuild_index: Annotated[bool, typer.Option("--rebuild-index", help="Rebuild the search index (the data directory's, or --index) from the store, and swap it in when complete: after an upgrade changed its layout, or to fill a new index. Searches go on meanwhile. With SOURCE, the run follows.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Index SOURCE: unchanged items are skipped, removed ones are deleted, and each
    document ends ok, partial (with warnings) or failed (with its reason).

    SOURCE is a folder or file (or file://), az://container/prefix, s3://bucket/prefix,
    gs://bucket/prefix, or a SQLAlchemy URL such as sqlite:///notes.db (with --table or
    --query and --key). Azure credentials come from $AZURE_STORAGE_CONNECTION_STRING
    (or $AZURE_STORAGE_ACCOUNT with $AZURE_STORAGE_KEY or $AZURE_STORAGE_SAS_TOKEN); S3
    and GCS use their SDKs' usual environment and files."""
    if source is None and not rebuild_index:
        fail("missing SOURCE: what to index (or --rebuild-index alone, to rebuild the "
             "search index from the store)")
    rebuilt = None
    if rebuild_index:
        rebuilt = _rebuild(data_dir(data), get_setting("index", index),
                           show=not json_output)
        if source is None:
            if json_output:
                emit_json(rebuilt)
            return
    options = IndexOptions(
        data_dir=data_dir(data, must_exist=False), skillset=get_setting("skillset", skillset),
        workers=get_setting("workers", workers), batch_size=get_setting("batch_size", batch_size),
        commit_seconds=commit_seconds,
        split_pages=split_pages or None, max_failed=max_failed, limit=limit, doc_timeout=get_setting("doc_timeout", doc_timeout),
        device=check_device(get_setting("device", device)), reindex=reindex,
        retry_failed=retry_failed, reset_skills=tuple(reset_skill or ()), reset=reset,
        cache=cache, max_bytes=max_bytes, doc_memory=_doc_memory(doc_memory),
        unpack_limits=_unpack_limits(unpack_limits), allow_empty=allow_empty,
        index_url=get_setting("index", index), engine=get_setting("engine", engine),
        ray_address=get_setting("ray_address", ray_address),
        source_options=_source_options(parsing_mode=parsing_mode, key=key,
                                       text_columns=text_column or None, table=table,
                                       query=query, high_water_mark=high_water_mark,
                                       endpoint_url=endpoint_url))
    try:
        summary = _run(source, options, show_progress=not json_output)
    except KeyboardInterrupt:
        err_console.print(INTERRUPTED, highlight=False)
        raise typer.Exit(130) from None
    if json_output:
        rebuild = {"rebuild": {"index": rebuilt["rebuilt"], "documents": rebuilt["documents"]}
                   } if rebuilt else {}
        emit_json({**summary.to_dict(), **rebuild})
    else:
        _print_summary(summary)
    if summary.status != "ok":
        raise typer.Exit(1)


def _source_options(**given: object) -> dict[str, object]:
    """The source options given on the command line (the source says if one does not fit)."""
    return {name: value for name, value in given.items() if value is not None}


def _rebuild(path: Path, url: str | None, show: bool) -> dict[str, object]:
    """Rebuild the search index from the store; says (``show``) and returns how many
    documents it holds (``{"rebuilt": index, "documents": n}``, for --json)."""
    from indexers.stores import rebuild_search_index
    count = rebuild_search_index(path, url)
    if show:
        console.print(f"rebuilt the search index of {escape(str(path))}"
                      + (f" ({escape(url)})" if url else "") + f" from the store: {count} "
                      "documents", highlight=False)
    return {"rebuilt": url or str(path), "documents": count}


def _run(source: str, options: IndexOptions, show_progress: bool) -> RunSummary:
    if not show_progress:
        return run_index(source, options)
    columns = (TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("index", total=None)
        return run_index(source, options, lambda done, total: bar.update(task, completed=done, total=total))


def _print_summary(summary: RunSummary) -> None:
    d = summary.documents
    console.print(f"[bold]run {summary.run_id}[/] {summary.status} in {summary.seconds:.1f} s: "
                  f"{d['seen']} seen, {d['indexed']} indexed ({d['partial']} partial), "
                  f"{d['unchanged']} unchanged, {d['failed']} failed, {d['deleted']} deleted",
                  highlight=False)
    for name, skill in summary.skills.items():
        if skill.get("disabled"):
            console.print(f"[yellow]skill {name} disabled:[/] " + escape(skill["disabled"]),
                          highlight=False)
    for error in summary.errors[:20]:
        colour = "red" if error["severity"] == "error" else "yellow"
        console.print(f"[{colour}]{error['severity']}[/] "
                      + escape(f"{error['uri']} [{error['stage']}]: {error['message']}"),
                      highlight=False, soft_wrap=True)
    if len(summary.errors) > 20:
        console.print(f"... and {len(summary.errors) - 20} more (`enrich status --json`)")


def _unpack_limits(value: str | None) -> Limits | None:
    """``--unpack-limits``: the container limits, the defaults where not named."""
    if value is None:
        return None
    try:
        return parse_limits(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--unpack-limits") from None


def _doc_memory(value: str) -> int | str | None:
    """``--doc-memory``: ``auto``, ``off`` or a size."""
    if value.strip().lower() in ("auto", "off", "none"):
        return None if value.strip().lower() != "auto" else "auto"
    try:
        return parse_size(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--doc-memory") from None
