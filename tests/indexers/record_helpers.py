"""Shared by the record-source, SQL-source and rows tests: small record files, and
indexing them with a light skillset."""

import csv
import hashlib
import json
import os
import sqlite3

from enrich.indexer import IndexOptions, run_index
from enrich.records import document_id
from enrich.searching import search
from indexers.crackers import Blob, crack
from indexers.sources import open_source
from indexers.stores import SqliteStore
from indexers.stores.datadir import DataDir

NOTES = [("id", "title", "body", "team"),
         ("n1", "Opening night", "Tatum scored forty against the Knicks.", "Celtics"),
         ("n2", "Road trip", "Curry hit nine threes in Denver.", "Warriors"),
         ("n3", "Injury report", "Embiid sat out with a sore knee.", "76ers")]
LIGHT = {"skills": ["language"], "fields": {"language": "/document/language"}}


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def notes_folder(tmp_path):
    """A folder holding ``notes.csv`` (:data:`NOTES`)."""
    folder = tmp_path / "notes"
    folder.mkdir()
    write_csv(folder / "notes.csv", NOTES)
    return folder


def sha256_sorted(data):
    canonical = json.dumps(json.loads(data), ensure_ascii=False, separators=(",", ":"),
                           sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def bump(path):
    """A new modification time, as an editor saving the file a second later gives."""
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 2))


def records(folder, **options):
    return open_source(str(folder), **options)


def listed(source):
    return {item.uri.rsplit("#", 1)[1]: item for item in source.list()}


def cracked(source, item):
    data = source.read(item)
    doc, = crack(Blob(uri=item.uri, name=item.name, data=data, size=item.size,
                      mime_type=item.content_type))
    return doc


def index(source, data, **options):
    return run_index(str(source), IndexOptions(data_dir=data, workers=0, skillset=LIGHT,
                                               source_options=options))


def stored(data, uri):
    with SqliteStore(DataDir(data).store) as store:
        return store.get_document(document_id(uri))


def hits(data, query):
    return sorted(hit["uri"] for hit in search(data, query).results)


def counting_reads(monkeypatch, *classes):
    """The URIs each class's ``read`` is called with from now on (workers open their
    own source)."""
    reads = []
    for cls in classes:
        real = cls.read
        monkeypatch.setattr(cls, "read", lambda self, item, real=real:
                            reads.append(item.uri) or real(self, item))
    return reads


def make_db(path, rows, table="notes", hwm='"updated at"'):
    with sqlite3.connect(path) as db:
        db.execute(f'CREATE TABLE IF NOT EXISTS "{table}" '
                   f'(id INTEGER PRIMARY KEY, title TEXT, body TEXT, {hwm} TEXT, data BLOB)')
        db.execute(f'DELETE FROM "{table}"')
        db.executemany(f'INSERT INTO "{table}" VALUES (?, ?, ?, ?, ?)', rows)
    return path


ROWS = [(1, "Opening night", "Tatum scored forty against the Knicks.", "2024-05-01 10:00:00", b"\x00\xff"),
        (2, "Road trip", "Curry hit nine threes in Denver.", "2024-05-02 10:00:00", None),
        (10, "Injury report", "Embiid sat out with a sore knee.", "2024-05-03 10:00:00", b"text")]
