"""An Azure AI Search custom Web API skill definition, read as an enrich skill spec.

A skillset may list a definition exactly as Azure exports it (JSON is YAML)::

    skills:
      - "@odata.type": "#Microsoft.Skills.Custom.WebApiSkill"
        name: words
        context: /document
        uri: https://contoso.azurewebsites.net/api/words
        httpHeaders: {x-functions-key: "${FUNCTION_KEY}"}
        inputs: [{name: text, source: /document/content}]
        outputs: [{name: words, targetName: words}]

It becomes the ``webapi`` skill with the same context, inputs (``name`` ->
``source``), outputs (``name`` -> ``targetName``) and parameters. enrich's own
parameters (``allowed_hosts``, ``max_attempts``, ``backoff``, ``max_backoff``) may
be added beside Azure's. Managed identities (``authResourceId``, ``authIdentity``)
and nested inputs (``sourceContext``, ``inputs`` of an input) are refused with the
reason.
"""

from __future__ import annotations

from typing import Any

from skills.webapi import KNOWN_PARAMS

from enrich.errors import SkillsetError

__all__ = ["ODATA_TYPE", "WEBAPI_TYPE", "from_azure"]

ODATA_TYPE = "@odata.type"
WEBAPI_TYPE = "#Microsoft.Skills.Custom.WebApiSkill"
_UNSUPPORTED = {"authResourceId": "a managed identity", "authIdentity": "a managed identity"}


def from_azure(definition: dict[str, Any]) -> dict[str, Any]:
    """The skill spec (``skill``, ``name``, ``context``, ``inputs``, ``outputs``,
    ``params``) of an Azure custom Web API skill definition."""
    kind = definition.get(ODATA_TYPE)
    label = definition.get("name") or kind
    if kind != WEBAPI_TYPE:
        raise SkillsetError(f"skill {label!r}: only Azure's custom Web API skill "
                            f"({WEBAPI_TYPE}) is read from an Azure definition; for "
                            "another Azure skill use the enrich skill that does its work "
                            "(`enrich skills` lists them)")
    for key, what in _UNSUPPORTED.items():
        if definition.get(key):
            raise SkillsetError(f"skill {label!r}: {key} ({what}) is Azure's own sign-in and "
                                "is not supported; send the function's key in httpHeaders, "
                                "e.g. x-functions-key: ${FUNCTION_KEY}")
    params = {k: v for k, v in definition.items() if k in KNOWN_PARAMS}
    unknown = sorted(set(definition) - KNOWN_PARAMS - set(_UNSUPPORTED)
                     - {ODATA_TYPE, "name", "description", "context", "inputs", "outputs"})
    if unknown:
        raise SkillsetError(f"skill {label!r}: unknown keys {unknown} in the Azure definition")
    spec = {"skill": "webapi", "params": params,
            "inputs": _pairs(label, "inputs", definition.get("inputs"), "source"),
            "outputs": _pairs(label, "outputs", definition.get("outputs"), "targetName")}
    if definition.get("name"):
        spec["name"] = str(definition["name"])
    if definition.get("context"):
        spec["context"] = definition["context"]
    return spec


def _pairs(label: str, kind: str, entries: Any, value_key: str) -> dict[str, str]:
    """``[{name, source}]`` (or ``[{name, targetName}]``) as ``{name: source}``."""
    if not isinstance(entries, list) or not entries:
        raise SkillsetError(f"skill {label!r}: {kind} is a list of "
                            f"{{name, {value_key}}} entries, at least one")
    pairs = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SkillsetError(f"skill {label!r}: each of {kind} needs a name, got {entry!r}")
        extra = sorted(set(entry) - {"name", value_key})
        if extra:
            raise SkillsetError(f"skill {label!r}: {kind} entry {entry['name']!r} has "
                                f"{extra}, which enrich does not support (only name and "
                                f"{value_key})")
        value = entry.get(value_key, entry["name"] if value_key == "targetName" else None)
        if not isinstance(value, str):
            raise SkillsetError(f"skill {label!r}: {kind} entry {entry['name']!r} needs a "
                                f"{value_key}")
        pairs[entry["name"]] = value
    return pairs
