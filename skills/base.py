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
* ``warm_up()`` loads models, is idempotent, and raises :class:`SkillUnavailable`
  when the skill cannot run here (no model, no GPU); the engine then disables the
  skill loudly and the run goes on;
* ``name``, ``version``, ``context``, ``inputs`` (input name -> default source
  path) and ``outputs`` (output names) are declared on the class, so a skillset can
  be validated before any document runs;
* ``model`` names the model behind the values (for provenance), or is ``None``.

Skills that need statistics of the whole corpus (``needs_corpus = True``) run in the
indexer's main process, inside the batch's store transaction, and receive a
:class:`TermStats` view as ``run(records, corpus=...)``; their records also carry
the document id under ``"_doc_id"``.
"""

from __future__ import annotations

from enrich.errors import EnrichError

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping, Protocol, Sequence

__all__ = ["Skill", "SkillError", "SkillUnavailable", "TermStats", "ModelRef", "Record",
           "Result"]

Record = Mapping[str, Any]
Result = "dict[str, Any] | SkillError"


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
    outputs: ClassVar[Sequence[str]] = ()
    needs_corpus: ClassVar[bool] = False
    description: ClassVar[str] = ""

    def __init__(self, **params: Any) -> None:
        self.params = params

    @property
    def model(self) -> str | None:
        """The model id behind this skill's values (for provenance), if any."""
        return None

    def models(self) -> list[ModelRef]:
        """The models this skill needs, for ``enrich models list|pull``; none by default."""
        return []

    def warm_up(self) -> None:
        """Load models; idempotent. Raise SkillUnavailable when the skill cannot run."""

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        """Return one output dict (or SkillError) per record, in order."""
        raise NotImplementedError
