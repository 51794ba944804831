"""The models a skillset needs: which are here, and fetching the missing ones.

``enrich models list`` shows, for every skill of a skillset, the models it needs and
whether they are present; ``enrich models pull`` downloads the Hugging Face ones
into the Hugging Face cache (``HF_HOME``) for air-gapped use. spaCy models and
system programs come from pip and the package manager, so they are reported with
the command that installs them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import asdict, dataclass
from typing import Any

from skills.base import ModelRef

from enrich.plan import build_plan
from enrich.skillset import Skillset

__all__ = ["ModelStatus", "model_status", "pull_models", "ignore_patterns"]

# Weights for other frameworks are not needed by transformers with torch.
IGNORE_PATTERNS = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "*tflite*", "flax_model*", "tf_model*"]


@dataclass
class ModelStatus:
    skill: str
    name: str
    source: str
    present: bool
    where: str
    install: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _locate(ref: ModelRef) -> str | None:
    if ref.source == "huggingface":
        if os.path.isdir(ref.name):
            return os.path.abspath(ref.name)
        from huggingface_hub import try_to_load_from_cache
        found = try_to_load_from_cache(ref.name, "config.json")
        return os.path.dirname(found) if isinstance(found, str) else None
    if ref.source in ("spacy", "bundled"):
        spec = importlib.util.find_spec(ref.name)
        return os.path.dirname(spec.origin) if spec and spec.origin else None
    if ref.source == "system":
        return shutil.which(ref.name)
    return None


def model_status(skillset: Skillset) -> list[ModelStatus]:
    """Every model the skillset's skills need, and whether it is present here."""
    out = []
    for bound in build_plan(skillset).skills:
        for ref in bound.skill().models():
            where = _locate(ref)
            out.append(ModelStatus(bound.name, ref.name, ref.source, where is not None,
                                   where or "", ref.install))
    return out


def ignore_patterns(name: str) -> list[str]:
    """What not to download of hub model ``name``: other frameworks' weights, and the
    PyTorch pickles when the repository also has safetensors (transformers loads those;
    the pickles would double the download). Without a listing, only the former."""
    from huggingface_hub import list_repo_files
    from skills.vision import hub_reachable

    if not hub_reachable():  # a listing would retry for ~20 s; the download will say
        return IGNORE_PATTERNS
    try:
        files = list_repo_files(name)
    except Exception:  # noqa: BLE001 - network, auth: snapshot_download will say
        return IGNORE_PATTERNS
    if any(f.endswith(".safetensors") for f in files):
        return IGNORE_PATTERNS + ["pytorch_model*.bin"]
    return IGNORE_PATTERNS


def pull_models(skillset: Skillset) -> list[dict[str, Any]]:
    """Download the missing Hugging Face models; report what else needs installing."""
    from huggingface_hub import snapshot_download

    results = []
    for status in model_status(skillset):
        entry = status.to_dict()
        if status.present:
            entry["action"] = "present"
        elif status.source != "huggingface":
            entry["action"] = f"install it: {status.install}"
        else:
            try:
                entry["where"] = snapshot_download(status.name,
                                                   ignore_patterns=ignore_patterns(status.name))
                entry["action"], entry["present"] = "downloaded", True
            except Exception as exc:  # noqa: BLE001 - network, auth, no such repo
                entry["action"] = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        results.append(entry)
    return results
