"""Long documents enriched in parts, so that one report of hundreds of pages keeps
every worker process busy instead of one.

The per-document skills of a plan fall in three phases (:func:`phases`):

1. ``before``: the skills up to the first page-level one (a context under
   ``/document/pages/*``), run on the whole document where it was cracked;
2. ``pages``: the page-level skills that follow them, run on parts of the
   document's pages (:func:`split`), each part in whichever process is free;
3. ``after``: the rest, run on the whole document again once its parts are merged
   back (:func:`merge`), with its graph part.

A page-level skill gets one record per page and writes only under that page (and the
document's ``provenance`` and ``skill_errors``), so the parts give the same tree as the
whole document: a run's store does not depend on whether a document was split
(``tests/enrich/test_page_parts.py`` compares them). A part carries its pages and only
the document-level values the page-level skills read, not the whole text again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from enrich.plan import Plan

__all__ = ["Phases", "phases", "part_bounds", "split", "merge", "PART_KEY",
           "SPLIT_PAGES", "MIN_PART_PAGES"]

SPLIT_PAGES = 16  # documents of more pages are split (enrich index --split-pages)
MIN_PART_PAGES = 8  # fewer pages are not worth a trip to another process
PART_KEY = "_part"  # a part's (first page index, end index) in its document
PARTS_PER_WORKER = 2  # a long document's pages go out in about this many parts a worker


@dataclass(frozen=True)
class Phases:
    """Names of the per-document skills of each phase, in plan order, and the
    document-level keys the page-level ones read."""

    before: tuple[str, ...]
    pages: tuple[str, ...]
    after: tuple[str, ...]
    reads: frozenset[str]


def _page_level(context: tuple[str, ...]) -> bool:
    return context[:2] == ("pages", "*")


def phases(plan: Plan) -> Phases:
    """Cut ``plan``'s per-document skills into the three phases (see the module
    docstring); ``pages`` is empty when no page-level skill follows the first ones."""
    skills = plan.document_skills
    start = next((n for n, b in enumerate(skills) if _page_level(b.context)), len(skills))
    end = start
    while end < len(skills) and _page_level(skills[end].context):
        end += 1
    names = [b.name for b in skills]
    reads = {path[0] for b in skills[start:end] for path in b.inputs.values()
             if path and path[0] != "pages"}
    return Phases(tuple(names[:start]), tuple(names[start:end]), tuple(names[end:]),
                  frozenset(reads))


def part_bounds(pages: int, workers: int) -> list[tuple[int, int]]:
    """``(start, end)`` page index ranges that cover ``pages`` pages in at most
    ``PARTS_PER_WORKER`` parts a worker, of even sizes, none under ``MIN_PART_PAGES``
    pages (a short document is one part)."""
    count = max(1, min(pages // MIN_PART_PAGES, PARTS_PER_WORKER * max(1, workers)))
    return [(n * pages // count, (n + 1) * pages // count) for n in range(count)]


def split(doc: dict[str, Any], bounds: list[tuple[int, int]],
          reads: frozenset[str]) -> list[dict[str, Any]]:
    """The parts of ``doc``: its pages in ``bounds``, with the document-level values
    the page-level skills read (``reads``)."""
    shared = {key: doc[key] for key in reads if key in doc}
    return [{**shared, "pages": doc["pages"][start:end], PART_KEY: (start, end)}
            for start, end in bounds]


_PAGE_PATH = re.compile(r"^/document/pages/(\d+)")


def merge(doc: dict[str, Any], parts: list[dict[str, Any]],
          skills: tuple[str, ...] = ()) -> dict[str, Any]:
    """``doc`` with the enriched pages of its ``parts`` (as :func:`split` made them and
    the page-level skills filled them), their provenance, and their skill errors with
    page paths counted in the whole document, in the order the whole document would
    have them: by skill (``skills``, the phase's order), then page."""
    pages, errors = list(doc["pages"]), []
    for part in parts:
        start, end = part[PART_KEY]
        if len(part["pages"]) != end - start:
            raise ValueError(f"a part of pages {start}-{end} came back with "
                             f"{len(part['pages'])} pages")
        pages[start:end] = part["pages"]
        doc.setdefault("provenance", {}).update(part.get("provenance", {}))
        for error in part.get("skill_errors", []):
            path = _PAGE_PATH.sub(lambda m: f"/document/pages/{int(m[1]) + start}",
                                  error["path"])
            errors.append({**error, "path": path})
    rank = {name: n for n, name in enumerate(skills)}
    errors.sort(key=lambda e: rank.get(e["skill"], len(rank)))  # stable: pages stay in order
    if errors:
        doc.setdefault("skill_errors", []).extend(errors)
    doc["pages"] = pages
    return doc
