"""The package's shape: stages along the data flow, each importing only earlier ones.

Every import of our own modules is read with `ast`, at module level or inside a function
alike; a back-arrow (a module importing one of a later stage) or a cycle among modules
fails with the modules named.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from pdfcheck import REPO

PACKAGE = REPO / "handouts"

#: The stages in data-flow order: a module may import its own stage and earlier ones.
#: References come before the source stage because loading an article validates its
#: citations against its references (an unknown key is a load error with its line), and
#: variants before pdf because the template lays out for a variant (variants import no
#: renderer: they finish bytes).
STAGES = ("errors", "guard", "theme", "project", "references", "source", "markdown",
          "variants", "pdf", "dist", "checks", "batch", "review", "serve", "printing", "cli",
          "__main__")


def _module(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [module] + [f"{module}.{a.name}" for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("handouts.") \
                        and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def test_every_module_belongs_to_a_known_stage():
    unknown = {_stage(_module(p)) for p in PACKAGE.rglob("*.py")} - set(STAGES) - {"__init__"}
    assert not unknown, f"add these to STAGES in data-flow order: {sorted(unknown)}"


def test_no_module_imports_a_later_stage():
    order = {stage: i for i, stage in enumerate(STAGES)}
    back = sorted(f"{a} -> {b}" for a, targets in _imports().items() for b in targets
                  if order.get(_stage(b), -1) > order.get(_stage(a), len(STAGES)))
    assert not back, "imports against the data flow:\n" + "\n".join(back)


def test_no_import_cycle():
    graph = _imports()
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_vulture_finds_no_dead_code():
    """A real dead-code finder, at the confidence where it is rarely wrong."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "vulture", str(PACKAGE), "--min-confidence", "80"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


#: Longer than one reader holds in mind: split along the seams of the data flow.
MODULE_LINES = 500
FUNCTION_LINES = 80
#: Docstring words that give a long function its reason.
REASON = "Long because"


def test_modules_and_functions_stay_readable():
    long_modules, long_functions = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MODULE_LINES:
            long_modules.append(f"{_module(path)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1
                if size > FUNCTION_LINES and REASON not in (ast.get_docstring(node) or ""):
                    long_functions.append(f"{_module(path)}.{node.name}: {size} lines")
    assert not long_modules and not long_functions, "\n".join(long_modules + long_functions)
