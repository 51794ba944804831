"""From an enriched tree to what the stores keep: a :class:`DocumentRecord`.

Field mappings of the skillset choose which tree nodes become index fields (a user
field's values converted to its type, ``indexers.stores.fields``: a value that does not
convert is left out with a warning on the document); entity
lists (the skillset's ``entities`` paths) become mentions - with the page and
sentence they sit in and the provenance of the skill that found them - typed
facets and the document's co-occurrence contributions.

The mentions' spans are cleaned (rule ``boundaries``,
:func:`graph.resolution_text.clean_span`) and the mentions normalised per document
(:func:`graph.normalize.resolve`: one canonical key per entity, short forms and
defined acronyms joined to their long form, the majority type) under the skillset's
``resolution`` rules before the edges are counted; the store resolves them across
the corpus (``graph.resolution``). A mention from the user's dictionary or gallery
(``graph.resolution.AUTHORITY_SKILLS``) is marked ``authority``: its type wins. That is the costly part
of a record (a dense document has thousands of pairs), so worker processes do it
(:func:`attach_graph`) and the main process only reuses it, unless a corpus-stage
skill writes entities.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterator

from graph import contributions
from graph.normalize import resolve
from graph.resolution import AUTHORITY_SKILLS, FACET_FIELDS
from graph.resolution_text import clean_span
from indexers.crackers.base import PAGE_SEPARATOR
from indexers.stores.base import DocumentRecord
from indexers.stores.fields import convert

from enrich import tree
from enrich.plan import Plan
from enrich.redaction import GRAPH_KEY as _GRAPH
from enrich.redaction import drop_pii_mentions, redact_document

__all__ = ["document_id", "to_record", "attach_graph", "TYPE_FIELDS",
           "file_type"]

TYPE_FIELDS = FACET_FIELDS
_FILE_TYPES = {"application/pdf": "pdf", "text/plain": "text", "text/markdown": "markdown",
               "text/html": "html", "text/csv": "csv", "application/x-ndjson": "jsonl",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
               "application/vnd.openxmlformats-officedocument.presentationml.presentation":
                   "pptx",
               "application/vnd.ms-excel": "xls", "message/rfc822": "eml",
               "application/mbox": "mbox", "application/zip": "zip", "application/x-tar": "tar",
               "application/gzip": "gzip", "application/x-bzip2": "bzip2", "application/x-xz": "xz",
               "application/x-7z-compressed": "7z"}


def document_id(uri: str) -> str:
    """A stable id derived from the document's URI."""
    return hashlib.sha256(uri.encode("utf-8")).hexdigest()[:32]


def file_type(content_type: str | None) -> str:
    """A short facet value for a MIME type: ``pdf``, ``png``, ``docx``..."""
    if not content_type:
        return "unknown"
    if content_type.startswith("image/"):
        return content_type.split("/", 1)[1]
    return _FILE_TYPES.get(content_type, content_type.split("/")[-1])


def _flatten(values: Iterator[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list):
            out.extend(_flatten(iter(value)))
        elif value not in (None, ""):
            out.append(value)
    return out


def _place(doc: dict[str, Any], where: tuple) -> tuple[Any, Any]:
    """The page number and image id an entity list sits under, if any."""
    if len(where) >= 2 and isinstance(where[1], int):
        if where[0] == "pages":
            return doc["pages"][where[1]].get("number"), None
        if where[0] == "images":
            image = doc["images"][where[1]]
            return image.get("page"), image.get("id")
    return None, None


def _mentions(doc: dict[str, Any], plan: Plan) -> Iterator[dict[str, Any]]:
    provenance = doc.get("provenance", {})
    authorities = {b.name for b in plan.skills if b.spec.skill in AUTHORITY_SKILLS}
    for pattern in plan.entities:
        origin = provenance.get(tree.format_path(pattern), {})
        authority = origin.get("skill") in authorities
        for where, values in tree.expand(doc, pattern):
            page, image = _place(doc, where)
            for entity in values or []:
                yield {"key": entity["key"], "type": entity["type"],
                       "name": entity.get("name") or entity["text"], "text": entity["text"],
                       "page": page, "image": image,
                       "start": entity.get("start"), "end": entity.get("end"),
                       "confidence": entity.get("confidence"), "skill": origin.get("skill"),
                       "version": origin.get("version"), "model": origin.get("model"),
                       "description": entity.get("description"), "authority": authority,
                       "alias": entity.get("alias")}


def _fields(tree_doc: dict[str, Any], doc: dict[str, Any], plan: Plan,
            mentions: list[dict], title: str) -> dict:
    """The index fields of ``doc``; a value of a user field that is not of its type
    is a warning on ``tree_doc``."""
    meta = doc.get("metadata", {})
    fields: dict[str, Any] = {"uri": doc["uri"], "title": title, "content": doc.get("content", ""),
                              "file_type": file_type(meta.get("content_type"))}
    specs = {spec.name: spec for spec in plan.skillset.field_specs}
    for name, pattern in plan.fields.items():
        values = _flatten(value for _, value in tree.expand(doc, pattern))
        if name in specs:
            values, problems = convert(specs[name], values)
            tree_doc.setdefault("warnings", []).extend(
                f"field {name!r} from {tree.format_path(pattern)}: {problem}; left out"
                for problem in problems)
        fields[name] = values
    for mention in mentions:
        typed = TYPE_FIELDS.get(mention["type"])
        image = ["labels"] if mention.get("image") else []
        for name in ([typed] if typed else []) + image + ["entities"]:
            bucket = fields.setdefault(name, [])
            if mention["name"] not in bucket:
                bucket.append(mention["name"])
    return fields


def _warnings(doc: dict[str, Any]) -> list[str]:
    skill_errors = [f"skill {e['skill']} at {e['path']}: {e['message']}"
                    for e in doc.get("skill_errors", [])]
    return list(doc.get("warnings", [])) + skill_errors


def _jsonable(doc: dict[str, Any]) -> dict[str, Any]:
    """The tree without image bytes (those live in the images table)."""
    out = dict(doc)
    out["images"] = [{k: v for k, v in image.items() if k != "data"}
                     for image in doc.get("images", [])]
    return out


def _merged(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Pages and content with OCR text and image descriptions merged in, when there are."""
    pages = doc.get("pages", [])
    if not any("merged_text" in page for page in pages):
        return pages, doc.get("content", "")
    merged, offset = [], 0
    for page in pages:
        text = page.get("merged_text") or page.get("text") or ""
        merged.append({**page, "text": text, "offset": offset})
        offset += len(text) + len(PAGE_SEPARATOR)
    return merged, PAGE_SEPARATOR.join(p["text"] for p in merged)


def _graph(doc: dict[str, Any], pages: list[dict[str, Any]], content: str,
           plan: Plan) -> tuple[list[dict], list[tuple], list[tuple[str, str]]]:
    """The document's normalised mentions, co-occurrence edges and the aliases it defines."""
    texts: dict[Any, str] = {page.get("number"): page.get("text") or "" for page in pages}
    texts[None] = content
    rules = plan.skillset.resolution
    mentions = drop_pii_mentions(list(_mentions(doc, plan)), doc, plan)
    try:
        if rules.get("boundaries", True):
            mentions = _cleaned(mentions, texts)
        mentions, aliases = resolve(mentions, texts, rules)
    except Exception as exc:  # noqa: BLE001 - a normaliser bug must not lose the document
        doc.setdefault("warnings", []).append(
            f"entity normalisation failed, keys kept as the skills gave them: {exc!r}")
        aliases = []
    return mentions, contributions(mentions), aliases


def _cleaned(mentions: list[dict], texts: dict[Any, str]) -> list[dict]:
    """The mentions with their spans cleaned; those left empty dropped."""
    out = []
    for m in mentions:
        text = texts.get(m["page"]) if m.get("page") in texts else texts.get(None)
        cleaned = clean_span(m, text)
        if cleaned is not None:
            out.append(cleaned)
    return out


def _entities_after_corpus(plan: Plan) -> bool:
    """Whether a corpus-stage skill writes (or under) a path entities are read from."""
    return any(tree.is_under(e, w) or tree.is_under(w, e) for b in plan.corpus_skills
               for w in b.writes for e in plan.entities)


def attach_graph(docs: list[dict[str, Any]], plan: Plan) -> None:
    """Work out each document's graph part now (in a worker), for :func:`to_record`."""
    if _entities_after_corpus(plan):
        return
    for doc in docs:
        pages, content = _merged(doc)
        doc[_GRAPH] = _graph(doc, pages, content, plan)


def to_record(doc: dict[str, Any], source_uri: str, plan: Plan) -> DocumentRecord:
    """Flatten one enriched document for the store and the search index.

    When a merge skill ran, the stored page text and the indexed content are the
    merged texts (OCR text, captions, tags and labels in place), which is also the
    text the entity offsets refer to in the default skillset. A ``pii`` skill in
    redact mode redacts every copy of the text (``enrich.redaction``).
    """
    doc, kept = redact_document(doc, plan)
    meta = doc.get("metadata", {})
    pages, content = _merged(doc)
    title = meta.get("title") or meta.get("file_name") or doc["uri"]
    mentions, edges, aliases = doc.pop(_GRAPH, None) or _graph(doc, pages, content, plan)
    fields = _fields(doc, {**doc, "content": content}, plan, mentions, str(title))
    warnings = _warnings(doc)
    return DocumentRecord(
        id=document_id(doc["uri"]), uri=doc["uri"], source_uri=source_uri,
        status="partial" if warnings else "ok", title=str(title),
        content=content, metadata=kept.get("metadata", {}), pages=pages,
        images=doc.get("images", []), entities=mentions, edges=edges, aliases=aliases,
        fields=fields,
        tree=_jsonable(kept),
        warnings=warnings)
