"""The correspondents of an e-mail as entities: the people in From, To and Cc.

``CorrespondentSkill`` reads the address lists the e-mail cracker writes
(``/document/metadata/from``, ``to``, ``cc``: ``Name <addr>`` strings) and adds
``/document/correspondents``: one entity value per distinct address, in the shape of
the ``entities`` skill, so that the skillset's ``entities:`` section turns them into
mentions (without page or offsets: they come from the headers) that co-occur at
document scope with everything the message mentions::

    {"text": "ann.lee@example.org", "type": "PERSON", "name": "Ann Lee",
     "key": "PERSON:ann.lee@example.org", "alias": "ann.lee@example.org",
     "roles": ["from"], "start": None, "end": None, "confidence": 1.0}

* ``name`` is the display name (quotes and extra whitespace removed). Without one (a
  bare address, or a display name that is itself an address) it is the address: a
  local part alone (``info``, ``j.smith``) names different people at different
  domains, while the address is unique, and the corpus then names that person by
  the display name other messages give the same address.
* ``alias`` is the address (lower-cased): graph resolution keys the mention by it and
  records that the document calls the address by ``name``
  (:func:`graph.normalize.resolve`), so across the corpus every mention of one
  address lands on one entity, named as most documents name it, and looking the
  address up (``KnowledgeGraph.resolve``, the entity page) finds the person.
  ``text`` is the address too, so the entity lists it among its surface forms. With
  the skillset's resolution rule ``acronyms: false`` (which also switches these
  aliases off) each address stays an entity of its own (``PERSON:addr``), still named
  by its commonest display name, but no longer joined to the same name in the texts.
* ``confidence`` is 1.0: the headers say who wrote and received the message; no model
  guessed it. ``roles`` lists the headers the address appears in.
* Entries without an ``@`` (a group name such as ``undisclosed-recipients:;``, a bare
  name) identify nobody and are left out.

Parameters: ``type`` (default ``PERSON``) and ``headers`` (default all three; a subset
of ``from``, ``to``, ``cc``).
"""

from __future__ import annotations

import re
from email.utils import getaddresses
from typing import Any, ClassVar, Sequence

from enrich.errors import ConfigError
from graph.normalize import entity_key

from skills.base import Record, Skill

__all__ = ["CorrespondentSkill", "correspondents", "HEADERS"]

HEADERS = ("from", "to", "cc")


_NAMED = re.compile(r"\s*(.*?)\s*<([^<>]*)>\s*", re.S)  # Name <addr>: the cracker's form


def _addresses(values: Any) -> list[tuple[str, str]]:
    """``(display name, address)`` pairs of a header's values (a list or one string)."""
    if not values:
        return []
    found = []
    for value in [values] if isinstance(values, str) else [str(v) for v in values if v]:
        named = _NAMED.fullmatch(value)
        if named:
            found.append((named[1], named[2]))
            continue
        try:
            found.extend(getaddresses([value]))
        except (ValueError, TypeError, IndexError):  # malformed: nobody identified
            continue
    return found


def _display(name: str, address: str) -> str:
    """The display name, cleaned; the address when there is no usable one."""
    name = " ".join(name.replace('\\"', '"').split())
    while len(name) > 1 and name[0] == name[-1] and name[0] in "\"'`":
        name = name[1:-1].strip()
    return address if not name or "@" in name else name


def correspondents(headers: dict[str, Any], type: str = "PERSON") -> list[dict[str, Any]]:
    """The entity values of the addresses in ``headers`` (header name -> values),
    one per distinct address, in header order."""
    found: dict[str, dict[str, Any]] = {}
    for header, values in headers.items():
        for name, address in _addresses(values):
            address = address.strip().strip("<>").lower()
            if "@" not in address.strip("@"):
                continue
            if address in found:
                roles = found[address]["roles"]
                roles.extend([header] if header not in roles else [])
                continue
            display = _display(name, address)
            found[address] = {"text": address, "type": type, "name": display,
                              "key": entity_key(type, address), "alias": address,
                              "roles": [header], "start": None, "end": None,
                              "confidence": 1.0}
    return list(found.values())


class CorrespondentSkill(Skill):
    """The people in an e-mail's From, To and Cc headers (see the module doc)."""

    name: ClassVar[str] = "correspondents"
    version: ClassVar[str] = "1"
    context: ClassVar[str] = "/document"
    inputs: ClassVar[dict[str, str]] = {h: f"/document/metadata/{h}" for h in HEADERS}
    outputs: ClassVar[tuple[str, ...]] = ("correspondents",)
    description: ClassVar[str] = ("People in an e-mail's From/To/Cc as entities, "
                                  "their address as an alias.")

    def __init__(self, type: str = "PERSON", headers: Sequence[str] = HEADERS,
                 **params: Any) -> None:
        super().__init__(type=type, headers=list(headers), **params)
        unknown = sorted(set(headers) - set(HEADERS))
        if unknown or not isinstance(type, str) or not type.strip():
            raise ConfigError(f"correspondents: headers must be among {list(HEADERS)} and "
                              f"type a non-empty name; got headers={list(headers)}, "
                              f"type={type!r}")
        self.type = type.strip()
        self.headers = tuple(h for h in HEADERS if h in headers)

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[dict[str, Any]]:
        return [{"correspondents": correspondents({h: r.get(h) for h in self.headers},
                                                  self.type)} for r in records]
