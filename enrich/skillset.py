"""Skillsets: which skills run, how they are wired, and what becomes index fields.

A skillset is a YAML file (or the equivalent dict / :class:`Skillset` object)::

    skills:
      - skill: entities                  # a registered skill name
        context: /document/pages/*       # optional: defaults to the skill's own
        inputs: {text: /document/pages/*/text}
        outputs: {entities: entities}    # output name -> name of the new node
        params: {model: en_core_web_sm}
    fields:                              # tree nodes that become index fields
      language: /document/language       # a built-in field (language, keyphrases, tags)
      region: /document/metadata/record/region          # a keyword field, filterable, facetable
      amount: {source: /document/metadata/record/amount, type: number, sortable: true}
    entities: [/document/pages/*/entities]
    resolution: {short_forms: false}     # optional: entity resolution rules, all on by default

``fields`` may map any node (a record's columns under ``/document/metadata/record``, a
plugin skill's outputs) to a typed index field (``indexers.stores.fields``: type text,
keyword, number, date or bool; flags searchable, filterable, facetable, sortable); a
field's form, type, flags and name are checked here (E130-E133), its node by the plan.

``resolution`` switches the rules of corpus-level entity resolution
(:data:`graph.resolution.RULES`: ``acronyms``, ``short_forms``, ``type_vote``,
``boundaries``, ``common_words``); it is part of the skillset, so changing it
changes the skillset's fingerprint, and the store applies the rules it says.

This module only reads and holds it; :func:`enrich.plan.build_plan` validates it
before any document runs: every skill exists, every input path is produced by the
crackers or by another skill (else the error lists the paths that do exist), no two
skills write the same node, there is no cycle. The execution order comes from which
paths each skill reads and writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph.resolution import check_rules
from indexers.stores.fields import FieldSpec, parse_field
from skills.webapi_azure import ODATA_TYPE, from_azure

from enrich.errors import SkillsetError

__all__ = ["SkillSpec", "Skillset", "DEFAULT_SKILLSET_FILE"]

DEFAULT_SKILLSET_FILE = Path(__file__).with_name("default_skillset.yaml")


@dataclass
class SkillSpec:
    """One skill of a skillset, as written in the file."""

    skill: str
    name: str = ""
    context: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name = self.name or self.skill

    @classmethod
    def from_dict(cls, data: Any) -> "SkillSpec":
        if isinstance(data, str):
            return cls(skill=data)
        if isinstance(data, dict) and ODATA_TYPE in data:  # an Azure definition, unchanged
            data = from_azure(data)
        if not isinstance(data, dict) or "skill" not in data:
            raise SkillsetError(f"each skill needs a 'skill' name, got {data!r}")
        unknown = set(data) - {"skill", "name", "context", "inputs", "outputs", "params"}
        if unknown:
            raise SkillsetError(f"skill {data['skill']!r}: unknown keys {sorted(unknown)}; "
                                "allowed: skill, name, context, inputs, outputs, params")
        return cls(**{k: v for k, v in data.items() if v is not None})


@dataclass
class Skillset:
    """The skills of a run, the index field mappings (as written: a path, or a
    ``{source, type, flags}`` mapping), the entity paths and the entity resolution rules.

    ``field_sources`` is each field's tree path; ``field_specs`` the user fields
    (not the built-in ones) the search index adds to its schema."""

    skills: list[SkillSpec]
    fields: dict[str, Any] = field(default_factory=dict)
    entities: list[str] = field(default_factory=list)
    name: str = "custom"
    resolution: dict[str, bool] = field(default_factory=lambda: check_rules(None))

    def __post_init__(self) -> None:
        if not isinstance(self.fields, dict):
            raise SkillsetError(f"a skillset's 'fields' is a mapping of field names, got "
                                f"{self.fields!r}")
        parsed = {name: parse_field(name, value) for name, value in self.fields.items()}
        self.field_sources: dict[str, str] = {n: source for n, (source, _) in parsed.items()}
        self.field_specs: tuple[FieldSpec, ...] = tuple(
            spec for _, spec in parsed.values() if spec is not None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Skillset":
        if not isinstance(data, dict) or not isinstance(data.get("skills", []), list):
            raise SkillsetError("a skillset is a mapping with a 'skills' list")
        try:
            resolution = check_rules(data.get("resolution"))
        except ValueError as exc:
            raise SkillsetError(f"skillset: {exc}") from None
        return cls(skills=[SkillSpec.from_dict(s) for s in data.get("skills", [])],
                   fields=data.get("fields") or {},
                   entities=list(data.get("entities") or []),
                   name=str(data.get("name", "custom")), resolution=resolution)

    @classmethod
    def from_yaml(cls, path: str | Path) -> "Skillset":
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SkillsetError(f"cannot read skillset {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise SkillsetError(f"skillset {path} is not valid YAML: {exc}") from exc
        return cls.from_dict(data or {})

    @classmethod
    def default(cls) -> "Skillset":
        return cls.from_yaml(DEFAULT_SKILLSET_FILE)

    @classmethod
    def load(cls, source: "str | Path | Skillset | dict | None") -> "Skillset":
        """A skillset from a file path, a dict, an object, or ``None`` for the default."""
        if source is None:
            return cls.default()
        if isinstance(source, Skillset):
            return source
        if isinstance(source, dict):
            return cls.from_dict(source)
        return cls.from_yaml(source)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "fields": self.fields, "entities": self.entities,
                "skills": [vars(s).copy() for s in self.skills],
                "resolution": dict(self.resolution)}
