"""``enrich graph neighbors|evidence|path|export``: the knowledge graph from the shell."""

from __future__ import annotations

from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Iterator

import typer
from rich.markup import escape
from rich.table import Table

from enrich.cli.app import app
from enrich.cli.common import DataOption, JsonOption, console, data_dir, emit_json
from graph.cooccurrence import RANKS, SCOPES
from graph.export import FORMATS

if TYPE_CHECKING:
    from graph import KnowledgeGraph

__all__ = ["graph_app", "open_graph"]

graph_app = typer.Typer(
    help="Query the knowledge graph: which entities co-occur with which, how strongly, "
         "and where the evidence is. Name entities loosely ('lebron james') or by key "
         "('PERSON:lebron james'); see `enrich entities` to look them up.",
    no_args_is_help=True)
app.add_typer(graph_app, name="graph")


# Choices for --scope, --rank and --format, from the graph's own constants.
Scope = Enum("Scope", {s: s for s in SCOPES}, type=str)
Rank = Enum("Rank", {r: r for r in RANKS}, type=str)
Format = Enum("Format", {f: f for f in sorted(set(FORMATS.values()))}, type=str)


ScopeOption = Annotated[Scope, typer.Option(
    help="Where two entities must both appear to count as co-occurring.")]
KindOption = Annotated[list[str] | None, typer.Option(
    "--kind", help="Keep only entities of this type (PERSON, ORG, GPE, ...); repeatable.")]
MinCountOption = Annotated[int, typer.Option(
    help="Ignore co-occurrences seen fewer times than this.", min=1)]


@contextmanager
def open_graph(data) -> Iterator["KnowledgeGraph"]:
    """The graph of ``--data``. Its errors (``GraphError``, a store the store refuses,
    a file that cannot be written) reach the root command, which prints one line.

    The query API (numpy, pandas) is imported here, not when the CLI starts.
    """
    from graph import KnowledgeGraph
    with KnowledgeGraph.open(data_dir(data)) as kg:
        yield kg


def _number(value: float) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


@graph_app.command("neighbors")
def neighbors_command(
    entity: Annotated[str, typer.Argument(help="The entity: a name or a key.")],
    kind: KindOption = None,
    scope: ScopeOption = Scope.document,
    rank: Annotated[Rank, typer.Option(
        help="Order by raw count, or by significance: npmi (normalised pointwise mutual "
             "information, -1..1, favours exclusive pairs) or llr (log-likelihood ratio, "
             "favours pairs that are both frequent and surprising).")] = Rank.count,
    limit: Annotated[int, typer.Option(help="Neighbours to show.", min=1)] = 10,
    min_count: MinCountOption = 1,
    data: DataOption = None,
    json_output: JsonOption = False,
) -> None:
    """The entities that co-occur with ENTITY, strongest first."""
    with open_graph(data) as kg:
        card = kg.entity(entity)
        frame = kg.neighbors(card["key"], kind=kind, scope=scope.value, rank=rank.value,
                             limit=limit, min_count=min_count)
    if json_output:
        emit_json({"entity": card, "scope": scope.value, "rank": rank.value,
                   "neighbors": frame.to_dict(orient="records")})
        return
    table = Table(title=escape(f"{card['name']} ({card['type']}, {card['documents']} documents): "
                               f"neighbours at {scope.value} scope, by {rank.value}"))
    for column in ("name", "type", "count", "documents", "npmi", "llr", "key"):
        table.add_column(column, justify="right" if column in ("count", "documents", "npmi",
                                                               "llr") else "left")
    for row in frame.to_dict(orient="records"):
        table.add_row(*(escape(_number(row[c])) for c in ("name", "type", "count", "documents",
                                                          "npmi", "llr", "key")))
    console.print(table if len(frame) else escape(f"{card['name']} co-occurs with nothing here."))


@graph_app.command("evidence")
def evidence_command(
    a: Annotated[str, typer.Argument(help="One entity: a name or a key.")],
    b: Annotated[str, typer.Argument(help="The other entity.")],
    limit: Annotated[int, typer.Option(help="Documents to show.", min=1)] = 10,
    data: DataOption = None,
    json_output: JsonOption = False,
) -> None:
    """How often A and B co-occur at each scope, and the documents that show it."""
    with open_graph(data) as kg:
        found = kg.cooccurrence(a, b, limit=limit)
    if json_output:
        emit_json(found)
        return
    names = f"{found['a']['name']} and {found['b']['name']}"
    if not found["scopes"]:
        console.print(f"{escape(names)} never co-occur.")
        return
    table = Table(title=escape(f"{names}: co-occurrence"))
    for column in ("scope", "count", "documents", "npmi", "llr"):
        table.add_column(column, justify="left" if column == "scope" else "right")
    for scope, row in found["scopes"].items():
        table.add_row(scope, *(_number(row[c]) for c in ("count", "documents", "npmi", "llr")))
    console.print(table)
    for doc in found["evidence"]:
        pages = ", ".join(map(str, doc["pages"])) or "-"
        console.print(f"\n[bold cyan]{escape(doc['title'])}[/]  pages {pages}\n  "
                      f"{escape(doc['uri'])}", highlight=False)
        for snippet in doc["snippets"]:
            console.print(f"  p{snippet.get('page') or '?'}: " + escape(snippet["text"]),
                          highlight=False)


@graph_app.command("path")
def path_command(
    a: Annotated[str, typer.Argument(help="Where the path starts: a name or a key.")],
    b: Annotated[str, typer.Argument(help="Where it ends.")],
    scope: ScopeOption = Scope.document,
    min_count: MinCountOption = 1,
    max_hops: Annotated[int, typer.Option(help="Longest path to look for.", min=1,
                                          max=8)] = 4,
    data: DataOption = None,
    json_output: JsonOption = False,
) -> None:
    """A shortest chain of co-occurrences from A to B, with the evidence of each hop."""
    with open_graph(data) as kg:
        hops = kg.path(a, b, scope=scope.value, min_count=min_count, max_hops=max_hops)
    if json_output:
        emit_json(hops)
        return
    if not hops:
        console.print("Those are the same entity.")
        return
    for hop in hops:
        titles = "; ".join(doc["title"] for doc in hop["evidence"])
        console.print(f"[bold]{escape(hop['a_name'])}[/] -- {hop['count']} -- "
                      f"[bold]{escape(hop['b_name'])}[/]   npmi {hop['npmi']:.3f}\n"
                      f"  in: {escape(titles)}", highlight=False)


@graph_app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="Where to write: .gexf (Gephi), .graphml "
                                              "(Cytoscape) or .json (d3 node-link).")],
    format: Annotated[Format | None, typer.Option(
        help="File format; by default taken from FILE's suffix.")] = None,
    scope: ScopeOption = Scope.document,
    min_count: MinCountOption = 1,
    kind: KindOption = None,
    data: DataOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write the whole graph (of one scope) for Gephi, Cytoscape or d3."""
    from graph.export import check_format, write
    with open_graph(data) as kg:
        fmt = check_format(file, format.value if format else None)
        with console.status(f"building the {scope.value} graph..."):
            graph = kg.to_networkx(scope=scope.value, min_count=min_count, kind=kind)
        with console.status(f"writing {file}..."):
            write(graph, file, fmt)
    summary = {"file": str(file), "format": fmt, "scope": scope.value,
               "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}
    if json_output:
        emit_json(summary)
        return
    console.print(f"wrote {summary['nodes']} entities and {summary['edges']} co-occurrences "
                  f"to {escape(str(file))} ({fmt})", highlight=False)
