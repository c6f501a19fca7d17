"""The package's layout shows the data flow (issue "The package grouped by stage").

Stages, lowest first: ``core`` (errors, paths, vocabulary, safe writing) → ``undl`` (UN Digital
Library formats and HTTP client) → ``data`` (curated files: read, curate, validate, load) →
``live`` (ingest, fetch, refresh) → ``analysis`` (DESIGN §4 measures) → ``report`` (parameters,
findings, charts, briefing, render) → ``pipeline`` and ``cli`` on top. A module may import its
own stage and the stages below it, never one above — at module level or inside a function.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "unga_brief"
STAGES = ["core", "undl", "data", "live", "analysis", "report"]
TOP = {"pipeline", "notebook_runs", "kernels", "cli"}
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG).with_suffix("")
        out[".".join(("unga_brief", *rel.parts)).removesuffix(".__init__")] = p
    return out


def _stage(module: str) -> int:
    """0..5 for the stage folders, 6 for pipeline/cli, -1 for the package itself."""
    parts = module.split(".")
    if len(parts) == 1:
        return -1
    if parts[1] in STAGES:
        return STAGES.index(parts[1])
    if parts[1] in TOP:
        return len(STAGES)
    raise AssertionError(f"{module}: not in a stage folder nor one of {sorted(TOP)}")


def _imports(path: Path, module: str) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, names) for every import of the package, anywhere in the file."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            if n.level:
                base = package.split(".")
                base = base[: len(base) - (n.level - 1)]
                target = ".".join(base + ([n.module] if n.module else []))
            else:
                target = n.module or ""
            if target.startswith("unga_brief"):
                names = [a.name for a in n.names]
                # "from unga_brief.report import findings" imports a module
                subs = [f"{target}.{a}" for a in names if f"{target}.{a}" in _MODULES]
                out.append((n.lineno, target, names) if not subs else (n.lineno, subs[0], names))
                out.extend((n.lineno, s, []) for s in subs[1:])
        elif isinstance(n, ast.Import):
            out.extend((n.lineno, a.name, []) for a in n.names if a.name.startswith("unga_brief"))
    return out


_MODULES = _modules()


def test_every_module_sits_in_a_stage():
    for module in _MODULES:
        _stage(module)  # raises for a module outside the stage folders


def test_no_stage_imports_a_higher_one():
    wrong = []
    for module, path in _MODULES.items():
        own = _stage(module)
        for line, target, _ in _imports(path, module):
            if _stage(target) > own:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not wrong, "a lower stage imports a higher one:\n" + "\n".join(wrong)


def test_the_direction_check_can_fail(tmp_path):
    """The check above reads function-level imports too: a made-up data module importing the
    report layer inside a function is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from unga_brief.report import findings\n")
    got = [t for _, t, _ in _imports(bad, "unga_brief.data.bad")]
    assert got == ["unga_brief.report.findings"]
    assert _stage(got[0]) > _stage("unga_brief.data.bad")


def test_no_module_is_over_600_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _MODULES.values()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def _python_sources() -> list[tuple[str, str]]:
    out = [(str(p.relative_to(ROOT)), p.read_text()) for p in _MODULES.values()]
    out += [(str(p.relative_to(ROOT)), p.read_text()) for p in (ROOT / "tests").rglob("*.py")]
    out += [(str(p.relative_to(ROOT)), p.read_text()) for p in (ROOT / "bench").rglob("*.py")]
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        out.append((str(nb.relative_to(ROOT)), code))
    return out


def test_no_private_name_is_imported_across_modules():
    """Helpers used by several modules are public in the module that owns them; no module,
    test, benchmark or notebook imports a ``_private`` name of another."""
    wrong = []
    for name, text in _python_sources():
        for n in ast.walk(ast.parse(text)):
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("unga_brief"):
                wrong += [
                    f"{name}:{n.lineno} {n.module}.{a.name}"
                    for a in n.names
                    if a.name.startswith("_") and a.name != "__version__"
                ]
    assert not wrong, "private names imported across modules:\n" + "\n".join(wrong)


@pytest.mark.parametrize("stage", STAGES)
def test_the_readme_maps_every_stage(stage):
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"`(src/unga_brief/)?{stage}/`", readme), (
        f"README's package map lacks {stage}/"
    )
    modules = sorted(p.stem for p in (PKG / stage).glob("*.py") if p.stem != "__init__")
    missing = [m for m in modules if f"`{m}`" not in readme]
    assert not missing, f"README's package map does not name {stage}/{missing}"


def test_every_command_is_registered_in_the_cli_alone():
    from unga_brief.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == {"curate", "validate", "ingest", "fetch", "diff", "params", "run"}
    elsewhere = [
        str(p.relative_to(ROOT))
        for m, p in _MODULES.items()
        if m != "unga_brief.cli" and "add_parser(" in p.read_text()
    ]
    assert not elsewhere, f"sub-commands registered outside cli.py: {elsewhere}"


def test_a_broken_import_fails_the_command_loudly(tmp_path, monkeypatch, capsys):
    """`run` stays listed when the pipeline cannot be imported, and fails naming the cause."""
    import sys

    from unga_brief.cli import main

    monkeypatch.setitem(sys.modules, "unga_brief.pipeline", None)
    code = main(["--root", str(tmp_path), "run"])
    err = capsys.readouterr().err
    assert code != 0
    assert "unga_brief.pipeline" in err, err


@pytest.mark.parametrize("module", sorted(_MODULES))
def test_every_module_imports(module):
    """A name one module takes from another (``from x import y``) still exists there: ruff
    cannot see across modules, so a moved or removed name shows up here, not mid-run."""
    import importlib

    importlib.import_module(module)
