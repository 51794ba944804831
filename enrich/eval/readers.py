"""Gold readers: CoNLL (token and BIO tag columns), DocRED JSON, spaCy JSONL.

``read_gold(path, fmt)`` reads any of them into :class:`~enrich.eval.gold.GoldDoc`
lists; a file that does not fit its format is one :class:`GoldFormatError` naming
the line (and, for DocRED, the document and the vertexSet entry).

CoNLL documents: ``-DOCSTART-`` lines separate documents where the file has them;
a file without them (WNUT-17: independent posts) makes each sentence a document, so
no invented context joins unrelated sentences; ``sentences_per_doc`` groups N
consecutive sentences instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from enrich.eval.errors import GoldFormatError
from enrich.eval.gold import GoldDoc, GoldMention, clean_text, from_tokens

__all__ = ["FORMATS", "guess_format", "read_gold", "read_conll", "read_docred",
           "read_spacy_jsonl", "read_utf8"]

FORMATS = ("conll", "docred", "spacy-jsonl")
_CONLL_SUFFIXES = {".conll", ".conllu", ".bio", ".iob", ".iob2", ".bioes", ".tsv", ".txt"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_TAG = re.compile(r"^(?:O|([BIESLU])[-_](\S+))$")
_DOCSTART = "-DOCSTART-"


def read_utf8(path: Path, error: type[Exception], what: str = "") -> str:
    """The text of ``path`` (a byte-order mark dropped); ``error`` naming the line of the
    first byte that is not UTF-8, or why the file cannot be read."""
    try:
        return path.read_text(encoding="utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise error(f"{path}, line {line}: not UTF-8 text") from None
    except OSError as exc:
        raise error(f"cannot read {what}{path}: {exc.strerror}") from exc


def guess_format(path: Path) -> str:
    """The gold format of ``path``: by its suffix, else by its first characters."""
    suffix = path.suffix.lower()
    if suffix in _CONLL_SUFFIXES:
        return "conll"
    head = _head(path)
    if suffix not in _JSONL_SUFFIXES and head.startswith("["):
        return "docred"
    if suffix in _JSONL_SUFFIXES or head.startswith("{"):
        return "docred" if '"vertexSet"' in head.split("\n", 1)[0] else "spacy-jsonl"
    return "conll"


def _head(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(65536).lstrip("\ufeff \t\r\n")
    except OSError as exc:
        raise GoldFormatError(f"cannot read gold file {path}: {exc.strerror}") from exc


def read_gold(path: str | Path, fmt: str | None = None,
              sentences_per_doc: int | None = None) -> tuple[str, list[GoldDoc]]:
    """``(format, documents)`` of a gold file; the format guessed when not given."""
    path = Path(path)
    if not path.is_file():
        raise GoldFormatError(f"no gold file {path}")
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise GoldFormatError(f"unknown gold format {fmt!r}; known: {', '.join(FORMATS)}")
    text = read_utf8(path, GoldFormatError, "gold file ")
    if fmt == "conll":
        docs = read_conll(text, path, sentences_per_doc)
    elif fmt == "docred":
        docs = read_docred(text, path)
    else:
        docs = read_spacy_jsonl(text, path)
    if not docs:
        raise GoldFormatError(f"{path}: no documents in it (read as {fmt})")
    return fmt, docs


# --- CoNLL ----------------------------------------------------------------------------

Sentence = tuple[int, list[str], list[str]]  # (first line, tokens, tags)


def read_conll(text: str, path: Path | str = "<gold>",
               sentences_per_doc: int | None = None) -> list[GoldDoc]:
    """Documents of a CoNLL file: a token and its tag per line (the first and last
    columns, split by tabs, else by spaces), a blank line between sentences."""
    segments, has_docstart = _conll_sentences(text, path)
    size = sentences_per_doc or (None if has_docstart else 1)
    docs = []
    for sentences in segments:
        step = size or max(len(sentences), 1)
        for i in range(0, len(sentences), step):
            docs.append(_conll_doc(sentences[i:i + step]))
    return docs


def _conll_sentences(text: str, path: Path | str) -> tuple[list[list[Sentence]], bool]:
    segments: list[list[Sentence]] = [[]]
    tokens: list[str] = []
    tags: list[str] = []
    first, columns, has_docstart = 0, 0, False
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        cols = line.split("\t") if "\t" in line else line.split()
        if not line.strip() or cols[0] == _DOCSTART:
            if tokens:
                segments[-1].append((first, tokens, tags))
                tokens, tags = [], []
            if line.strip():
                has_docstart = True
                segments.append([])
            continue
        columns = columns or len(cols)
        _check_conll_line(path, number, line, cols, columns)
        first = first if tokens else number
        tokens.append(cols[0])
        tags.append(cols[-1].strip())
    if tokens:
        segments[-1].append((first, tokens, tags))
    return [s for s in segments if s], has_docstart


def _check_conll_line(path: Path | str, number: int, line: str, cols: list[str],
                      columns: int) -> None:
    where = f"{path}, line {number}"
    if line.lstrip().startswith(("[", "{")) and number == 1:
        raise GoldFormatError(f"{where}: this looks like JSON, not CoNLL; use --format "
                              "docred or --format spacy-jsonl")
    if len(cols) < 2:
        raise GoldFormatError(f"{where}: a token without a tag ({line.strip()!r}); CoNLL "
                              "gold has a token and its BIO tag on each line")
    if len(cols) != columns:
        raise GoldFormatError(f"{where}: {len(cols)} columns where the first line has "
                              f"{columns} ({line.strip()!r})")
    if not cols[0].strip():
        raise GoldFormatError(f"{where}: an empty token")
    if not _TAG.match(cols[-1].strip()):
        raise GoldFormatError(f"{where}: {cols[-1].strip()!r} is not a BIO tag (O, B-TYPE, "
                              "I-TYPE; E-, S-, L-, U- also accepted)")


def _conll_doc(sentences: list[Sentence]) -> GoldDoc:
    text, offsets = from_tokens("", [tokens for _, tokens, _ in sentences])
    mentions, base = [], 0
    for _, tokens, tags in sentences:
        mentions += [GoldMention(base + s, base + e, t) for s, e, t in bio_spans(tags)]
        base += len(tokens)
    return GoldDoc(f"line {sentences[0][0]}", text, offsets, mentions)


def bio_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """``(start, end, type)`` of the chunks of a tag sequence (BIO, IOB1 or BIOES; an
    I- tag after O or after another type starts a chunk, as conlleval counts it)."""
    spans: list[tuple[int, int, str]] = []
    current: tuple[int, str] | None = None
    for i, tag in enumerate(tags):
        match = _TAG.match(tag)
        prefix, kind = (match.group(1), match.group(2)) if match else (None, None)
        if prefix is None or prefix in "BSU" or current is None or current[1] != kind:
            if current is not None:
                spans.append((current[0], i, current[1]))
            current = (i, kind) if prefix is not None else None
        if prefix is not None and prefix in "ESLU" and current is not None:
            spans.append((current[0], i + 1, current[1]))
            current = None
    if current is not None:
        spans.append((current[0], len(tags), current[1]))
    return spans


# --- DocRED ---------------------------------------------------------------------------

def read_docred(text: str, path: Path | str = "<gold>") -> list[GoldDoc]:
    """Documents of a DocRED (or Re-DocRED) file: a JSON list, or JSON lines, of
    ``{"title", "sents", "vertexSet", "labels"}``."""
    return [_docred_doc(obj, f"{path}, line {line}: document {i + 1}")
            for i, (obj, line) in enumerate(_json_values(text, path))]


def _json_values(text: str, path: Path | str) -> Iterator[tuple[Any, int]]:
    """The values of a top-level JSON array (or of concatenated JSON values, one per
    line), each with the line it starts on."""
    decoder, at = json.JSONDecoder(), _skip(text, 0)
    array = text.startswith("[", at)
    at = _skip(text, at + 1) if array else at
    while at < len(text) and not (array and text[at] == "]"):
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise GoldFormatError(f"{path}, line {exc.lineno}, column {exc.colno}: not valid "
                                  f"JSON ({exc.msg})") from None
        yield value, text.count("\n", 0, at) + 1
        at = _skip(text, end)
        if array and at < len(text) and text[at] == ",":
            at = _skip(text, at + 1)
        elif array and (at >= len(text) or text[at] != "]"):
            line = text.count("\n", 0, at) + 1
            raise GoldFormatError(f"{path}, line {line}: expected ',' or ']' in the JSON list")


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _docred_doc(obj: Any, where: str) -> GoldDoc:
    if not isinstance(obj, dict) or not isinstance(obj.get("sents"), list) \
            or not isinstance(obj.get("vertexSet"), list):
        raise GoldFormatError(f"{where}: a DocRED document is an object with 'sents' and "
                              "'vertexSet' lists")
    where += f" ({obj.get('title')!r})" if obj.get("title") else ""
    sents = obj["sents"]
    if not all(isinstance(s, list) and all(isinstance(t, str) for t in s) for s in sents):
        raise GoldFormatError(f"{where}: 'sents' must be a list of token lists")
    text, offsets = from_tokens("", sents)
    bases = [sum(len(s) for s in sents[:i]) for i in range(len(sents))]
    mentions = [_docred_mention(m, e, sents, bases, f"{where}: vertexSet[{e}][{k}]")
                for e, entity in enumerate(obj["vertexSet"])
                for k, m in enumerate(entity if isinstance(entity, list) else [None])]
    relations = _docred_relations(obj.get("labels") or [], len(obj["vertexSet"]), where)
    return GoldDoc(str(obj.get("title") or where), text, offsets, mentions, relations)


def _docred_mention(m: Any, entity: int, sents: list, bases: list[int],
                    where: str) -> GoldMention:
    if not isinstance(m, dict) or not isinstance(m.get("type"), str) or not m["type"]:
        raise GoldFormatError(f"{where}: a mention is an object with 'pos', 'sent_id' and "
                              "'type'")
    sent, pos = m.get("sent_id"), m.get("pos")
    if not isinstance(sent, int) or not 0 <= sent < len(sents):
        raise GoldFormatError(f"{where}: sent_id {sent!r} is not a sentence of the document "
                              f"(it has {len(sents)})")
    if not (isinstance(pos, list) and len(pos) == 2 and all(isinstance(p, int) for p in pos)
            and 0 <= pos[0] < pos[1] <= len(sents[sent])):
        raise GoldFormatError(f"{where}: pos {pos!r} is not a token span of sentence {sent} "
                              f"({len(sents[sent])} tokens)")
    return GoldMention(bases[sent] + pos[0], bases[sent] + pos[1], m["type"], entity)


def _docred_relations(labels: Any, entities: int, where: str) -> list[tuple[int, int]]:
    pairs = set()
    for i, label in enumerate(labels if isinstance(labels, list) else [None]):
        h, t = (label.get("h"), label.get("t")) if isinstance(label, dict) else (None, None)
        if not all(isinstance(x, int) and 0 <= x < entities for x in (h, t)):
            raise GoldFormatError(f"{where}: labels[{i}] needs 'h' and 't', indices into "
                                  f"vertexSet (0..{entities - 1})")
        if h != t:
            pairs.add((min(h, t), max(h, t)))
    return sorted(pairs)


# --- spaCy JSONL ----------------------------------------------------------------------

def read_spacy_jsonl(text: str, path: Path | str = "<gold>") -> list[GoldDoc]:
    """Documents of a JSON-lines file, one ``{"text", "spans": [{"start", "end",
    "label"}]}`` per line (``"entities"`` and ``[start, end, label]`` items also read);
    spans are character offsets."""
    docs = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldFormatError(f"{where}: not a JSON object ({exc.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise GoldFormatError(f"{where}: each line is an object with a 'text' string")
        spans = obj.get("spans", obj.get("entities", []))
        if not isinstance(spans, list):
            raise GoldFormatError(f"{where}: 'spans' must be a list of {{start, end, label}}")
        mentions = [_char_mention(s, len(obj["text"]), f"{where}: span {i + 1}")
                    for i, s in enumerate(spans)]
        docs.append(GoldDoc(f"line {number}", clean_text(obj["text"]), None, mentions))
    return docs


def _char_mention(span: Any, length: int, where: str) -> GoldMention:
    if isinstance(span, dict):
        start, end, label = span.get("start"), span.get("end"), span.get("label")
    elif isinstance(span, (list, tuple)) and len(span) == 3:
        start, end, label = span
    else:
        start = end = label = None
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(label, str)
            and label and 0 <= start < end <= length):
        raise GoldFormatError(f"{where}: {span!r} is not {{start, end, label}} with "
                              f"0 <= start < end <= {length} (the text's length)")
    return GoldMention(start, end, label)
