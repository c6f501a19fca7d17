"""Each output name (a chart's ``figures/<name>.*`` or a table's ``tables/<name>.csv``) has one
owner notebook (issue 10.5): two notebooks writing the same name would overwrite each other's
file, and which one is published would depend on the order they ran in."""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def output_names(notebook: Path) -> list[tuple[str, str]]:
    """``(kind, name)`` of every ``ctx.show(chart, name)`` / ``ctx.table(df, name)`` call; an
    f-string name is kept as its literal prefix plus ``{…}``."""
    found = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("show", "table")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "ctx"
            ):
                continue
            arg = node.args[1] if len(node.args) > 1 else None
            if arg is None:
                arg = next((k.value for k in node.keywords if k.arg == "name"), None)
            assert arg is not None, f"{notebook.name}: ctx.{node.func.attr} without a name"
            if isinstance(arg, ast.Constant):
                name = str(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                name = "".join(
                    str(v.value) if isinstance(v, ast.Constant) else "{…}" for v in arg.values
                )
            else:
                name = ast.unparse(arg)
            found.append((node.func.attr, name))
    return found


def test_output_names_are_found() -> None:
    names = output_names(ROOT / "notebooks" / "04_briefing.ipynb")
    assert {kind for kind, _ in names} == {"show", "table"}


def test_each_output_name_has_one_owner_notebook() -> None:
    owners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for key in dict.fromkeys(output_names(nb)):
            owners[key].append(nb.stem)
    shared = {f"{kind} {name}": nbs for (kind, name), nbs in owners.items() if len(nbs) > 1}
    assert shared == {}, f"output names written by more than one notebook: {shared}"
