"""API keys with names and roles: ``ENRICH_API_KEY`` and a keys file.

A key has a **name** (who the corrections it makes are by), a **role** (``read``: the
API's reads; ``write``: reads and corrections too) and is held as the SHA-256 of its
text, so the server compares digests (in constant time) and never keeps a key.

``ENRICH_API_KEY`` stays what it was, the one key of a small deployment: its role is
``write`` (it could do everything the server did before roles existed) and its name
is ``ENRICH_API_KEY``. A **keys file** (``ENRICH_API_KEYS_FILE``, or ``enrich serve
--keys FILE``) names more, one a line (a line starting with ``#`` is a comment)::

    # name   role   key (16 characters or more), or sha256:HEX of it
    alice    write  sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
    kiosk    read   a-long-random-read-only-key-0123

or as JSON, a list of ``{"name", "role", "key" | "sha256"}``. Like ssh with a private
key, the server refuses a keys file that its group or others may read or write
(``chmod 600 FILE``), or that another user owns; every other mistake (an unknown
role, a short key, a name twice, a key twice) is refused with its line, at start.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enrich.errors import ConfigError

__all__ = ["ApiKey", "KeysFileError", "load_keys", "env_key", "digest", "ROLES", "MIN_KEY"]

ROLES = ("read", "write")
MIN_KEY = 16
NAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
HEX = re.compile(r"^[0-9a-fA-F]{64}$")
ENV_NAME = "ENRICH_API_KEY"


class KeysFileError(ConfigError):
    """The keys file cannot be used: too open, unreadable, or a line is wrong."""

    code = "E820"


@dataclass(frozen=True)
class ApiKey:
    """One key: its name, role and the SHA-256 digest of its text."""

    name: str
    role: str
    digest: bytes

    @property
    def can_write(self) -> bool:
        return self.role == "write"


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def env_key(key: str) -> ApiKey:
    """``ENRICH_API_KEY`` as a key of role ``write``."""
    return ApiKey(ENV_NAME, "write", digest(key))


def load_keys(path: str | Path) -> list[ApiKey]:
    """The keys of the file at ``path`` (see the module doc); a :class:`KeysFileError`
    naming the file (and line) when it is too open or wrong."""
    path = Path(path)
    try:
        info = path.stat()
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeysFileError(f"the keys file {path} cannot be read: {exc}") from None
    _check_private(path, info)
    entries = _json_entries(path, text) if text.lstrip()[:1] in ("[", "{") else \
        _line_entries(path, text)
    keys, names, digests = [], set(), set()
    for where, entry in entries:
        key = _key(path, where, entry)
        if key.name in names or key.name == ENV_NAME:
            raise KeysFileError(f"{path}{where}: the name {key.name!r} is used twice")
        if key.digest in digests:
            raise KeysFileError(f"{path}{where}: this key is given twice (to {key.name!r} "
                                "and another name); give each person their own key")
        names.add(key.name)
        digests.add(key.digest)
        keys.append(key)
    if not keys:
        raise KeysFileError(f"the keys file {path} names no key (lines of 'NAME ROLE KEY')")
    return keys


def _check_private(path: Path, info: os.stat_result) -> None:
    """Refuse a file others may read or write, or one another user owns (as ssh does)."""
    if sys.platform == "win32":
        return
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise KeysFileError(f"the keys file {path} has permissions {mode:04o}, which let "
                            "others read or change it; it must be readable by its owner "
                            f"only: chmod 600 {path}")
    if info.st_uid != os.getuid():
        raise KeysFileError(f"the keys file {path} belongs to another user (uid "
                            f"{info.st_uid}); it must be owned by the user running enrich")


def _line_entries(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3:
            raise KeysFileError(f"{path}, line {number}: expected 'NAME ROLE KEY' (or "
                                f"'NAME ROLE sha256:HEX'), found {len(parts)} fields")
        name, role, key = parts
        entry = {"name": name, "role": role}
        if key.lower().startswith("sha256:"):
            entry["sha256"] = key[7:]
        else:
            entry["key"] = key
        out.append((f", line {number}", entry))
    return out


def _json_entries(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeysFileError(f"{path} is not valid JSON: {exc}") from None
    if isinstance(data, dict):
        data = data.get("keys")
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise KeysFileError(f"{path}: expected a JSON list of {{\"name\", \"role\", \"key\" "
                            "or \"sha256\"}} objects")
    return [(f", entry {i}", entry) for i, entry in enumerate(data, 1)]


def _key(path: Path, where: str, entry: dict[str, Any]) -> ApiKey:
    name, role = entry.get("name"), entry.get("role")
    if not isinstance(name, str) or not NAME.match(name):
        raise KeysFileError(f"{path}{where}: the name {name!r} is not 1-64 letters, digits "
                            "or _.@+-")
    if role not in ROLES:
        raise KeysFileError(f"{path}{where}: the role {role!r} of {name!r} is not one of "
                            f"{', '.join(ROLES)}")
    key, hashed = entry.get("key"), entry.get("sha256")
    if (key is None) == (hashed is None):
        raise KeysFileError(f"{path}{where}: give {name!r} either a key or the sha256 of one")
    if hashed is not None:
        if not isinstance(hashed, str) or not HEX.match(hashed):
            raise KeysFileError(f"{path}{where}: the sha256 of {name!r} is not 64 hex digits")
        return ApiKey(name, role, bytes.fromhex(hashed))
    if not isinstance(key, str) or len(key) < MIN_KEY:
        raise KeysFileError(f"{path}{where}: the key of {name!r} is shorter than {MIN_KEY} "
                            "characters (e.g. `python -c \"import secrets; "
                            "print(secrets.token_urlsafe(32))\"`)")
    return ApiKey(name, role, digest(key))
