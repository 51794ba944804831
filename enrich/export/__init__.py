"""Knowledge-store projections: ``enrich export`` writes the store's tables as files.

``enrich export --out DIR [--format jsonl|parquet|csv] [--tables documents,...]``
writes one file per table, named after it (``entities.jsonl``, ``entities.parquet``,
``entities.csv``), read from the store in one snapshot and streamed in batches
(memory stays flat in the number of rows; ``python -m bench.export`` measures it).
Each file appears under its name only when complete. JSON values (``metadata``,
``fields``, ``bbox``, ``names``...) are nested in JSON lines and Parquet (Parquet:
structs and lists with one schema per table; an object's keys are typed from the
values in the store, a key whose values are objects or of mixed kinds stays JSON
text) and JSON text in CSV, where flags are ``true``/``false`` and NULL is empty.

The files
---------

``documents`` - one row per document (by ``id``)
    id, uri, source_uri, status (``ok``/``partial``), title, content (full text),
    content_type, metadata (object: file name, size, dates, author, page count...),
    fields (object: the skillset's search fields, e.g. language, keyphrases, tags;
    the entity facets are left out: the mentions are their source), warnings
    (list of text), indexed_at; with ``--tree``, tree (the whole enrichment tree,
    left out by default: it repeats the content, pages and entities, and is most of
    the store's size).
``pages`` - one row per page (by doc_id, number)
    doc_id, number (from 1), text, offset (where the page starts in the document's
    content), needs_ocr (flag), width, height (points).
``images`` - one row per image (by doc_id, image_id), without the bytes
    doc_id, image_id, page, bbox (list ``[x0, y0, x1, y1]`` in points), width,
    height (pixels), format, kind (``embedded``, ``page_render``, ``file``),
    needs_ocr (flag), size (bytes stored, or NULL), file (with ``--image-files``:
    the path under DIR where its bytes were written, ``images/DOC/IMAGE.FORMAT``;
    else NULL).
``entities`` - one row per entity of the graph (by key)
    key (``TYPE:normalised name``), type, name, description, documents, mentions,
    pages, images, sentences (how many of each mention it), names (list of
    ``{name, mentions}``: its display names, most used first), aliases (list of
    text: acronyms defined for it).
``mentions`` - every stored mention (by id), the rejected ones included
    id, doc_id, entity_key (the final key, after resolution and corrections; NULL:
    rejected, a common word or a rejection, kept so the rejections can be seen and
    learnt from: ``entity_key IS NOT NULL`` selects the graph's mentions),
    entity_type (the entity's type, NULL when rejected), raw_key (the document's own
    key, before resolution), label (the type the skill gave), name, text (the
    surface form), page, sentence, start, end (character offsets in the page text,
    or in the content when page is NULL), image_id, confidence, initial (flag:
    starts a sentence), authority (flag: from the user's dictionary or gallery),
    skill, skill_version, model.
``edges`` - co-occurrence of two entities (by scope, a, b)
    scope (``document``, ``page``, ``image``, ``sentence``), a, b (entity keys,
    a < b), count (units of the scope holding both), documents (documents in
    which they co-occur at this scope).
``corrections`` - the people's corrections, as stored (by id)
    every column of the store's ``corrections`` table: id, op, entity, value,
    target, doc_id, page, start, who, at, reason, before and after (objects: the
    entity's key, name, type and counts before, and the target's just after),
    undone_at (NULL while active), undone_by. A store without that table (older
    than schema version 7) gives an empty file, and the summary says why.

Reading them
------------

.. code-block:: python

    import pandas as pd

    entities = pd.read_parquet("out/entities.parquet")  # or pd.read_json("out/entities.jsonl", lines=True)
    mentions = pd.read_parquet("out/mentions.parquet")
    docs = pd.read_parquet("out/documents.parquet")
    docs["author"] = docs.metadata.map(lambda m: m.get("author"))  # a dict per row

    top = entities.sort_values(["documents", "mentions"], ascending=False).head(10)
    kept = mentions[mentions.entity_key.notna()]  # the graph's mentions: not the rejected
    where = (kept[kept.entity_key == top.key.iloc[0]]
             .merge(docs[["id", "title", "author"]], left_on="doc_id", right_on="id")
             [["title", "author", "page", "text", "confidence"]])
"""

from __future__ import annotations

from .errors import ExportError, ExportTargetError, UnknownFormatError, UnknownTableError
from .run import FORMATS, TABLES, check_format, check_tables, export_store

__all__ = ["export_store", "check_tables", "check_format", "FORMATS", "TABLES", "ExportError",
           "ExportTargetError", "UnknownFormatError", "UnknownTableError"]
