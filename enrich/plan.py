"""A validated, ordered skillset: what the engine runs.

:func:`build_plan` resolves every skill by name, checks every path (against what
the crackers declare they write, ``indexers.crackers.CRACKED_PATHS``, and what
earlier skills write) and a skill's own ``device``, and orders the skills so each runs after the skills whose
outputs it reads. Corpus skills (``needs_corpus``) form a second stage that runs
in the indexer's main process; a per-document skill may not read their outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexers.crackers import CRACKED_PATHS
from indexers.stores.fields import FieldSourceError
from skills.base import Skill, check_device

from enrich import tree
from enrich.errors import ConfigError, PathError, SkillsetError
from enrich.registry import get_skill
from enrich.skillset import Skillset, SkillSpec

__all__ = ["BoundSkill", "Plan", "build_plan", "needs", "reads_from"]


@dataclass(frozen=True)
class BoundSkill:
    """One skill of a plan: its spec, class and resolved paths. Frozen: what happens
    when it runs (its loaded instance, whether it is disabled) is the engine's."""

    spec: SkillSpec
    cls: type[Skill]
    context: tree.Pattern
    inputs: dict[str, tree.Pattern]
    outputs: dict[str, str]  # output name -> node name under the context

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def writes(self) -> list[tree.Pattern]:
        return [self.context + (target,) for target in self.outputs.values()]

    def skill(self) -> Skill:
        """A new instance (``__init__`` is cheap by contract; the engine keeps its own)."""
        return self.cls(**self.spec.params)


@dataclass(frozen=True)
class Plan:
    """Skills in execution order, split into the per-document and the corpus stage.

    Frozen: a runner that runs part of the per-document stage (a Ray stage) names the
    skills it runs, it never edits the plan."""

    skillset: Skillset
    document_skills: tuple[BoundSkill, ...]
    corpus_skills: tuple[BoundSkill, ...]
    fields: dict[str, tree.Pattern] = field(default_factory=dict)
    entities: tuple[tree.Pattern, ...] = ()

    @property
    def skills(self) -> tuple[BoundSkill, ...]:
        return self.document_skills + self.corpus_skills


def _bind(spec: SkillSpec) -> BoundSkill:
    cls = get_skill(spec.skill)
    if cls.uses_device and spec.params.get("device"):
        try:
            check_device(spec.params["device"])
        except ConfigError as exc:
            raise SkillsetError(f"skill {spec.name!r}: {exc}") from exc
    declared_in, declared_out = _declared(spec, cls)
    unknown_in = set(spec.inputs) - set(declared_in)
    unknown_out = set(spec.outputs) - set(declared_out)
    if unknown_in or unknown_out:
        raise SkillsetError(
            f"skill {spec.name!r} ({spec.skill}): unknown "
            + ", ".join(f"{kind} {sorted(names)}" for kind, names in
                        (("inputs", unknown_in), ("outputs", unknown_out)) if names)
            + f"; it declares inputs {sorted(cls.inputs)} and outputs {list(cls.outputs)}")
    _check_params(spec, cls)
    sources = {**declared_in, **spec.inputs}
    return BoundSkill(spec=spec, cls=cls,
                      context=tree.parse(spec.context or cls.context),
                      inputs={name: tree.parse(path) for name, path in sources.items()},
                      outputs={out: spec.outputs.get(out, out) for out in declared_out})


def _declared(spec: SkillSpec, cls: type[Skill]) -> tuple[dict[str, str], list[str]]:
    """The skill's inputs (name -> default path) and output names: its class's, or,
    for a skill whose inputs and outputs are the skillset's to name (a web API), the
    spec's, at least one of each."""
    if not cls.io_from_skillset:
        return dict(cls.inputs), list(cls.outputs)
    if not spec.inputs or not spec.outputs:
        raise SkillsetError(f"skill {spec.name!r} ({spec.skill}) takes the inputs and outputs "
                            "the skillset names: give it at least one of each "
                            "(inputs: {name: /document/path}, outputs: {name: node name})")
    return dict(spec.inputs), list(spec.outputs)


def _check_params(spec: SkillSpec, cls: type[Skill]) -> None:
    """Build the skill once (``__init__`` is cheap by contract), so that a parameter it
    refuses fails the skillset before any document runs, not every document in a worker."""
    try:
        cls(**spec.params)
    except (TypeError, ValueError) as exc:
        raise SkillsetError(f"skill {spec.name!r} ({spec.skill}): bad parameters "
                            f"{dict(spec.params)}: {exc}") from exc


def _order(bound: list[BoundSkill]) -> list[BoundSkill]:
    """Topological order by read/write dependencies, stable in declaration order."""
    deps = {b.name: {a.name for a in bound if a is not b and reads_from(b, a)} for b in bound}
    ordered: list[BoundSkill] = []
    while len(ordered) < len(bound):
        ready = [b for b in bound if b not in ordered and deps[b.name] <= {o.name for o in ordered}]
        if not ready:
            stuck = sorted(b.name for b in bound if b not in ordered)
            raise SkillsetError(f"skills {stuck} depend on each other in a cycle")
        ordered.append(ready[0])
    return ordered


def needs(reader: BoundSkill, writer: BoundSkill) -> bool:
    """Whether ``reader`` reads a node ``writer`` makes (or below it): without the writer
    it has nothing to read. Reading a whole node the writer only adds to is not need."""
    reads = [path for name, path in reader.inputs.items()
             if name not in reader.cls.optional_inputs] + [reader.context]
    return any(tree.is_under(path, out) for path in reads for out in writer.writes)


def reads_from(reader: BoundSkill, writer: BoundSkill) -> bool:
    """Whether ``reader`` reads what ``writer`` writes: the node, below it, or a whole
    node (``/document/images/*``) that the writer adds children to."""
    reads = list(reader.inputs.values()) + [reader.context]
    return any(tree.is_under(path, out) or (path != reader.context and tree.is_under(out, path))
               for path in reads for out in writer.writes)


class _Available:
    """The paths that exist at some point of the plan, for validation."""

    def __init__(self) -> None:
        self.exact: set[tree.Pattern] = {()}
        self.opaque: list[tree.Pattern] = []
        for path in CRACKED_PATHS:
            if path.endswith("/"):
                self.opaque.append(tree.parse(path.rstrip("/")))
            else:
                self.exact.add(tree.parse(path))

    def has(self, path: tree.Pattern) -> bool:
        return path in self.exact or any(tree.is_under(path, o) for o in self.opaque)

    def listing(self) -> str:
        paths = sorted({tree.format_path(p) for p in self.exact if p}
                       | {tree.format_path(p) + "/..." for p in self.opaque})
        return "\n  ".join(paths)


def _check(available: _Available, path: tree.Pattern, what: str,
           error: type[SkillsetError] = SkillsetError) -> None:
    if not available.has(path):
        raise error(f"{what} reads {tree.format_path(path)}, which nothing produces. "
                            f"Paths that exist at that point:\n  {available.listing()}")


def _validate(ordered: list[BoundSkill], skillset: Skillset) -> None:
    available, writers = _Available(), {}
    for b in ordered:
        _check(available, b.context, f"skill {b.name!r} (context)")
        for name, path in b.inputs.items():
            if name not in b.cls.optional_inputs or available.has(path):
                _check(available, path, f"skill {b.name!r} input {name!r}")
        for path in b.writes:
            # a child of another skill's nodes (/document/chunks/*/vector) is added to them
            inside = any(tree.is_under(path, w) and path != w for w in writers)
            if path in writers or (available.has(path) and not inside):
                raise SkillsetError(f"skill {b.name!r} writes {tree.format_path(path)}, "
                                    f"which {writers.get(path, 'the cracker')!r} already writes")
            writers[path] = b.name
            available.opaque.append(path)
    for name, path in skillset.field_sources.items():
        _check(available, tree.parse(path), f"field {name!r}", FieldSourceError)
    for path in skillset.entities:
        _check(available, tree.parse(path), "entities")


def build_plan(skillset: Skillset) -> Plan:
    """Validate and order ``skillset``; nothing is loaded (see ``warm_up``)."""
    try:
        return _build(skillset)
    except PathError as exc:  # a malformed path in the file
        raise SkillsetError(str(exc)) from exc


def _build(skillset: Skillset) -> Plan:
    names = [s.name for s in skillset.skills]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SkillsetError(f"skill names must be unique; repeated: {duplicates} "
                            "(give each instance its own 'name')")
    ordered = _order([_bind(spec) for spec in skillset.skills])
    _validate(ordered, skillset)
    corpus = tuple(b for b in ordered if b.cls.needs_corpus)
    document = tuple(b for b in ordered if not b.cls.needs_corpus)
    for b in document:
        late = [c.name for c in corpus if reads_from(b, c)]
        if late:
            raise SkillsetError(f"skill {b.name!r} reads the output of corpus skill(s) {late}, "
                                "which run after every per-document skill")
    return Plan(skillset=skillset, document_skills=document, corpus_skills=corpus,
                fields={k: tree.parse(v) for k, v in skillset.field_sources.items()},
                entities=tuple(tree.parse(p) for p in skillset.entities))
