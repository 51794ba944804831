"""Skills registered by name.

Built-in skills and third-party plugins register the same way: an entry point in
the ``enrich.skills`` group (``entities = "skills.entities:EntitySkill"`` in
``pyproject.toml``). A skillset names ``entities``, never an import path.
Tests and notebooks may also :func:`register` a class directly.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from skills.base import Skill

from enrich.errors import UnknownSkillError

__all__ = ["ENTRY_POINT_GROUP", "register", "get_skill", "available_skills"]

ENTRY_POINT_GROUP = "enrich.skills"
_registered: dict[str, type[Skill]] = {}


def register(cls: type[Skill], name: str | None = None) -> type[Skill]:
    """Register a skill class under ``name`` (default ``cls.name``); usable as a decorator."""
    _registered[name or cls.name] = cls
    return cls


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_skills() -> list[str]:
    """Every registered skill name, sorted."""
    return sorted(set(_entry_points()) | set(_registered))


def get_skill(name: str) -> type[Skill]:
    """The skill class registered as ``name``."""
    if name in _registered:
        return _registered[name]
    entry = _entry_points().get(name)
    if entry is None:
        raise UnknownSkillError(
            f"unknown skill {name!r}; registered skills: {', '.join(available_skills())}. "
            f"A plugin registers skills in the {ENTRY_POINT_GROUP!r} entry-point group.")
    try:
        cls = entry.load()
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not crash the CLI
        raise UnknownSkillError(f"skill {name!r} ({entry.value}) failed to load: "
                                f"{type(exc).__name__}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Skill)):
        raise UnknownSkillError(f"entry point {name!r} ({entry.value}) is not a Skill subclass")
    return cls
