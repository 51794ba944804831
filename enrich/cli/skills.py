"""``enrich skills``: the registered skills and what they read and write."""

from __future__ import annotations

from rich.markup import escape

from enrich.cli.app import app
from enrich.cli.common import JsonOption, console, emit_json
from enrich.errors import UnknownSkillError
from enrich.registry import available_skills, get_skill


@app.command("skills")
def skills_command(json_output: JsonOption = False) -> None:
    """List every registered skill (built-ins and plugins)."""
    rows = []
    for name in available_skills():
        try:
            cls = get_skill(name)
        except UnknownSkillError as exc:
            rows.append({"name": name, "version": None, "context": None, "inputs": {},
                         "outputs": [], "corpus": False, "description": "", "error": str(exc)})
            continue
        rows.append({"name": name, "version": cls.version, "context": cls.context,
                     "inputs": dict(cls.inputs), "outputs": list(cls.outputs),
                     "optional_inputs": sorted(cls.optional_inputs),
                     "corpus": cls.needs_corpus, "description": cls.description
                     or (cls.__doc__ or "").strip().split("\n")[0]})
    if json_output:
        emit_json(rows)
        return
    for row in rows:
        if row.get("error"):
            console.print(f"[bold red]{escape(row['name'])}[/] broken: {escape(row['error'])}",
                          highlight=False)
            continue
        console.print(f"[bold]{escape(row['name'])}[/] v{escape(str(row['version']))}  "
                      f"{escape(row['description'])}", highlight=False)
        inputs = ", ".join(f"{k}={v}" + (" (optional)" if k in row["optional_inputs"] else "")
                           for k, v in row["inputs"].items())
        console.print(escape(f"  context {row['context']}; inputs {inputs}; outputs "
                             f"{', '.join(row['outputs'])}"
                             + ("; corpus-aware" if row["corpus"] else "")), highlight=False)
