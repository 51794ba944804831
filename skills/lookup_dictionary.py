"""Entity-lookup dictionaries: a user's CSV or JSON file read into the terms to look for.

:func:`read_dictionary` is what ``skills.entity_lookup`` reads its ``dictionary``
parameter with; the matching lives there.

Dictionary files
----------------
A ``.json`` file is JSON and a ``.csv`` file is CSV; any other name is JSON when it
starts with ``[`` or ``{``. Files are UTF-8 (a byte-order mark is fine). A relative
path is relative to the current directory.

JSON: a list of entries, or ``{"entities": [...]}``, shaped like Azure's (camelCase
or snake_case keys)::

    [{"name": "AMTRUNK", "type": "CRYPTONYM", "id": "cia-001",
      "description": "CIA operation against the Castro government",
      "caseSensitive": true, "fuzzyEditDistance": 1,
      "aliases": [{"text": "AM/TRUNK", "caseSensitive": false},
                  "Operation Amtrunk"]},
     {"name": "Lee Harvey Oswald", "type": "PERSON", "aliases": ["Oswald"]}]

Only ``name`` is required. ``caseSensitive``, ``accentSensitive`` and
``fuzzyEditDistance`` apply to the name; an alias (a string, or an object with
``text`` and the same three keys) takes its own value, else the entry's
``defaultCaseSensitive`` / ``defaultAccentSensitive`` / ``defaultFuzzyEditDistance``,
else the skill's default, as in Azure. ``subtype`` is accepted and ignored; any
other key is an error (it is probably a typo).

CSV with a header row: ``name`` is required; ``type``, ``description``, ``aliases``
(separated by ``|`` or ``;``), ``case_sensitive`` and ``accent_sensitive``
(true/false/1/0/yes/no), ``fuzzy`` (0-5) and ``id`` are optional, in any order.
A row's settings apply to its name and all its aliases; an empty cell takes the
skill's default::

    name,type,aliases,fuzzy,description
    AMTRUNK,CRYPTONYM,AM/TRUNK|Operation Amtrunk,1,CIA operation against Castro
    Lee Harvey Oswald,PERSON,Oswald,,

A first row that names any of these columns is the header. Without one (Azure's
CSV), each line is a name followed by its aliases, with the skill's defaults::

    AMTRUNK,AM/TRUNK
    Lee Harvey Oswald,Oswald

A dictionary that cannot be read (missing file, invalid JSON or CSV, an entry with
no name, an unknown key or column, a flag that is not true/false, a fuzzy distance
outside 0-5) raises :class:`DictionaryError`, a ``SkillUnavailable`` whose message
names the file, the line (CSV) or entry (JSON) and what is wrong (up to ten
problems at once): the run reports the skill disabled and goes on without it.

Why the stdlib ``csv`` module here, and not ``indexers.crackers.rows``: skills never
import indexers (the layers are graph < skills < indexers), and a dictionary is not a
corpus file. Its format is fixed by this module (comma-separated, so ``|`` and ``;``
stay free to separate aliases: a sniffed dialect could take them for the delimiter;
strict UTF-8; a header row recognised by its known column names, not made unique);
its problems are reported by line number, all at once. The rows module reads corpus
files of any dialect leniently and keeps where each row is instead.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graph.normalize import entity_key
from skills.base import SkillUnavailable

__all__ = ["MAX_FUZZY", "TOKEN", "Defaults", "DictionaryError", "Entry", "Matching", "Term",
           "read_dictionary", "read_csv", "read_json"]

MAX_FUZZY = 5
MAX_REPORTED = 10
FORMATS = ("expected a CSV file with a header row 'name,type,description,aliases,"
           "case_sensitive,accent_sensitive,fuzzy,id' (only name required; aliases "
           "separated by | or ;), a CSV file with a name and its aliases per line, or a "
           "JSON list of entries like [{\"name\": \"AMTRUNK\", \"type\": \"CRYPTONYM\", "
           "\"aliases\": [\"AM/TRUNK\"]}]")
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
TOKEN = re.compile(rf"([\w{_MARKS}]+)|[^\w\s]")
_TRUE, _FALSE = {"true", "1", "yes", "y"}, {"false", "0", "no", "n"}
_SETTINGS = ("case_sensitive", "accent_sensitive", "fuzzy")
_SYNONYMS = {"fuzzy_edit_distance": "fuzzy", "default_fuzzy_edit_distance": "default_fuzzy"}
_ENTRY_KEYS = {"name", "type", "subtype", "description", "id", "aliases", *_SETTINGS,
               *(f"default_{s}" for s in _SETTINGS)}
_ALIAS_KEYS = {"text", *_SETTINGS}
_CSV_COLUMNS = {"name", "type", "description", "aliases", "id", *_SETTINGS}


class DictionaryError(SkillUnavailable):
    """A dictionary that cannot be used; the message names the file, the entry and the fix."""

    code = "E601"


@dataclass(frozen=True)
class Matching:
    """How a name or alias matches: case and accent sensitivity, fuzzy edit distance."""

    case_sensitive: bool = False
    accent_sensitive: bool = False
    fuzzy: int = 0

    def override(self, fields: dict[str, Any], prefix: str = "") -> Matching:
        """These settings with those given in ``fields`` (keys ``prefix + setting``)."""
        given = {s: fields[prefix + s] for s in _SETTINGS if fields.get(prefix + s) is not None}
        return replace(self, **{s: (_distance(v, prefix + s) if s == "fuzzy" else
                                    _flag(v, prefix + s)) for s, v in given.items()})


@dataclass(frozen=True)
class Entry:
    """One dictionary entry: its canonical name, type, description, id and graph key."""

    name: str
    type: str
    description: str | None = None
    id: str | None = None
    key: str = field(default="", compare=False)


@dataclass(frozen=True)
class Term:
    """A name or alias to look for, with its entry and how it matches."""

    text: str
    entry: Entry
    matching: Matching
    order: int = 0


@dataclass(frozen=True)
class Defaults:
    """The skill-wide defaults: entity type and matching."""

    type: str = "MISC"
    matching: Matching = Matching()


def _flag(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"{what} must be true or false, got {value!r}")


def _distance(value: Any, what: str) -> int:
    try:
        found = int(str(value).strip()) if not isinstance(value, (bool, float)) else None
    except ValueError:
        found = None
    if found is None or not 0 <= found <= MAX_FUZZY:
        raise ValueError(f"{what} must be a whole number from 0 to {MAX_FUZZY}, got {value!r}")
    return found


def _text(value: Any, what: str) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if value is None:
        return None
    if what == "id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{what} must be a string, got {value!r}")


def _entry(fields: dict[str, Any], defaults: Defaults) -> Entry:
    name = _text(fields.get("name"), "name")
    if not name or not TOKEN.search(name):
        raise ValueError("the name is missing or empty")
    name, kind = " ".join(name.split()), _text(fields.get("type"), "type") or defaults.type
    return Entry(name, kind, _text(fields.get("description"), "description"),
                 _text(fields.get("id"), "id"), entity_key(kind, name))


def _terms(entry: Entry, matching: Matching, aliases: Iterable[tuple[str, Matching]]) -> list[Term]:
    seen, terms = set(), []
    for text, how in [(entry.name, matching), *aliases]:
        if (text, how) not in seen:
            seen.add((text, how))
            terms.append(Term(text, entry, how))
    return terms


def _snake(key: str) -> str:
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(key).strip())
    key = re.sub(r"[\s-]+", "_", key).lower()
    return _SYNONYMS.get(key, key)


def _fields(raw: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    fields = {_snake(k): v for k, v in raw.items()}
    unknown = sorted(k for k in raw if _snake(k) not in allowed)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}; allowed: {', '.join(sorted(allowed))}")
    return fields


def _json_alias(raw: Any, base: Matching) -> tuple[str, Matching]:
    fields = _fields(raw, _ALIAS_KEYS) if isinstance(raw, dict) else {"text": raw}
    text = fields.get("text")
    if not isinstance(text, str) or not TOKEN.search(text):
        raise ValueError(f"an alias must be a non-empty string or an object with a 'text', "
                         f"got {raw!r}")
    return " ".join(text.split()), base.override(fields)


def _json_terms(raw: Any, defaults: Defaults) -> list[Term]:
    if not isinstance(raw, dict):
        raise ValueError(f"an entry must be an object with a 'name', got {raw!r}")
    fields = _fields(raw, _ENTRY_KEYS)
    entry = _entry(fields, defaults)
    aliases = fields.get("aliases") or []
    if not isinstance(aliases, list):
        raise ValueError(f"'aliases' must be a list, got {aliases!r}")
    alias_base = defaults.matching.override(fields, "default_")
    return _terms(entry, defaults.matching.override(fields),
                  [_json_alias(a, alias_base) for a in aliases])


def _csv_terms(fields: dict[str, str], defaults: Defaults) -> list[Term]:
    fields = {k: v.strip() for k, v in fields.items() if v and v.strip()}
    entry = _entry(fields, defaults)
    how = defaults.matching.override(fields)
    aliases = [" ".join(a.split()) for a in re.split(r"[|;]", fields.get("aliases", ""))]
    return _terms(entry, how, [(a, how) for a in aliases if TOKEN.search(a)])


def _collect(path: str, items: Iterable[tuple[str, Any]], parse: Any) -> list[Term]:
    """Parse every entry; DictionaryError listing the bad ones, else the numbered terms."""
    terms, errors = [], []
    for where, raw in items:
        try:
            terms.extend(parse(raw))
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
    if errors:
        more = f" (and {len(errors) - MAX_REPORTED} more)" if len(errors) > MAX_REPORTED else ""
        raise DictionaryError(f"entity_lookup: dictionary {path!r}: "
                              f"{'; '.join(errors[:MAX_REPORTED])}{more}")
    return [replace(t, order=i) for i, t in enumerate(terms)]


def _json_where(index: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"entry {index}" + (f" ({name!r})" if isinstance(name, str) and name.strip() else "")


def read_json(path: str, text: str, defaults: Defaults) -> list[Term]:
    """The terms of a JSON dictionary (see the module docstring)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DictionaryError(f"entity_lookup: dictionary {path!r} is not valid JSON: line "
                              f"{exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    entries = data.get("entities") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise DictionaryError(f"entity_lookup: dictionary {path!r} holds no list of entries; "
                              f"{FORMATS}")
    return _collect(path, ((_json_where(i, raw), raw) for i, raw in enumerate(entries, 1)),
                    lambda raw: _json_terms(raw, defaults))


def _csv_rows(path: str, text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise DictionaryError(f"entity_lookup: dictionary {path!r} is not valid CSV: line "
                              f"{reader.line_num}: {exc}") from exc


def _header(path: str, line: int, row: list[str]) -> list[str] | None:
    """The column names when ``row`` is a header, else None."""
    columns = [_snake(c) for c in row]
    if not any(c in _CSV_COLUMNS for c in columns):
        return None
    unknown = [c for c in row if _snake(c) not in _CSV_COLUMNS]
    problem = (f"unknown column(s) {unknown}" if unknown else
               "no 'name' column" if "name" not in columns else "")
    if problem:
        raise DictionaryError(f"entity_lookup: dictionary {path!r}: line {line}: the header "
                              f"row has {problem}; {FORMATS}")
    return columns


def _csv_record(row: list[str], columns: list[str] | None) -> dict[str, str]:
    if columns is None:  # Azure's headerless CSV: a name, then its aliases
        return {"name": row[0], "aliases": "|".join(row[1:])}
    if len(row) > len(columns):
        raise ValueError(f"{len(row)} cells but the header has {len(columns)} columns "
                         "(quote cells that contain commas)")
    return dict(zip(columns, row))


def read_csv(path: str, text: str, defaults: Defaults) -> list[Term]:
    """The terms of a CSV dictionary, with or without a header row."""
    rows = _csv_rows(path, text)
    columns = _header(path, *rows[0]) if rows else None
    body = rows[1:] if columns is not None else rows
    return _collect(path, ((f"line {n}", row) for n, row in body),
                    lambda row: _csv_terms(_csv_record(row, columns), defaults))


def read_dictionary(path: str | Path, defaults: Defaults = Defaults()) -> tuple[list[Term], str]:
    """The terms of a dictionary file and its SHA-256; DictionaryError when unusable."""
    path = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DictionaryError(f"entity_lookup: cannot read dictionary {path!r}: "
                              f"{exc.strerror or exc}; set params: {{dictionary: FILE}}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DictionaryError(f"entity_lookup: dictionary {path!r} is not UTF-8 (byte "
                              f"{exc.start}); save it as UTF-8") from exc
    suffix = Path(path).suffix.lower()
    is_json = suffix == ".json" or (suffix != ".csv" and text.lstrip()[:1] in ("[", "{"))
    terms = (read_json if is_json else read_csv)(path, text, defaults)
    return terms, hashlib.sha256(data).hexdigest()
