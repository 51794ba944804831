"""The built-in skills of enrich.

Importing this package is cheap: models (spaCy, py3langid) load in each skill's
``warm_up``. Skills are found by name through the ``enrich.skills`` entry points.
"""

from skills.base import Record, Result, Skill, SkillError, SkillUnavailable, TermStats
from skills.entities import EntitySkill
from skills.keyphrases import KeyPhraseSkill, NgramSkill
from skills.language import LanguageSkill

__all__ = [
    "Skill", "SkillError", "SkillUnavailable", "TermStats", "Record", "Result",
    "LanguageSkill", "NgramSkill", "KeyPhraseSkill", "EntitySkill",
]
