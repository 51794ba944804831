"""The skill contract.

A skill is one enrichment step. The engine (``enrich.engine``) finds every node of
the enrichment tree that matches the skill's ``context`` (``/document``,
``/document/pages/*``...), gathers the skill's inputs relative to each node into a
*record* (``{"text": "...", "language": "en"}``), and hands the skill the records of
a whole batch of documents at once, so that model-backed skills see full batches.
``run`` returns one result per record, in order: a dict keyed by output name, or a
:class:`SkillError` for that record alone. The engine writes each output as a child
of the context node (``/document/pages/3/entities``).

A skill class is small:

* ``__init__(**params)`` is cheap and its parameters are serialisable (they come
  from a skillset YAML file);
* ``warm_up(context)`` loads models, is idempotent, and raises
  :class:`SkillUnavailable` when the skill cannot run here (no model, no GPU); the
  engine then disables the skill loudly and the run goes on. ``context`` is the
  :class:`RunContext` of the process: the run's device and this process's share of
  the cores (called without one, as in a notebook: auto device, every core);
* ``name``, ``version``, ``context``, ``inputs`` (input name -> default source
  path) and ``outputs`` (output names) are declared on the class, so a skillset can
  be validated before any document runs;
* so is how the skill runs: ``uses_device`` (it runs a model on the run's device,
  unless its own ``device`` parameter names another), ``cacheable`` (the engine may
  reuse its outputs for equal inputs; ``False`` for a skill that reads the world,
  a web API) and ``runtime_params`` (parameters that change how it runs but never
  what it outputs, ``device``, ``threads``, ``batch_size``: the enrichment cache
  leaves them out of its key);
* ``model`` names the model behind the values (for provenance), or is ``None``.

A result dict may carry :data:`WARNINGS` (``"_warnings"``): messages about that
record that did not stop it (a web API's ``warnings``); the engine adds them to the
document's warnings. A skill whose inputs and outputs are whatever the skillset names
(``io_from_skillset = True``, the web API skill) declares none on its class.

Skills that need statistics of the whole corpus (``needs_corpus = True``) run in the
indexer's main process, inside the batch's store transaction, and receive a
:class:`TermStats` view as ``run(records, corpus=...)``; their records also carry
the document id under ``"_doc_id"``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any, ClassVar, Iterable, Mapping, Protocol, Sequence

from enrich.errors import ConfigError, EnrichError

__all__ = ["Skill", "SkillError", "SkillUnavailable", "TermStats", "ModelRef", "Record",
           "Result", "RunContext", "check_device", "versioned", "DEVICES", "WARNINGS"]

Record = Mapping[str, Any]
Result = "dict[str, Any] | SkillError"
WARNINGS = "_warnings"  # a result's key for its record's warnings (a list of strings)


@dataclass(frozen=True)
class ModelRef:
    """A model a skill needs: a hub name or folder, where it comes from, how to get it.

    ``source`` is ``huggingface`` (a hub name or a local folder; ``enrich models pull``
    downloads hub names into the Hugging Face cache), ``spacy`` (a pip package),
    ``bundled`` (ships with a Python package) or ``system`` (a program on PATH).
    """

    name: str
    source: str
    install: str = ""


DEVICES = "auto, cpu, cuda or cuda:N (cuda! or cuda:N! to disable GPU skills rather than " \
          "fall back to the CPU)"
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?!?")


def check_device(device: str) -> str:
    """``device`` when it is one the skills understand (see :data:`DEVICES`), else a
    ConfigError: the one check of a device, for the ``--device`` flag, the ``device``
    setting and a skill's own ``device`` parameter alike.

    ``cuda`` on a machine without CUDA runs on the CPU with a warning; ``cuda!``
    disables the skill instead (``SkillUnavailable``); ``auto`` takes CUDA when it is
    there, silently."""
    if not isinstance(device, str) or not _DEVICE.fullmatch(device):
        raise ConfigError(f"unknown device {device!r}: use {DEVICES}")
    return device


def versioned(package: str) -> str:
    """``<package>-<version>`` of an installed package, else the name as given (a
    skill's ``model`` for provenance)."""
    try:
        return f"{package}-{metadata.version(package)}"
    except (metadata.PackageNotFoundError, ValueError):
        return package


@dataclass(frozen=True)
class RunContext:
    """How the skills of one process run: handed to every ``warm_up``.

    ``device``: the run's device (:func:`check_device`); a skill's own ``device``
    parameter overrides it (:meth:`device_for`). ``threads``: the cores this process
    may use (the machine's, divided among the worker processes by :meth:`share`).
    """

    device: str = "auto"
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)

    def __post_init__(self) -> None:
        check_device(self.device)

    def share(self, processes: int) -> RunContext:
        """This context for one of ``processes`` processes that share its cores."""
        return replace(self, threads=max(1, self.threads // max(1, processes)))

    def device_for(self, params: Mapping[str, Any]) -> str:
        """The device a skill with these parameters asks for: its own ``device``, else
        the run's."""
        own = params.get("device")
        return check_device(own) if own else self.device


class SkillUnavailable(EnrichError):
    """Raised by ``warm_up`` when a skill cannot run here; the message says how to fix it."""

    code = "E600"


@dataclass(frozen=True)
class SkillError:
    """The result of one record that failed; the rest of the batch is unaffected."""

    message: str
    transient: bool = False


class TermStats(Protocol):
    """Document frequencies of terms over the corpus indexed so far (store-backed)."""

    def add(self, doc_id: str, namespace: str, terms: Iterable[str]) -> None:
        """Replace the set of terms document ``doc_id`` contributes to ``namespace``."""

    def df(self, namespace: str, terms: Iterable[str]) -> dict[str, int]:
        """Number of documents containing each term (0 when unseen)."""

    def documents(self, namespace: str) -> int:
        """Number of documents that contributed any term to ``namespace``."""


class Skill:
    """Base class of every skill. Subclasses set the class attributes and ``run``."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    context: ClassVar[str] = "/document"
    inputs: ClassVar[Mapping[str, str]] = {}
    # Inputs a skill can do without: when nothing writes their path, the record holds
    # None (no error), and a disabled writer does not disable the skill.
    optional_inputs: ClassVar[frozenset[str]] = frozenset()
    outputs: ClassVar[Sequence[str]] = ()
    needs_corpus: ClassVar[bool] = False
    description: ClassVar[str] = ""
    uses_device: ClassVar[bool] = False  # runs a model on RunContext.device
    cacheable: ClassVar[bool] = True  # equal inputs give equal outputs (not corpus skills)
    runtime_params: ClassVar[frozenset[str]] = frozenset()  # never change the outputs
    io_from_skillset: ClassVar[bool] = False  # inputs/outputs: the ones the skillset names

    def __init__(self, **params: Any) -> None:
        self.params = params

    @property
    def model(self) -> str | None:
        """The model id behind this skill's values (for provenance), if any."""
        return None

    def models(self) -> list[ModelRef]:
        """The models this skill needs, for ``enrich models list|pull``; none by default."""
        return []

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Load models for ``context``; idempotent. Raise SkillUnavailable when the skill
        cannot run here."""

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        """Return one output dict (or SkillError) per record, in order."""
        raise NotImplementedError
