"""Settings, declared once: name, default, help.

Precedence: defaults < config file < environment (``ENRICH_<NAME>``) < CLI flags.
The config file is ``enrich.yaml`` in the working directory, or the file named by
``ENRICH_CONFIG``; its keys are the setting names below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from enrich.errors import ConfigError

__all__ = ["Setting", "SETTINGS", "get_setting", "config_file"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    secret: bool = False  # read from the environment only, never from the config file

    @property
    def env(self) -> str:
        return f"ENRICH_{self.name.upper()}"


SETTINGS = {s.name: s for s in [
    Setting("data", "enrich-data", "Data directory: the SQLite store and the search index."),
    Setting("workers", os.cpu_count() or 1, "Worker processes for cracking and CPU skills "
            "(0 runs everything in this process).", int),
    Setting("batch_size", 16, "Documents per batch handed to the skills.", int),
    Setting("doc_timeout", 300.0, "Seconds per document a batch may take (plus 120 s "
            "for a new worker to load its models); a batch that runs over is retried one "
            "document at a time, and a document that runs over alone is abandoned and "
            "recorded as failed. Not enforced with --workers 0.", float),
    Setting("device", "auto", "Device for the image skills: auto (CUDA when present), cpu, "
            "cuda or cuda:N (without CUDA: the CPU, with a warning), or cuda! / cuda:N! "
            "(without CUDA: the image skills are disabled)."),
    Setting("skillset", None, "Skillset YAML file (default: the built-in skillset)."),
    Setting("index", None, "Search index: none for the embedded one in the data directory, "
            "a folder (a path or file:// URL) for an embedded one elsewhere, "
            "or Elasticsearch as es+https://host:9200/name (credentials from "
            "ENRICH_ES_API_KEY, or ENRICH_ES_USERNAME and ENRICH_ES_PASSWORD)."),
    Setting("engine", "local", "What enriches the batches: local (worker processes on this "
            "machine) or ray (a Ray cluster; see --ray-address)."),
    Setting("ray_address", None, "The Ray cluster for --engine ray (auto, or "
            "ray://head:10001); none starts Ray on this machine."),
    Setting("host", "127.0.0.1", "Address `enrich serve` listens on; anything beyond "
            "loopback needs an API key."),
    Setting("port", 8000, "Port `enrich serve` listens on.", int),
    Setting("api_key", None, "API key `enrich serve` requires of every client (at least 16 "
            "characters); from the environment only (ENRICH_API_KEY), never a file.",
            secret=True),
    Setting("api_keys_file", None, "A file of named API keys with roles for `enrich serve` "
            "(lines 'NAME read|write KEY' or 'NAME ROLE sha256:HEX', or JSON), readable "
            "by its owner only (chmod 600); the write role may make corrections."),
    Setting("cors_origins", None, "Origins allowed to call the HTTP API from a browser "
            "(comma-separated, e.g. https://app.example.org); none by default."),
    Setting("allowed_hosts", None, "Host names `enrich serve` answers to besides loopback "
            "ones (comma-separated; e.g. the name a reverse proxy forwards)."),
]}


def config_file() -> dict[str, Any]:
    """The settings in the config file, if there is one (a :class:`ConfigError` when
    ``ENRICH_CONFIG`` names a missing file, or the file is not a mapping of settings)."""
    path = Path(os.environ.get("ENRICH_CONFIG", "enrich.yaml"))
    if not path.is_file():
        if "ENRICH_CONFIG" in os.environ:
            raise ConfigError(f"ENRICH_CONFIG names {path}, which does not exist")
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a mapping of settings (name: value), not a "
                          f"{type(data).__name__}; known settings: {sorted(SETTINGS)}")
    unknown = set(data) - set(SETTINGS)
    if unknown:
        raise ConfigError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(SETTINGS)}")
    secrets = [SETTINGS[name].env for name in data if SETTINGS[name].secret]
    if secrets:
        raise ConfigError(f"{path} holds a secret; set it in the environment instead "
                          f"({', '.join(secrets)}), where files others read cannot leak it")
    return data


def get_setting(name: str, flag: Any = None) -> Any:
    """The value of a setting: the flag if given, else environment, file, default."""
    setting = SETTINGS[name]
    if flag is not None:
        return flag
    if setting.env in os.environ:
        try:
            return setting.parse(os.environ[setting.env])
        except ValueError as exc:
            raise ConfigError(f"{setting.env}={os.environ[setting.env]!r} is not valid: {exc}")
    from_file = config_file()
    if name not in from_file:
        return setting.default
    value = from_file[name]
    try:
        return setting.parse(str(value)) if isinstance(value, (str, int, float)) else _refuse(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"config file: {name}={value!r} is not valid: {exc}") from None


def _refuse(value: Any) -> Any:
    raise TypeError(f"expected a single value, not a {type(value).__name__}")
