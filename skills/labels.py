"""Image labels from a user's reference gallery: few-shot people and brands.

``LabelSkill`` adds ``/document/images/*/labels`` and ``/document/images/*/recognition``.
It recognises the labels of a *gallery* folder that the user fills with example
pictures, one sub-folder per label::

    gallery/
      LeBron James/   1.jpg 2.jpg 3.png ...     exemplars of one label
      Nike/           logo.png shoe.webp ...
      _negative/      crowd.jpg ball.jpg ...    pictures that are none of the labels
      labels.csv      LeBron James,PERSON       entity type per label (or labels.yaml);
                      Nike,BRAND                unlisted labels are LABEL; a label of
                                                type NEGATIVE counts as _negative

Every gallery image and every document image is embedded with a CLIP image encoder
(L2-normalised). The similarity of an image to a label is the cosine similarity to
the label's *nearest* exemplar. Max rather than the mean of the top two: a label's
exemplars are different views (pose, light, logo on a shirt or a shoe) and a
document image needs to resemble one of them, a label with one exemplar stays
comparable with the others, and the calibration below measures exactly this
statistic, so its bias towards labels with many exemplars is accounted for.

A label is given to an image when its similarity reaches the threshold, beats the
image's similarity to every negative example, and leads the runner-up label *of the
same type* by ``margin`` (two people too alike to tell apart give neither; a person
and a brand can both be in one photo). At most ``top`` labels, best first.

The threshold. CLIP similarities are never near zero (unrelated photos are often
0.5-0.7), so without a threshold every picture is "somebody". ``threshold="auto"``
calibrates it on the gallery, leave-one-out: each exemplar's similarity to the rest
of its own label is a *genuine* score, each gallery image's best similarity to a
label it does not belong to (negatives: to any label) an *impostor* score; the
threshold is the cut between the two that has the best balanced accuracy (ties: the
higher cut), i.e. the midpoint of the gap when they separate. Without genuine scores
(every label has one image) or impostor scores (one label, no negatives) it falls
back to ``DEFAULT_THRESHOLD`` (0.85, conservative for CLIP ViT-B/32). A number
overrides it.

Gallery embeddings are cached in ``$ENRICH_CACHE`` (default ``~/.cache/enrich``),
never in the gallery: one file per (model, gallery folder) keyed by each image's
path, size and modification time, so only new or changed images are embedded again.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Sequence

import yaml

from skills.base import Record, RunContext, Skill, SkillError, SkillUnavailable
from skills.tags import clip_embed_pixels, clip_pixel_values
from skills.vision import image_bytes, batched, decode_images, load_pretrained, prefetch, resolve_device

__all__ = ["LabelSkill", "Gallery", "read_gallery", "calibrate", "DEFAULT_THRESHOLD"]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "openai/clip-vit-base-patch32"
DEFAULT_THRESHOLD = 0.85
NEGATIVE = "NEGATIVE"
NEGATIVE_FOLDER = "_negative"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MAX_SIDE = 1024  # decode larger images to this size first (CLIP sees 224 pixels)
LAYOUT = ("expected layout: GALLERY/<label>/*.jpg|png|webp, one folder per label (e.g. "
          "'GALLERY/LeBron James/1.jpg'), optional GALLERY/_negative/ with pictures that are "
          "none of the labels, and optional GALLERY/labels.csv ('LeBron James,PERSON') or "
          "labels.yaml ('LeBron James: PERSON') giving each label's entity type")


@dataclass
class Gallery:
    """Exemplar files and their label (None: a negative example), the type of each label."""

    root: Path
    files: list[Path]
    owners: list[str | None]
    types: dict[str, str]

    @property
    def labels(self) -> list[str]:
        return sorted(self.types)


def read_gallery(root: str | os.PathLike) -> Gallery:
    """Read and check a gallery folder; SkillUnavailable says what is wrong."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise SkillUnavailable(f"labels: gallery folder {str(root)!r} does not exist; {LAYOUT}")
    types = _label_types(root)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    kinds = {f.name: types.get(_norm(f.name)) for f in folders}
    empty = [f"{f.name!r} ({_listing(f)})" for f in folders if not _images(f)]
    if empty:
        raise SkillUnavailable(f"labels: gallery folder(s) {', '.join(empty)} in {root} hold no "
                               f"{'/'.join(IMAGE_SUFFIXES)} images; {LAYOUT}")
    is_negative = {f.name: f.name.lower() == NEGATIVE_FOLDER or kinds[f.name] == NEGATIVE
                   for f in folders}
    label_types = {f.name: kinds[f.name] or "LABEL" for f in folders if not is_negative[f.name]}
    if not label_types:
        raise SkillUnavailable(f"labels: the gallery {root} has no label folders with images; "
                               f"{LAYOUT}")
    for name in sorted(set(types) - {_norm(f.name) for f in folders}):
        log.warning("labels: %s names %r, which has no folder in %s", _label_file(root), name, root)
    files, owners = [], []
    for folder in sorted(folders, key=lambda f: is_negative[f.name]):
        found = _images(folder)
        files += found
        owners += [None if is_negative[folder.name] else folder.name] * len(found)
    return Gallery(root, files, owners, label_types)


def _norm(label: str) -> str:
    return " ".join(label.lower().split())


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in IMAGE_SUFFIXES)


def _listing(folder: Path) -> str:
    names = sorted(p.name for p in folder.iterdir())
    more = ", ..." if names[3:] else ""
    return f"found {', '.join(names[:3])}{more}" if names else "empty"


def _label_file(root: Path) -> Path | None:
    found = [root / n for n in ("labels.csv", "labels.yaml", "labels.yml") if (root / n).is_file()]
    return found[0] if found else None


def _label_types(root: Path) -> dict[str, str]:
    """``{normalised label: TYPE}`` from labels.csv (``label,type`` rows) or labels.yaml."""
    path = _label_file(root)
    if path is None:
        return {}
    try:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as stream:
                rows = [r for r in csv.reader(stream) if r and not r[0].lstrip().startswith("#")]
            if rows and [c.strip().lower() for c in rows[0][:2]] == ["label", "type"]:
                rows = rows[1:]
            pairs = [(r[0], r[1] if len(r) > 1 else "") for r in rows]
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                raise ValueError("expected a mapping of label: TYPE")
            pairs = [(str(k), str(v or "")) for k, v in data.items()]
    except (OSError, UnicodeDecodeError, ValueError, csv.Error, yaml.YAMLError) as exc:
        raise SkillUnavailable(f"labels: cannot read {path}: {exc}; {LAYOUT}") from exc
    bad = [label for label, kind in pairs if not kind.strip()]
    if bad:
        raise SkillUnavailable(f"labels: {path} gives no type for {bad}; {LAYOUT}")
    return {_norm(label): kind.strip().upper() for label, kind in pairs}


def cache_dir() -> Path:
    """``$ENRICH_CACHE``, else ``$XDG_CACHE_HOME/enrich``, else ``~/.cache/enrich``."""
    if os.environ.get("ENRICH_CACHE"):
        return Path(os.environ["ENRICH_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "enrich"


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _model_fingerprint(model: str) -> str:
    """The model name, plus its files' sizes and times when it is a local folder."""
    folder = Path(model).expanduser()
    if not folder.is_dir():
        return model
    return json.dumps([_fingerprint(p) for p in sorted(folder.iterdir()) if p.is_file()])


def calibrate(embeddings: Any, owners: Sequence[str | None]) -> tuple[float | None, dict]:
    """Leave-one-out threshold over gallery embeddings (``owners``: label, None = negative).

    Returns ``(threshold, stats)``; the threshold is None when there are no genuine or
    no impostor scores to separate.
    """
    import torch

    names = {o: i for i, o in enumerate(dict.fromkeys(o for o in owners if o is not None))}
    ids = torch.tensor([names[o] if o is not None else -1 for o in owners])
    is_label = (ids >= 0)[None, :]
    same = (ids[:, None] == ids[None, :]) & is_label & ~torch.eye(len(ids), dtype=torch.bool)
    other = (ids[:, None] != ids[None, :]) & is_label
    sims = embeddings.float() @ embeddings.float().T
    genuine = sims.masked_fill(~same, -2).amax(1)[same.any(1)]
    impostor = sims.masked_fill(~other, -2).amax(1)[other.any(1)]
    stats = {"genuine": _range(genuine), "impostor": _range(impostor)}
    if not len(genuine) or not len(impostor):
        return None, stats
    scores = torch.cat([genuine, impostor]).double().unique()  # sorted
    # Midpoints between scores, and a cut above them all (labels nothing: the answer
    # when no cut does better than chance).
    cuts = torch.cat([(scores[1:] + scores[:-1]) / 2, scores[-1:] + 1e-6])
    errors = ((genuine.double()[None, :] < cuts[:, None]).double().mean(1)
              + (impostor.double()[None, :] >= cuts[:, None]).double().mean(1)) / 2
    best = int(torch.nonzero(errors == errors.min()).max())  # ties: the higher cut
    stats["error"] = round(errors[best].item(), 4)
    return cuts[best].item(), stats


def _range(values: Any) -> list[float] | None:
    return [round(values.min().item(), 4), round(values.max().item(), 4)] if len(values) else None


class LabelSkill(Skill):
    """Labels (people, brands, ...) from a reference gallery, with an "unknown" answer.

    Output per image: ``labels``, a list of entities ``{"text", "name", "type", "key",
    "start": None, "end": None, "confidence"}`` (confidence: the cosine similarity,
    clipped to [0, 1], not a probability), and ``recognition``: ``{"label": the top label or "unknown",
    "type", "similarity": best label similarity, "threshold", "nearest": the most
    similar label, "reason": why unknown (None when recognised)}``.

    Parameters: ``gallery`` (the folder, see the module docstring), ``model`` (a CLIP
    model: hub name or folder; default ``openai/clip-vit-base-patch32``), ``device``
    (default: the run's ``--device``), ``batch_size`` (32), ``threshold`` ("auto" or a cosine
    similarity), ``margin`` (0.02) and ``top`` (3).
    """

    name: ClassVar[str] = "labels"
    version: ClassVar[str] = "1"
    context: ClassVar[str] = "/document/images/*"
    inputs: ClassVar[dict[str, str]] = {"image": "/document/images/*/data"}
    outputs: ClassVar[tuple[str, ...]] = ("labels", "recognition")
    description: ClassVar[str] = "People and brands recognised from a reference gallery."
    uses_device: ClassVar[bool] = True
    runtime_params: ClassVar[frozenset[str]] = frozenset({"device", "batch_size"})

    def __init__(self, gallery: str | None = None, model: str = DEFAULT_MODEL,
                 device: str | None = None, batch_size: int = 32, threshold: float | str = "auto",
                 margin: float = 0.02, top: int = 3, **params: Any) -> None:
        if threshold != "auto" and not isinstance(threshold, (int, float)):
            raise ValueError(f"labels: threshold must be 'auto' or a number, got {threshold!r}")
        super().__init__(gallery=str(gallery) if gallery is not None else None, model=model,
                         device=device, batch_size=int(batch_size), threshold=threshold,
                         margin=float(margin), top=int(top), **params)
        self._ready = False

    @property
    def model(self) -> str | None:
        return self.params["model"]

    def warm_up(self, context: RunContext = RunContext()) -> None:
        if self._ready:
            return
        if not self.params["gallery"]:
            raise SkillUnavailable(f"labels: no gallery given; set params: {{gallery: FOLDER}}; "
                                   f"{LAYOUT}")
        self.gallery = read_gallery(self.params["gallery"])
        from transformers import CLIPModel, CLIPProcessor

        self._device = resolve_device(context.device_for(self.params))
        self._model = load_pretrained(CLIPModel, self.model, self._device)
        self._processor = load_pretrained(CLIPProcessor, self.model)
        self._gallery_embeddings = self._embed_gallery()
        self._setup_matching()
        self._ready = True

    def _setup_matching(self) -> None:
        import torch

        gallery, labels = self.gallery, self.gallery.labels
        column = {label: i for i, label in enumerate(labels)}
        # Column len(labels) collects the negatives.
        self._columns = torch.tensor([column.get(o, len(labels)) if o else len(labels)
                                      for o in gallery.owners])
        threshold, stats = calibrate(self._gallery_embeddings, gallery.owners)
        given = self.params["threshold"]
        if given != "auto":
            threshold, method = float(given), "fixed"
        elif threshold is None:
            threshold, method = DEFAULT_THRESHOLD, "default"
        else:
            method = "auto"
        self.threshold = round(threshold, 4)
        self.calibration = {"threshold": self.threshold, "method": method, **stats}
        log.info("labels: %d labels, %d negatives, %s", len(labels),
                 gallery.owners.count(None), self.calibration)
        if stats.get("error"):
            log.warning("labels: in the gallery %s some exemplars are closer to another label "
                        "than to their own (genuine %s, impostor %s): add more distinctive "
                        "exemplars or remove mislabelled ones", gallery.root, stats["genuine"],
                        stats["impostor"])
        if None not in gallery.owners:
            log.warning("labels: the gallery %s has no _negative examples: the threshold only "
                        "separates the labels from each other, not from everyone else",
                        gallery.root)

    def _embed_gallery(self) -> Any:
        """Gallery embeddings [files, d], from the cache where the files are unchanged."""
        import torch

        files = self.gallery.files
        prints = [_fingerprint(p) for p in files]
        key = hashlib.sha256(json.dumps([_model_fingerprint(self.model),
                                         str(self.gallery.root.resolve())]).encode()).hexdigest()
        path = cache_dir() / f"gallery-{key[:20]}.pt"
        cached = _load_cache(path)
        missing = [i for i, fp in enumerate(prints) if fp not in cached]
        if missing:
            fresh = self._embed_files([files[i] for i in missing])
            cached = {fp: cached[fp] for fp in prints if fp in cached}
            cached.update({prints[i]: row for i, row in zip(missing, fresh)})
            _save_cache(path, cached)
        return torch.stack([cached[fp] for fp in prints])

    def _embed_files(self, files: list[Path]) -> Any:
        import torch

        rows = []
        for chunk, (images, pixels) in prefetch(batched(files, self.params["batch_size"]),
                                                self._prepare_files):
            bad = [f"{p}: {img}" for p, img in zip(chunk, images) if isinstance(img, str)]
            if bad:
                raise SkillUnavailable(f"labels: gallery images that cannot be read: {bad}; "
                                       "remove or replace them")
            rows.append(self._embed(pixels))
        return torch.cat(rows)

    def _prepare_files(self, chunk: Sequence[Path]) -> tuple[list[Any], Any]:
        return self._prepare([{"image": p.read_bytes()} for p in chunk])

    def _pixels(self, images: list[Any]) -> Any:
        return clip_pixel_values(self._processor, images)

    def _embed(self, pixels: Any) -> Any:
        """L2-normalised float32 CPU image embeddings [n, d] (shared with ``tags``)."""
        return clip_embed_pixels(self._model, pixels, self._device)

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        self.warm_up()
        results: list[Any] = []
        for _, (images, pixels) in prefetch(batched(records, self.params["batch_size"]),
                                            self._prepare):
            found = iter(self._match(self._embed(pixels)) if pixels is not None else [])
            results += [SkillError(img) if isinstance(img, str) else next(found) for img in images]
        return results

    def _prepare(self, chunk: Sequence[Record]) -> tuple[list[Any], Any]:
        """Decode a chunk (in the prefetch thread); pixels of the decodable images."""
        images = decode_images([image_bytes(r) for r in chunk], MAX_SIDE)
        good = [img for img in images if not isinstance(img, str)]
        return images, self._pixels(good) if good else None

    def _match(self, embeddings: Any) -> list[dict[str, Any]]:
        import torch

        labels = self.gallery.labels
        sims = embeddings @ self._gallery_embeddings.T
        index = self._columns.expand(len(sims), -1)
        per_label = torch.full((len(sims), len(labels) + 1), float("-inf"))
        per_label = per_label.scatter_reduce(1, index, sims, "amax").tolist()
        return [self._decide(row[:-1], row[-1]) for row in per_label]

    def _decide(self, scores: list[float], negative: float) -> dict[str, Any]:
        """Labels and recognition of one image from its per-label and negative similarity."""
        labels, types, margin = self.gallery.labels, self.gallery.types, self.params["margin"]
        order = sorted(range(len(labels)), key=lambda i: (-scores[i], labels[i]))
        nearest, best = labels[order[0]], scores[order[0]]
        chosen, seen_types = [], set()
        for i in order:
            kind = types[labels[i]]
            if kind in seen_types:
                continue
            seen_types.add(kind)
            rival = max((scores[j] for j in order if j != i and types[labels[j]] == kind),
                        default=float("-inf"))
            if scores[i] >= self.threshold and scores[i] > negative and scores[i] - rival >= margin:
                chosen.append(i)
        chosen = chosen[:self.params["top"]]
        entities = [self._entity(labels[i], scores[i]) for i in chosen]
        recognition = {"label": labels[chosen[0]] if chosen else "unknown",
                       "type": types[labels[chosen[0]]] if chosen else None,
                       "similarity": round(best, 4), "threshold": self.threshold,
                       "nearest": nearest, "reason": None if chosen else
                       self._reason(best, negative)}
        return {"labels": entities, "recognition": recognition}

    def _reason(self, best: float, negative: float) -> str:
        if best < self.threshold:
            return "below threshold"
        if negative >= best:
            return "closer to a negative example"
        return "ambiguous: within margin of another label of the same type"

    def _entity(self, label: str, score: float) -> dict[str, Any]:
        kind = self.gallery.types[label]
        return {"text": label, "name": label, "type": kind,
                "key": f"{kind}:{' '.join(label.lower().split())}", "start": None, "end": None,
                "confidence": round(min(1.0, max(0.0, score)), 4)}


def _load_cache(path: Path) -> dict[str, Any]:
    import torch

    if not path.is_file():
        return {}
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
        return dict(zip(data["files"], data["embeddings"]))
    except Exception as exc:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
        log.warning("labels: ignoring unreadable embedding cache %s: %s", path, exc)
        return {}


def _save_cache(path: Path, cached: dict[str, Any]) -> None:
    """Write atomically (workers may warm up together); a read-only cache is not fatal."""
    import torch

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        torch.save({"files": list(cached), "embeddings": torch.stack(list(cached.values()))}, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("labels: cannot write the embedding cache %s: %s", path, exc)
