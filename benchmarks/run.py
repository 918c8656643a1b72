"""Time the handout build against bare WeasyPrint: ``python benchmarks/run.py``.

For the sample article and a generated fictional one, prints the median time of each
build stage, of the whole in-process build, and of bare WeasyPrint rendering the very
HTML document our template stage produces; then the ratio build / bare and the overhead
in percent (goal: at most 10 %). See benchmarks/README.md for how to read the figures.

Everything is written into a temporary directory; dist/ is never touched.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import io
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT / "source" / "recovering-mentally-from-a-miscarriage" / "article.md"
STAGES = ("load", "cite", "markdown", "template", "render", "publish")
GOAL_PERCENT = 10.0

# Import cost is measured once, before anything else imports WeasyPrint.
_t = time.perf_counter()
import weasyprint  # noqa: E402
WEASYPRINT_IMPORT = time.perf_counter() - _t

sys.path.insert(0, str(ROOT))
_t = time.perf_counter()
from handouts import article as load  # noqa: E402
from handouts.body import convert  # noqa: E402
from handouts.build import build_article  # noqa: E402
from handouts.citations import format_bibliography  # noqa: E402
from handouts.config import load_config  # noqa: E402
from handouts.template import Variant, render_html  # noqa: E402
HANDOUTS_IMPORT = time.perf_counter() - _t

import pypdf  # noqa: E402

sys.path.insert(0, str(HERE))
import fictional  # noqa: E402


# ---------------------------------------------------------------------------------------
# Environment

def harfbuzz_subset() -> dict:
    """Is libharfbuzz-subset0 installed, and does WeasyPrint use it for subsetting?"""
    from weasyprint.text import ffi as wffi

    package = None
    if shutil.which("dpkg-query"):
        proc = subprocess.run(["dpkg-query", "-W", "-f=${Status} ${Version}", "libharfbuzz-subset0"],
                              capture_output=True, text=True)
        package = proc.stdout.strip() if proc.returncode == 0 else "not installed"
    loaded = wffi.harfbuzz_subset is not None
    recent = bool(wffi.harfbuzz.hb_version_atleast(4, 1, 0))
    return {"dpkg": package, "loaded_by_weasyprint": loaded,
            "harfbuzz_at_least_4_1": recent,
            "used_for_subsetting": loaded and recent}


# ---------------------------------------------------------------------------------------
# Measurements

def _timed(func):
    gc.collect()
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def template_html(config, path: Path) -> tuple[str, Path, list[Path]]:
    """The HTML document our template stage produces (the stage functions, as build_article)."""
    article = load.load_article(path, config)
    bibliography = format_bibliography(article.references, article.cited, config.csl_style)
    body = convert(article.body, bibliography.numbers, allow_remote_images=config.allow_remote)
    variant = Variant(paper=config.paper)
    html = render_html(article, body, bibliography, variant, config.styles_dir)
    return html, article.folder, [config.styles_dir / s for s in variant.stylesheets]


def bare_weasyprint(html: str, folder: Path, stylesheets: list[Path], variant: str | None):
    """Plain WeasyPrint: default fetcher and font configuration, same document and CSS."""
    options = {"pdf_variant": variant} if variant else {}
    return weasyprint.HTML(string=html, base_url=folder.resolve().as_uri() + "/").write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(p)) for p in stylesheets], **options)


def pages(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def measure(name: str, path: Path, config, repeat: int) -> dict:
    html, folder, sheets = template_html(config, path)
    runs = {
        "build": lambda: build_article(config, path),
        "bare": lambda: bare_weasyprint(html, folder, sheets, None),
        "bare_ua": lambda: bare_weasyprint(html, folder, sheets, "pdf/ua-1"),
    }
    first = {}
    for key, run in runs.items():  # warm-up (its time is reported, not used)
        first[key], value = _timed(run)
        if key == "build":
            if not value.ok:
                raise SystemExit(f"benchmark: {path}: the build failed: {value.error}")
            out = value.outputs[0]
            build_pages, build_size = out.pages, out.size
        else:
            first[key + "_pages"], first[key + "_size"] = pages(value), len(value)
    samples = {key: [] for key in runs}
    stage_samples = {stage: [] for stage in STAGES}
    for _ in range(repeat):  # interleaved, so drift affects all three alike
        for key, run in runs.items():
            seconds, value = _timed(run)
            samples[key].append(seconds)
            if key == "build":
                for stage in STAGES:
                    stage_samples[stage].append(value.timings.get(stage, 0.0))
    med = {key: statistics.median(v) for key, v in samples.items()}
    return {
        "name": name,
        "article": str(path),
        "words": fictional.word_count(path),
        "pages": {"build": build_pages, "bare": first["bare_pages"], "bare_ua": first["bare_ua_pages"]},
        "bytes": {"build": build_size, "bare": first["bare_size"], "bare_ua": first["bare_ua_size"]},
        "html_chars": len(html),
        "warmup_seconds": {k: first[k] for k in runs},
        "stages_median": {s: statistics.median(v) for s, v in stage_samples.items()},
        "build_median": med["build"],
        "bare_median": med["bare"],
        "bare_ua_median": med["bare_ua"],
        "ratio": med["build"] / med["bare"],
        "overhead_percent": (med["build"] / med["bare"] - 1) * 100,
        "ratio_ua": med["build"] / med["bare_ua"],
        "overhead_ua_percent": (med["build"] / med["bare_ua"] - 1) * 100,
        "samples": {**samples, "stages": stage_samples},
    }


# ---------------------------------------------------------------------------------------
# Report

def table(results: list[dict], meta: dict) -> str:
    hb = meta["harfbuzz_subset"]
    lines = [
        f"handouts benchmark: WeasyPrint {meta['weasyprint']}, Python {meta['python']}, "
        f"median of {meta['repeat']} runs after 1 warm-up",
        f"import weasyprint: {meta['import_weasyprint_s'] * 1000:.0f} ms (paid once, in no figure below); "
        f"import handouts: {meta['import_handouts_s'] * 1000:.0f} ms",
        f"libharfbuzz-subset0: {hb['dpkg'] or 'dpkg unavailable'}; loaded by WeasyPrint: "
        f"{'yes' if hb['loaded_by_weasyprint'] else 'NO'}; "
        + ("subsetting with HarfBuzz" if hb["used_for_subsetting"]
           else "WARNING: subsetting falls back to fontTools (~2.8x slower PDF writing)"),
        "",
    ]
    names = [r["name"] for r in results]
    width = max(12, *(len(n) for n in names))
    label_w = 34

    def row(label, values):
        return f"{label:<{label_w}}" + "".join(f"{v:>{width + 2}}" for v in values)

    def ms(x):
        return f"{x * 1000:.1f} ms"

    lines.append(row("", names))
    lines.append(row("article (words / pages)", [f"{r['words']} w / {r['pages']['build']} p" for r in results]))
    for stage in STAGES:
        lines.append(row(f"  stage {stage}", [ms(r["stages_median"][stage]) for r in results]))
    lines.append(row("whole build (build_article)", [ms(r["build_median"]) for r in results]))
    lines.append(row("bare WeasyPrint, default", [ms(r["bare_median"]) for r in results]))
    lines.append(row("bare WeasyPrint, pdf/ua-1", [ms(r["bare_ua_median"]) for r in results]))
    lines.append(row("ratio build / bare", [f"{r['ratio']:.2f}x" for r in results]))
    lines.append(row("overhead vs bare (goal <= 10%)", [f"{r['overhead_percent']:+.1f}%" for r in results]))
    lines.append(row("ratio build / bare pdf/ua-1", [f"{r['ratio_ua']:.2f}x" for r in results]))
    lines.append(row("overhead vs bare pdf/ua-1", [f"{r['overhead_ua_percent']:+.1f}%" for r in results]))
    lines.append(row("first (warm-up) build", [ms(r["warmup_seconds"]["build"]) for r in results]))
    lines.append("")
    for r in results:
        if len(set(r["pages"].values())) != 1:
            lines.append(f"note: {r['name']}: page counts differ {r['pages']} (not the same document?)")
    worst = max(r["overhead_percent"] for r in results)
    lines.append(f"verdict: worst overhead vs bare WeasyPrint {worst:+.1f}% "
                 f"({'within' if worst <= GOAL_PERCENT else 'OVER'} the {GOAL_PERCENT:.0f}% goal)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, metavar="N",
                        help="timed repetitions after one warm-up run (default 7)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    meta = {
        "weasyprint": weasyprint.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "repeat": args.repeat,
        "import_weasyprint_s": WEASYPRINT_IMPORT,
        "import_handouts_s": HANDOUTS_IMPORT,
        "harfbuzz_subset": harfbuzz_subset(),
        "goal_percent": GOAL_PERCENT,
    }
    with tempfile.TemporaryDirectory(prefix="handouts-bench-") as tmp:
        tmp = Path(tmp)
        config = dataclasses.replace(load_config(ROOT), output_dir=tmp / "dist")
        generated = fictional.write_article(tmp / "source" / fictional.SLUG)
        results = [measure("sample", SAMPLE, config, args.repeat),
                   measure("fictional", generated, config, args.repeat)]
    if args.json:
        json.dump({"meta": meta, "results": results}, sys.stdout, indent=2)
        print()
    else:
        print(table(results, meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
