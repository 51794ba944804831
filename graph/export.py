"""Writing a graph to files that graph tools open, and reading them back.

``write(G, path, format=None)`` writes a ``networkx.Graph`` as

- ``gexf``: GEXF 1.2 for Gephi; each node also gets ``label`` = its ``name``, which
  Gephi shows;
- ``graphml``: GraphML for Cytoscape, yEd and igraph;
- ``json``: d3's node-link JSON, ``{"directed", "multigraph", "graph", "nodes":
  [{"id", ...attributes}], "links": [{"source", "target", ...attributes}]}``
  (``networkx.node_link_data(G, edges="links")``), UTF-8.

The format comes from ``format`` or else from the file suffix (``FORMATS``); an
unknown one is a ``GraphArgumentError`` (a ``ValueError``) that lists the choices. Attribute values must be
plain scalars (str, int, float, bool): ``None`` becomes ``""``, and a list, tuple or
dict becomes its JSON text, so every format can hold them. ``read(path, format=None)``
loads any of the three back into a ``networkx.Graph`` with string node ids.

>>> import networkx as nx, tempfile, pathlib
>>> G = nx.Graph()
>>> G.add_node("ORG:nike", name="Nike", type="ORG", description=None)
>>> G.add_edge("ORG:nike", "PERSON:lebron james", weight=3, npmi=0.5)
>>> out = pathlib.Path(tempfile.mkdtemp()) / "g.graphml"
>>> H = read(write(G, out))
>>> H.edges["ORG:nike", "PERSON:lebron james"]["weight"], H.nodes["ORG:nike"]["description"]
(3, '')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.errors import ExportError, GraphArgumentError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FORMATS", "check_format", "safe", "write", "read"]

FORMATS = {".gexf": "gexf", ".graphml": "graphml", ".json": "json"}


def check_format(path: str | Path, format: str | None = None) -> str:
    """The format named, or the one the suffix of ``path`` implies.

    >>> check_format("g.GEXF"), check_format("g.txt", "json")
    ('gexf', 'json')
    """
    choices = sorted(set(FORMATS.values()))
    if format is None:
        suffix = Path(path).suffix.lower()
        if suffix not in FORMATS:
            raise GraphArgumentError(f"cannot tell the format of {str(path)!r} from its suffix; "
                             f"use .gexf, .graphml or .json, or pass format= "
                             f"(one of {', '.join(choices)})")
        return FORMATS[suffix]
    if format.lower() not in choices:
        raise GraphArgumentError(f"unknown graph format {format!r}; choose one of {', '.join(choices)}")
    return format.lower()


def _scalar(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict, set)):
        return json.dumps(sorted(value) if isinstance(value, set) else value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def safe(G: nx.Graph) -> nx.Graph:
    """A copy of ``G`` whose attribute values are all plain scalars (see module doc)."""
    H = G.__class__()
    H.graph.update({k: _scalar(v) for k, v in G.graph.items()})
    H.add_nodes_from((n, {k: _scalar(v) for k, v in d.items()}) for n, d in G.nodes(data=True))
    H.add_edges_from((a, b, {k: _scalar(v) for k, v in d.items()})
                     for a, b, d in G.edges(data=True))
    return H


def write(G: nx.Graph, path: str | Path, format: str | None = None) -> Path:
    """Write ``G`` to ``path`` as GEXF, GraphML or node-link JSON; returns ``path``.

    A file that cannot be written is an :class:`ExportError` naming it and the reason."""
    path, fmt = Path(path), check_format(path, format)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(safe(G), path, fmt)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def _write(H: nx.Graph, path: Path, fmt: str) -> None:
    import networkx as nx
    if fmt == "gexf":
        for _, data in H.nodes(data=True):
            data.setdefault("label", str(data.get("name", "")))
        nx.write_gexf(H, path)
    elif fmt == "graphml":
        nx.write_graphml(H, path)
    else:
        data = nx.node_link_data(H, edges="links")
        path.write_text(json.dumps(data, ensure_ascii=False, allow_nan=False), "utf-8")


def read(path: str | Path, format: str | None = None) -> nx.Graph:
    """Load a file ``write`` made (any of the three formats) as a ``networkx.Graph``."""
    import networkx as nx
    path, fmt = Path(path), check_format(path, format)
    if fmt == "gexf":
        return nx.read_gexf(path, node_type=str)
    if fmt == "graphml":
        return nx.read_graphml(path, node_type=str)
    data = json.loads(path.read_text("utf-8"))
    return nx.node_link_graph(data, edges="links")
