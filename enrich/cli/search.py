"""``enrich search QUERY``: full-text search with facets and filters."""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated

import typer
from rich.markup import escape

from enrich.cli.app import app
from enrich.cli.common import DataOption, JsonOption, console, data_dir, emit_json
from enrich.config import SETTINGS, get_setting
from enrich.searching import MODES, search, similar
from indexers.stores import SearchResult
from indexers.stores.query_syntax import SYNTAXES

Syntax = Enum("Syntax", {name: name for name in SYNTAXES}, type=str)  # type: ignore[misc]
Mode = Enum("Mode", {name: name for name in ("auto",) + MODES}, type=str)  # type: ignore[misc]


def _filters(values: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for value in values:
        name, sep, wanted = value.partition("=")
        if not sep or not name or not wanted:
            raise typer.BadParameter(f"{value!r}: expected FIELD=VALUE, e.g. "
                                     "--filter people='Ada Lovelace'", param_hint="--filter")
        out.setdefault(name.strip(), []).append(wanted.strip())
    return out


def _sort(value: str | None) -> str | None:
    """``FIELD``, ``FIELD:asc`` or ``FIELD:desc`` as the index's ``FIELD``/``-FIELD``."""
    if not value or value == "relevance":
        return None
    name, _, order = value.partition(":")
    if order not in ("", "asc", "desc") or not name:
        raise typer.BadParameter(f"{value!r}: expected FIELD, FIELD:asc or FIELD:desc",
                                 param_hint="--sort")
    return ("-" if order == "desc" else "") + name


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help='Query: words, "phrases", AND/OR/NOT, field:value, prefix*; * for all (what is not valid syntax is searched as words, see --syntax). A query starting with "-" goes after "--": enrich search -- -word')],
    data: DataOption = None,
    top: Annotated[int, typer.Option(help="Results to show.", min=1, max=1000)] = 10,
    facet: Annotated[list[str] | None, typer.Option(help="Count values of this field (people, organizations, locations, entities, labels, tags, keyphrases, language, file_type, uri, or a facetable field of the skillset's fields:); repeatable.")] = None,
    filter: Annotated[list[str] | None, typer.Option(help="Keep documents whose FIELD has VALUE (FIELD=VALUE; a number, date or bool field takes a value of its type, amount=12.5, and a number or date field a range LOW..HIGH, amount=10..20, shipped=2024-01-01..); repeatable, a field given twice keeps either value.")] = None,
    facet_size: Annotated[int, typer.Option(help="Values to show per facet.", min=1, max=1000)] = 10,
    index: Annotated[str | None, typer.Option("--index", help=SETTINGS["index"].help)] = None,
    sort: Annotated[str | None, typer.Option(help="Order by FIELD instead of relevance: FIELD, FIELD:asc or FIELD:desc (uri, file_type, or a sortable field of the skillset's fields:).")] = None,
    skip: Annotated[int, typer.Option(help="Skip the first N results (paging: --skip 10 --top 10 shows results 11 to 20).", min=0)] = 0,
    syntax: Annotated[Syntax, typer.Option(help="lenient: what is not valid query syntax (an apostrophe, an unclosed quote, a stray AND, foo:bar) is searched as words; strict: such a query is an error that says where.")] = Syntax.lenient,
    mode: Annotated[Mode, typer.Option(help="keyword: the words (BM25); vector: the meaning (the query embedded like the chunks, nearest chunks); hybrid: both lists fused by reciprocal rank; auto: hybrid when the index has vectors (the embeddings skill) and keyword otherwise, or with --sort.")] = Mode.auto,
    json_output: JsonOption = False,
) -> None:
    """Search the index: words or meaning (--mode), filters and facets on keyword and
    user fields, a sort order and paging. Vector and hybrid results show the best
    matching passage with its page."""
    result = search(data_dir(data), query, top=top, offset=skip, facets=facet or [],
                    filters=_filters(filter or []), facet_size=facet_size,
                    index_url=get_setting("index", index), syntax=syntax.value,
                    sort=_sort(sort), mode=None if mode is Mode.auto else mode.value)
    _show(result, f"match {query!r}", json_output)


@app.command("similar")
def similar_command(
    doc_id: Annotated[str, typer.Argument(help="The document's id (as `enrich search --json` and the web page show it).")],
    data: DataOption = None,
    top: Annotated[int, typer.Option(help="Results to show.", min=1, max=1000)] = 10,
    facet: Annotated[list[str] | None, typer.Option(help="Count values of this field over the similar documents; repeatable.")] = None,
    filter: Annotated[list[str] | None, typer.Option(help="Keep documents whose FIELD has VALUE (FIELD=VALUE, as for search); repeatable.")] = None,
    index: Annotated[str | None, typer.Option("--index", help=SETTINGS["index"].help)] = None,
    json_output: JsonOption = False,
) -> None:
    """More like this: the documents whose passages are nearest in meaning to this
    document's (its chunk vectors averaged; needs the embeddings skill)."""
    result = similar(data_dir(data), doc_id, top=top, facets=facet or [],
                     filters=_filters(filter or []), index_url=get_setting("index", index))
    _show(result, f"are like {doc_id}", json_output)


def _show(result: SearchResult, what: str, json_output: bool) -> None:
    if json_output:
        emit_json(result.to_dict())
        return
    console.print(f"[bold]{result.count}[/] documents {escape(what)} ({result.mode})",
                  highlight=False)
    for hit in result.results:
        score = "" if hit["score"] is None else f"  score {hit['score']:.3f}"
        console.print(f"\n[bold cyan]{escape(str(hit['title']))}[/]{score}\n  "
                      f"{escape(str(hit['uri']))}",
                      highlight=False)
        for line in hit["highlights"][:2]:
            console.print("  " + _terminal(line), highlight=False)
        chunk = hit.get("chunk")
        if chunk and (chunk.get("text") or chunk.get("image")):
            where = f"page {chunk['page']}" if chunk.get("page") else "passage"
            passage = chunk.get("text") or f"image {chunk['image']}"
            console.print(f"  [dim]{where}:[/] {escape(_clip(passage))}", highlight=False)
    for field, buckets in result.facets.items():
        values = ", ".join(f"{b['value']} ({b['count']})" for b in buckets)
        console.print(f"\n[bold]{field}[/]: {escape(values or '-')}", highlight=False)


def _clip(text: str, size: int = 240) -> str:
    """A passage on one line, cut at a word near ``size`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[:size].rsplit(" ", 1)[0] + " ..."


def _terminal(html: str) -> str:
    """Highlight HTML (<b>...</b>, escaped text) as rich markup for a terminal."""
    import html as html_module
    parts = re.split(r"(</?b>)", html)
    out, bold = [], False
    for part in parts:
        if part in ("<b>", "</b>"):
            bold = part == "<b>"
            continue
        text = escape(html_module.unescape(part)).replace("\n", " ")
        out.append(f"[bold yellow]{text}[/]" if bold and text else text)
    return "".join(out)
