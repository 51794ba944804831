"""The built-in skills of enrich.

Importing this package is cheap: models (spaCy, py3langid, torch and transformers
models, OCR engines) load in each skill's ``warm_up``. Skills are found by name
through the ``enrich.skills`` entry points.
"""

from skills.base import (ModelRef, Record, Result, RunContext, Skill, SkillError, SkillUnavailable,
                         TermStats)
from skills.caption import CaptionSkill
from skills.correspondents import CorrespondentSkill
from skills.entities import EntitySkill
from skills.keyphrases import KeyPhraseSkill, NgramSkill
from skills.labels import LabelSkill
from skills.language import LanguageSkill
from skills.merge import JoinSkill, MergeSkill
from skills.ner import NerSkill
from skills.ocr import OcrSkill
from skills.pii import PiiSkill
from skills.tags import TagSkill
from skills.webapi import WebApiSkill

__all__ = [
    "Skill", "SkillError", "SkillUnavailable", "TermStats", "ModelRef", "Record", "Result",
    "RunContext", "PiiSkill",
    "LanguageSkill", "NgramSkill", "KeyPhraseSkill", "EntitySkill", "NerSkill", "OcrSkill",
    "CaptionSkill", "TagSkill", "LabelSkill", "MergeSkill", "JoinSkill", "CorrespondentSkill",
    "WebApiSkill",
]
