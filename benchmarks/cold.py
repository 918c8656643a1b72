"""Where a cold build's time goes: ``python3 benchmarks/cold.py``.

A cold build is what a user waits for after ``handouts build --force`` on a fresh
``dist/``: a new Python process that imports the engine, builds one article's handout
and publishes it with the download site. For the sample article and a ~1,500-word
fictional one (benchmarks/fictional.py), each in its own temporary project, this runs,
taking turns so that a busy machine slows all of them alike:

- our cold build, a whole fresh process (``build_pdf.py --root P --force -q``);
- pandoc -> WeasyPrint for the same article (``pandoc --citeproc`` then ``weasyprint``);
- our cold build again, with the time split into exclusive parts (below), all of it in
  one process (the plain runs lay the article out in a child process started at once,
  handouts/batch/renderer.py, so that WeasyPrint's import overlaps the preparation).

The split wraps ``import`` and the pipeline's stage functions in the child process and
charges its CPU time (so that other processes' load does not count) to the innermost one
running: "import X" is the time spent
executing the modules of package X (wherever the import happens, lazily or not),
"render" is WeasyPrint's layout and PDF writing without the imports it triggers, and so
on; what no part claims (argument parsing, configuration, planning, the manifest) is
"other". "subprocesses" is the CPU time of the processes the build started (on Linux,
``ctypes.util.find_library`` runs ldconfig, gcc and ld for each library name WeasyPrint's
import tries); Python's own start-up and exit is the rest of the process's CPU time. The wrappers cost a few milliseconds; the plain runs are the figure.

Medians of ``--repeat`` runs (default 5). ``--json`` prints the raw figures.
"""

from __future__ import annotations

import argparse
import builtins
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = "recovering-mentally-from-a-miscarriage"
PY = sys.executable
#: Processes run the engine snapshot (see `snapshot`) with its bytecode compiled, as pip
#: installs a package; nothing they import writes bytecode anywhere.
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

#: (module, attribute or Class.method) -> part. Stage functions of the pipeline; a name
#: that does not exist (the code moved) is reported, not silently left out.
PARTS = {
    ("handouts.source.article", "load_article"): "load",
    ("handouts.dist.editions", "review_status"): "load",
    ("handouts.checks", "for_build"): "checks",
    ("handouts.checks.images", "missing_alt"): "checks",
    ("handouts.references.bibliography", "format_bibliography"): "cite",
    ("handouts.markdown.body", "convert"): "markdown",
    ("handouts.pdf.template", "render_document"): "template",
    ("handouts.pdf.render", "render_pdf"): "render",
    ("handouts.pdf.render", "LaidOutPDF._written"): "render",  # the PDF written when first read
    ("handouts.pdf.fixes.tags", "repair_objects"): "tag repair",
    ("handouts.pdf.fixes.textlayer", "repair_sara_am"): "text layer",
    ("handouts.variants.kinds", "Variant.finish"): "finish",
    ("handouts.variants.kinds", "Booklet.finish"): "finish",
    ("handouts.variants.kinds", "Press.finish"): "finish",
    ("handouts.batch.fingerprint", "inputs_sha256"): "inputs hash",
    ("handouts.batch.publishing", "publish_article_set"): "publish",
    ("handouts.dist.manifest", "write_manifest"): "publish",
    ("handouts.batch.publishing", "publish_site"): "site",
    ("handouts.batch.build", "_thumbnail"): "site",  # the site's thumbnail, made by the build
}

#: Packages whose import is shown on its own row; the rest are "import (other)".
SHOWN_IMPORTS = ("weasyprint", "fontTools", "cffi", "pycparser", "pydyf", "tinycss2",
                 "cssselect2", "html5lib", "pikepdf", "pypdfium2", "PIL", "pypdf", "citeproc",
                 "lxml", "markdown", "pygments", "jinja2", "yaml", "babel", "nh3", "pyphen",
                 "handouts")


# ---------------------------------------------------------------------------------------
# The child: one cold build with every moment charged to a part


class Tally:
    """Exclusive CPU time per part (this process's, so another process's load does not
    count): the innermost part running is charged."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.stack = ["other"]
        self.last = time.process_time()

    def enter(self, part: str) -> None:
        now = time.process_time()
        top = self.stack[-1]
        self.seconds[top] = self.seconds.get(top, 0.0) + now - self.last
        self.stack.append(part)
        self.last = now

    def leave(self) -> None:
        now = time.process_time()
        top = self.stack.pop()
        self.seconds[top] = self.seconds.get(top, 0.0) + now - self.last
        self.last = now


def _wrap(tally: Tally, func, part: str):
    def timed(*args, **kwargs):
        tally.enter(part)
        try:
            return func(*args, **kwargs)
        finally:
            tally.leave()

    timed.__wrapped__ = func
    return timed


def instrument(tally: Tally) -> list:
    """Wrap ``import`` (charged to the imported package) and, as each module of `PARTS`
    finishes loading, its stage functions. Returns the list of targets not (yet) found."""
    pending = dict(PARTS)
    real_import = builtins.__import__

    def patch_loaded():
        for (module, attr), part in list(pending.items()):
            mod = sys.modules.get(module)
            owner_name, _, name = attr.rpartition(".")
            owner = getattr(mod, owner_name, None) if owner_name else mod
            if owner is None or name not in getattr(owner, "__dict__", {}):
                continue
            value = owner.__dict__[name]
            if isinstance(value, functools.cached_property):  # a PDF written when first read
                value = functools.cached_property(_wrap(tally, value.func, part))
                value.__set_name__(owner, name)
            else:
                value = _wrap(tally, value, part)
            setattr(owner, name, value)
            del pending[(module, attr)]

    def timed_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name in sys.modules and not fromlist:
            return real_import(name, globals, locals, fromlist, level)
        package = ((globals or {}).get("__package__") or "") if level else name
        tally.enter("import " + (package.partition(".")[0] or name))
        try:
            return real_import(name, globals, locals, fromlist, level)
        finally:
            tally.leave()
            if pending:
                patch_loaded()

    builtins.__import__ = timed_import
    return pending


def child(root: Path, out: Path) -> None:
    tally = Tally()
    started = tally.last
    missing = instrument(tally)
    import atexit
    import gc

    from handouts.cli import main

    # All in this process, to be split: the command line given as a list is not the
    # process's one command, so the layout is not sent to a child (batch/renderer.py);
    # the exit is kept as light as the command line's own.
    atexit.register(gc.freeze)
    code = main(["--root", str(root), "--force", "-q"])
    tally.leave()  # the base "other"
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out.write_text(json.dumps({"code": code, "in_process_cpu_s": time.process_time() - started,
                               "children_cpu_s": children.ru_utime + children.ru_stime,
                               "parts": tally.seconds,
                               "not_found": [f"{m}.{a}" for m, a in missing]}))


# ---------------------------------------------------------------------------------------
# The parent


def make_project(folder: Path, article: str) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "handouts.toml", folder / "handouts.toml")
    shutil.copytree(ROOT / "styles", folder / "styles")
    if article == "sample":
        shutil.copytree(ROOT / "source" / SAMPLE, folder / "source" / SAMPLE)
        return folder / "source" / SAMPLE / "article.md"
    sys.path.insert(0, str(HERE))
    import fictional

    return fictional.write_article(folder / "source" / fictional.SLUG)


def snapshot(checkout: Path, folder: Path) -> Path:
    """A copy of `checkout`'s engine (``handouts/``, ``build_pdf.py``) with its bytecode
    compiled: editing the working tree during the run changes nothing, and the modules
    load as an installed package's do (without compiling them on every start)."""
    shutil.copytree(checkout / "handouts", folder / "handouts",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(checkout / "build_pdf.py", folder / "build_pdf.py")
    subprocess.run([PY, "-m", "compileall", "-q", str(folder / "handouts")], check=True,
                   env={**ENV, "PYTHONDONTWRITEBYTECODE": ""})
    return folder


def cpu() -> float:
    """User + system CPU seconds of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ours(engine: Path, project: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one cold build."""
    shutil.rmtree(project / "dist", ignore_errors=True)
    start, cpu0 = time.perf_counter(), cpu()
    subprocess.run([PY, str(engine / "build_pdf.py"), "--root", str(project), "--force", "-q"],
                   check=True, env={**ENV, "PYTHONPATH": str(engine)}, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, cpu() - cpu0


def ours_split(engine: Path, project: Path, scratch: Path) -> dict:
    shutil.rmtree(project / "dist", ignore_errors=True)
    out = scratch / "split.json"
    start, cpu0 = time.perf_counter(), cpu()
    subprocess.run([PY, str(Path(__file__).resolve()), "--child", str(project), "--out", str(out)],
                   check=True, env={**ENV, "PYTHONPATH": str(engine)}, stderr=subprocess.DEVNULL)
    wall, used = time.perf_counter() - start, cpu() - cpu0
    figures = json.loads(out.read_text())
    if figures["code"] not in (0,):
        raise SystemExit(f"benchmarks/cold.py: the build of {project} exited {figures['code']}")
    # Processes the build started: on Linux, ctypes.util.find_library runs ldconfig, gcc
    # and ld for each name WeasyPrint's import tries for its libraries.
    figures["parts"]["subprocesses"] = figures["children_cpu_s"]
    figures["parts"]["Python start-up and exit"] = (used - figures["in_process_cpu_s"]
                                                    - figures["children_cpu_s"])
    figures["wall_s"], figures["cpu_s"] = wall, used
    return figures


def pandoc(article_md: Path, out: Path) -> tuple[float, float]:
    """pandoc (with citeproc) to standalone HTML, then the weasyprint command: (wall, CPU)."""
    html, pdf = out.with_suffix(".html"), out.with_suffix(".pdf")
    start, cpu0 = time.perf_counter(), cpu()
    cmd = ["pandoc", str(article_md), "-s", "-o", str(html)]
    refs = article_md.parent / "references.yaml"
    if refs.exists():
        cmd[2:2] = ["--citeproc", "--bibliography", str(refs)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=article_md.parent)
    subprocess.run([PY, "-m", "weasyprint", str(html), str(pdf)], check=True,
                   capture_output=True, cwd=article_md.parent, env=ENV)
    return time.perf_counter() - start, cpu() - cpu0


def measure(name: str, tmp: Path, repeat: int, engines: dict[str, Path]) -> dict:
    """Medians of each engine's cold build (plain, and split into parts) and of pandoc ->
    WeasyPrint on the article `name`, taking turns."""
    project = tmp / name
    article = make_project(project, name)
    scratch = tmp / f"{name}-scratch"
    scratch.mkdir()
    runs: dict[str, list] = {"pandoc": []}
    for i in range(repeat):  # taking turns
        runs["pandoc"].append(pandoc(article, scratch / f"pandoc-{i}"))
        for label, engine in engines.items():
            runs.setdefault(label, []).append(ours(engine, project))
            runs.setdefault(label + " split", []).append(ours_split(engine, project, scratch))

    def med(key, i):
        return statistics.median(run[i] for run in runs[key])

    out = {"name": name, "pandoc_s": med("pandoc", 0), "pandoc_cpu_s": med("pandoc", 1),
           "engines": {}, "samples": runs}
    for label in engines:
        splits = runs[label + " split"]
        parts = {p for s in splits for p in s["parts"]}
        out["engines"][label] = {
            "wall_s": med(label, 0), "cpu_s": med(label, 1),
            "split_cpu_s": statistics.median(s["cpu_s"] for s in splits),
            "parts": {p: statistics.median(s["parts"].get(p, 0.0) for s in splits)
                      for p in parts},
            "not_found": sorted({n for s in splits for n in s["not_found"]})}
    return out


def grouped(parts: dict[str, float]) -> list[tuple[str, float]]:
    """The table's rows: imports (each shown package, then the rest), then the stages."""
    imports = {p[7:]: s for p, s in parts.items() if p.startswith("import ")}
    rows = [(f"import {p}", imports.pop(p)) for p in SHOWN_IMPORTS if imports.get(p, 0) >= 0.005]
    rest = sum(imports.values())
    rows.sort(key=lambda r: -r[1])
    rows.append(("import (other packages)", rest))
    stages = ("Python start-up and exit", "subprocesses", "load", "checks", "cite", "markdown", "template",
              "render", "tag repair", "text layer", "finish", "inputs hash", "publish", "site",
              "other")
    rows += [(s, parts.get(s, 0.0)) for s in stages]
    return rows


def table(results: list[dict], meta: dict) -> str:
    columns = [(r, label, e) for r in results for label, e in r["engines"].items()]
    width = max(14, *(len(f"{r['name']} {label}") + 2 for r, label, _ in columns))
    lines = [f"cold build, whole process, fresh dist/: median of {meta['repeat']} runs, taking "
             f"turns; {meta['cores']} cores, load {meta['load_before'][0]:.2f} before / "
             f"{meta['load_after'][0]:.2f} after"]
    if meta.get("baseline"):
        lines.append(f"before: {meta['baseline']}; after: {meta['engine']}")
    lines.append("")

    def row(label, values):
        lines.append(f"{label:<34}" + "".join(f"{v:>{width}}" for v in values))

    row("", [f"{r['name']} {label}" if len(r["engines"]) > 1 else r["name"]
             for r, label, _ in columns])
    row("ours, wall s / CPU s", [f"{e['wall_s']:.2f} / {e['cpu_s']:.2f}" for _, _, e in columns])
    row("pandoc -> WeasyPrint", [f"{r['pandoc_s']:.2f} / {r['pandoc_cpu_s']:.2f}"
                                 for r, _, _ in columns])
    row("ours / pandoc (goal <= 1.0x)", [f"{e['wall_s'] / r['pandoc_s']:.2f}x / "
                                         f"{e['cpu_s'] / r['pandoc_cpu_s']:.2f}x"
                                         for r, _, e in columns])
    used = " / ".join(f"{e['split_cpu_s']:.2f}" for _, _, e in columns)
    lines += ["", f"where the CPU time goes, ms (the runs with the split used {used} s):"]
    values = [dict(grouped(e["parts"])) for _, _, e in columns]
    labels = list(dict.fromkeys(label for v in values for label in v))
    imports = sorted((label for label in labels if label.startswith("import ")
                      and label != "import (other packages)"),
                     key=lambda label: -max(v.get(label, 0.0) for v in values))
    labels = imports + [label for label in labels if label not in imports]
    row("all imports", [f"{sum(v for k, v in e['parts'].items() if k.startswith('import ')) * 1000:.0f}"
                        for _, _, e in columns])
    for label in labels:
        row(f"  {label}" if label.startswith("import") else label,
            [f"{v.get(label, 0.0) * 1000:.0f}" for v in values])
    for r, label, e in columns:
        if e["not_found"]:
            lines.append(f"note: {r['name']} {label}: not found, so not split out: "
                         f"{', '.join(e['not_found'])}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="benchmarks/cold.py", description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=5, help="runs of each, median (5)")
    p.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                   help="also time (and split) another checkout's engine in the same turns, "
                        "shown as 'before' (e.g. `git worktree add /tmp/base main`)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.out)
        return 0
    meta = {"repeat": args.repeat, "cores": os.cpu_count(), "load_before": os.getloadavg(),
            "engine": str(ROOT), "baseline": str(args.baseline) if args.baseline else None}
    with tempfile.TemporaryDirectory(prefix="handouts-cold-") as tmp:
        tmp = Path(tmp)
        engines = {"after": snapshot(ROOT, tmp / "engine")}
        if args.baseline:
            engines = {"before": snapshot(args.baseline.resolve(), tmp / "baseline"), **engines}
        results = [measure(name, tmp, args.repeat, engines) for name in ("sample", "fictional")]
    meta["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps({"meta": meta, "results": results}, indent=2))
    else:
        print(table(results, meta))
    return 0


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    sys.exit(main())
