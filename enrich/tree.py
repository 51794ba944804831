"""The enrichment tree and the paths that address it.

A document is a tree of dicts and lists rooted at ``/document`` (the schema is in
``indexers.crackers.base``). A path names nodes in it: ``/document/content``,
``/document/pages/*/text``; ``*`` fans out over the items of a list (or the values
of a mapping). Concrete paths (no ``*``) are tuples of keys and list indices.

>>> doc = {"pages": [{"text": "a"}, {"text": "b"}]}
>>> [value for _, value in expand(doc, parse("/document/pages/*/text"))]
['a', 'b']
"""

from __future__ import annotations

from typing import Any, Iterator

from enrich.errors import PathError

__all__ = ["ROOT", "parse", "format_path", "expand", "resolve_input", "is_under",
           "matches_prefix", "set_child", "strings"]

ROOT = "document"
Pattern = tuple[str, ...]
Concrete = tuple[str | int, ...]


def strings(node: Any, keys: bool = False) -> Iterator[str]:
    """Every string in ``node``, depth first through dicts, lists and tuples (with
    ``keys``, a dict's keys too)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if keys:
                yield from strings(key, keys)
            yield from strings(value, keys)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from strings(item, keys)


def parse(path: str) -> Pattern:
    """Split ``/document/pages/*/text`` into ``("pages", "*", "text")`` (root dropped)."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise PathError(f"path {path!r} must be absolute, like '/document/content'")
    parts = path.strip("/").split("/")
    if parts[0] != ROOT:
        raise PathError(f"path {path!r} must start at '/{ROOT}'")
    if any(part == "" for part in parts):
        raise PathError(f"path {path!r} has an empty segment")
    return tuple(parts[1:])


def format_path(pattern: Pattern) -> str:
    """The inverse of :func:`parse`."""
    return "/" + "/".join((ROOT,) + tuple(str(p) for p in pattern))


def _children(node: Any, key: str) -> Iterator[tuple[str | int, Any]]:
    if key == "*":
        if isinstance(node, list):
            yield from enumerate(node)
        elif isinstance(node, dict):
            yield from node.items()
    elif isinstance(node, dict) and key in node:
        yield key, node[key]
    elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
        yield int(key), node[int(key)]


def expand(doc: Any, pattern: Pattern, prefix: Concrete = ()) -> Iterator[tuple[Concrete, Any]]:
    """Yield ``(concrete path, value)`` for every node of ``doc`` matching ``pattern``."""
    if not pattern:
        yield prefix, doc
        return
    for key, child in _children(doc, pattern[0]):
        yield from expand(child, pattern[1:], prefix + (key,))


def matches_prefix(pattern: Pattern, prefix: Pattern) -> bool:
    """Whether ``pattern`` starts with ``prefix`` (segment-wise, ``*`` equal to ``*``)."""
    return len(pattern) >= len(prefix) and pattern[: len(prefix)] == prefix


def is_under(pattern: Pattern, produced: Pattern) -> bool:
    """Whether ``pattern`` is ``produced`` or below it (an opaque output's insides)."""
    return matches_prefix(pattern, produced)


def _node_at(doc: Any, concrete: Concrete) -> Any:
    node = doc
    for key in concrete:
        node = node[key]
    return node


def resolve_input(doc: Any, context: Pattern, instance: Concrete, source: Pattern) -> Any:
    """The value of input ``source`` for one context node.

    When ``source`` lies under the context, it is read relative to that node;
    otherwise from the root. A ``*`` left in the remaining path makes the value a
    list of every match; a missing node gives ``None``.
    """
    if matches_prefix(source, context):
        start, rest = _node_at(doc, instance), source[len(context):]
    else:
        start, rest = doc, source
    if "*" not in rest:
        matches = list(expand(start, rest))
        return matches[0][1] if matches else None
    return [value for _, value in expand(start, rest)]


def set_child(doc: Any, instance: Concrete, name: str, value: Any) -> None:
    """Write ``value`` as child ``name`` of the node at ``instance``."""
    node = _node_at(doc, instance)
    if not isinstance(node, dict):
        raise PathError(f"cannot add {name!r} under {format_path(instance)}: not an object")
    node[name] = value
