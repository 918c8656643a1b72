"""Time the handout build against bare WeasyPrint: ``python benchmarks/run.py``.

For the sample article and a generated fictional one, prints the median time of each
build stage, of the whole in-process build, and of bare WeasyPrint rendering the very
HTML document our template stage produces; then the ratio build / bare and the overhead
in percent (goal: at most 10 %). See benchmarks/README.md for how to read the figures.

Everything is written into a temporary directory; dist/ is never touched.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import platform
import pstats
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
#: The stages in pipeline order; any other stage `JobResult.timings` reports is listed too.
STAGES = ("load", "cite", "markdown", "checks", "template", "render", "finish", "publish")
GOAL_PERCENT = 10.0

# Import cost is measured once, before anything else imports WeasyPrint.
_t = time.perf_counter()
import weasyprint  # noqa: E402
WEASYPRINT_IMPORT = time.perf_counter() - _t

sys.path.insert(0, str(ROOT))
_t = time.perf_counter()
import handouts.batch.build as build_module
import handouts.pdf.render as render_module
from handouts.batch.build import build_one  # noqa: E402
from handouts.dist.publish import output_lock, publish_set  # noqa: E402
from handouts.project.config import load_config  # noqa: E402
HANDOUTS_IMPORT = time.perf_counter() - _t

import pypdf  # noqa: E402

sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # leave no __pycache__ in benchmarks/
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


def build_and_write(config, path: Path, variant: str = "handout"):
    """One article in one `variant` through the build's one path (`build_job`), then its
    files put in place as the publish stage puts them (timed as the "publish" stage)."""
    result = build_one(config, path, variant)
    if result.crash is not None:
        raise SystemExit(f"benchmark: {path}: the build crashed:\n{result.crash.traceback}")
    if result.error is not None:
        raise SystemExit(f"benchmark: {path}: the build failed:\n{result.error}")
    clock = time.perf_counter()
    with output_lock(config.output_dir):
        publish_set([(config.output_dir / f.name, f.data) for f in result.files],
                    within=config.output_dir)
    result.timings["publish"] = time.perf_counter() - clock
    return result


def captured_render_input(config, path: Path) -> dict:
    """Run one build and capture what its render stage handed to WeasyPrint.

    `handouts.batch.build.render_pdf` and `handouts.pdf.render.CSS` are wrapped for this one call,
    so the bare WeasyPrint runs get exactly the HTML document the template stage produced,
    the same base folder, and the same style sheets (files and generated CSS strings, in
    the same order), however the stages and their signatures change.
    """
    calls, sheets = [], []
    original_render, original_css = build_module.render_pdf, render_module.CSS

    def spy_render(html, **kwargs):
        calls.append({"html": html, **kwargs})
        return original_render(html, **kwargs)

    def spy_css(*args, **kwargs):
        if args or not ({"filename", "string"} & set(kwargs)):
            raise SystemExit("benchmark: handouts.pdf.render builds CSS in a way run.py does not know")
        sheets.append({k: kwargs[k] for k in ("filename", "string") if k in kwargs})
        return original_css(**kwargs)

    build_module.render_pdf, render_module.CSS = spy_render, spy_css
    try:
        result = build_and_write(config, path)
    finally:
        build_module.render_pdf, render_module.CSS = original_render, original_css
    if len(calls) != 1 or len(result.files) != 1:
        raise SystemExit(f"benchmark: expected one render and one PDF per build, got "
                         f"{len(calls)} and {len(result.files)}")
    return {"html": calls[0]["html"], "base_dir": calls[0]["base_dir"], "sheets": sheets,
            "pdf": result.files[0].data}


def bare_weasyprint(html: str, folder: Path, sheets: list[dict], variant: str | None,
                    identifier: bool = False):
    """Plain WeasyPrint: default fetcher and font configuration, same document and CSS.

    With `identifier`, also the fixed ``pdf_identifier`` our render stage passes (pydyf
    then re-serializes and re-compresses every object to hash the file for the /ID).
    """
    options = {"pdf_variant": variant} if variant else {}
    if identifier:
        options["pdf_identifier"] = hashlib.sha256(html.encode()).digest()[:16]
    return weasyprint.HTML(string=html, base_url=folder.resolve().as_uri() + "/").write_pdf(
        stylesheets=[weasyprint.CSS(**sheet) for sheet in sheets], **options)


def _stage_order(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)


def pages(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def measure(name: str, path: Path, config, repeat: int, profiler=None) -> dict:
    cold, captured = _timed(lambda: captured_render_input(config, path))
    html, folder, sheets = captured["html"], captured["base_dir"], captured["sheets"]
    runs = {
        "build": lambda: build_and_write(config, path),
        "bare": lambda: bare_weasyprint(html, folder, sheets, None),
        "bare_ua": lambda: bare_weasyprint(html, folder, sheets, "pdf/ua-1"),
        "bare_ua_id": lambda: bare_weasyprint(html, folder, sheets, "pdf/ua-1", identifier=True),
    }
    first = {}
    for key, run in runs.items():  # warm-up (kept in the JSON, not in the medians)
        first[key], value = _timed(run)
        if key == "build":
            out = value.files[0]
            build_pages, build_size = out.pages, len(out.data)
        else:
            first[key + "_pages"], first[key + "_size"] = pages(value), len(value)
            if key == "bare_ua_id":
                identical = value == captured["pdf"]
    samples = {key: [] for key in runs}
    stage_samples: dict[str, list[float]] = {}
    for _ in range(repeat):  # interleaved, so drift affects all variants alike
        for key, run in runs.items():
            seconds, value = _timed(run)
            samples[key].append(seconds)
            if key == "build":
                for stage, seconds_ in value.timings.items():
                    stage_samples.setdefault(stage, []).append(seconds_)
    if profiler:  # separate runs, so profiling does not inflate the timings above
        for _ in range(repeat):
            gc.collect()
            profiler.runcall(runs["build"])
    med = {key: statistics.median(v) for key, v in samples.items()}
    return {
        "name": name,
        "article": str(path),
        "words": fictional.word_count(path),
        "pages": {"build": build_pages, **{k: first[k + "_pages"] for k in runs if k != "build"}},
        "bytes": {"build": build_size, **{k: first[k + "_size"] for k in runs if k != "build"}},
        "html_chars": len(html),
        "stylesheets": [sheet.get("filename") or f"<{len(sheet['string'])} chars of CSS>"
                        for sheet in sheets],
        "bare_ua_id_identical_to_build": identical,
        "first_build_seconds": cold,
        "warmup_seconds": {k: first[k] for k in runs},
        "stages_median": {s: statistics.median(v) for s, v in sorted(
            stage_samples.items(), key=lambda kv: _stage_order(kv[0]))},
        "build_median": med["build"],
        "bare_median": med["bare"],
        "bare_ua_median": med["bare_ua"],
        "bare_ua_id_median": med["bare_ua_id"],
        "ratio": med["build"] / med["bare"],
        "overhead_percent": (med["build"] / med["bare"] - 1) * 100,
        "ratio_ua": med["build"] / med["bare_ua"],
        "overhead_ua_percent": (med["build"] / med["bare_ua"] - 1) * 100,
        "samples": {**samples, "stages": stage_samples},
    }


def measure_variants(path: Path, config, repeat: int) -> dict:
    """Median whole build and finish stage (padding, imposition, marks) per variant."""
    from handouts.variants.kinds import VARIANTS

    out = {}
    for variant in VARIANTS:
        build_and_write(config, path, variant)  # warm-up
        builds, finishes = [], []
        for _ in range(repeat):
            seconds, result = _timed(lambda: build_and_write(config, path, variant))
            builds.append(seconds)
            finishes.append(result.timings.get("finish", 0.0))
        out[variant] = {"build": statistics.median(builds), "finish": statistics.median(finishes)}
    return out


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
    width = max(width, 20)

    def row(label, values):
        return f"{label:<{label_w}}" + "".join(f"{v:>{width + 2}}" for v in values)

    def ms(x):
        return f"{x * 1000:.1f} ms"

    lines.append(row("", names))
    lines.append(row("article (words / pages)", [f"{r['words']} w / {r['pages']['build']} p" for r in results]))
    stages = sorted({s for r in results for s in r["stages_median"]}, key=_stage_order)
    for stage in stages:
        lines.append(row(f"  stage {stage}", [ms(r["stages_median"].get(stage, 0.0)) for r in results]))
    lines.append(row("  all stages but render", [ms(sum(v for k, v in r["stages_median"].items() if k != "render"))
                                                 for r in results]))
    lines.append(row("whole build (build_job + write)", [ms(r["build_median"]) for r in results]))
    lines.append(row("bare WeasyPrint, default", [ms(r["bare_median"]) for r in results]))
    lines.append(row("bare WeasyPrint, pdf/ua-1", [ms(r["bare_ua_median"]) for r in results]))
    lines.append(row("  same + pdf_identifier (as ours)", [ms(r["bare_ua_id_median"]) for r in results]))
    lines.append(row("ratio build / bare", [f"{r['ratio']:.2f}x" for r in results]))
    lines.append(row("overhead vs bare (goal <= 10%)", [f"{r['overhead_percent']:+.1f}%" for r in results]))
    lines.append(row("ratio build / bare same output", [f"{r['build_median'] / r['bare_ua_id_median']:.2f}x"
                                                        for r in results]))
    lines.append(row("ratio build / bare pdf/ua-1", [f"{r['ratio_ua']:.2f}x" for r in results]))
    lines.append(row("overhead vs bare pdf/ua-1", [f"{r['overhead_ua_percent']:+.1f}%" for r in results]))
    lines.append(row("first build in the process", [ms(r["first_build_seconds"]) for r in results]))
    if all("variants" in r for r in results):
        lines.append(row("variants: whole build / finish", []))
        for variant in results[0]["variants"]:
            lines.append(row(f"  {variant}", [
                f"{ms(r['variants'][variant]['build'])} / {ms(r['variants'][variant]['finish'])}"
                for r in results]))
    lines.append("")
    for r in results:
        if not r["bare_ua_id_identical_to_build"]:
            lines.append(f"note: {r['name']}: bare WeasyPrint + pdf_identifier did not give our PDF's bytes")
        if len(set(r["pages"].values())) != 1:
            lines.append(f"note: {r['name']}: page counts differ {r['pages']} (not the same document?)")
    worst = max(r["overhead_percent"] for r in results)
    lines.append(f"verdict: worst overhead vs bare WeasyPrint {worst:+.1f}% "
                 f"({'within' if worst <= GOAL_PERCENT else 'OVER'} the {GOAL_PERCENT:.0f}% goal)")
    return "\n".join(lines)


def print_profile(profiler, lines: int, repeat: int, stream) -> None:
    """Our own functions by cumulative time, then every function by own time."""
    print(f"\ncProfile of {repeat} extra builds per article, after the timings (times inflated by profiling)", file=stream)
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(r"handouts[/\\]", lines)
    stats.sort_stats("tottime").print_stats(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, metavar="N",
                        help="timed repetitions after one warm-up run (default 7)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead")
    parser.add_argument("--profile", type=int, nargs="?", const=25, metavar="LINES",
                        help="afterwards cProfile N more builds of each article and print the top functions "
                             "(default 25 lines; to stderr with --json)")
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
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="handouts-bench-") as tmp:
        # A throw-away copy of the project (articles must lie inside the project they
        # are built in), with the generated article beside the sample.
        tmp = Path(tmp)
        shutil.copy(ROOT / "handouts.toml", tmp / "handouts.toml")
        shutil.copytree(ROOT / "styles", tmp / "styles")
        sample = tmp / "source" / SAMPLE.parent.name / SAMPLE.name
        shutil.copytree(SAMPLE.parent, sample.parent)
        config = load_config(tmp)
        generated = fictional.write_article(tmp / "source" / fictional.SLUG)
        results = [measure("sample", sample, config, args.repeat, profiler),
                   measure("fictional", generated, config, args.repeat, profiler)]
        for result, path in zip(results, (sample, generated)):
            result["variants"] = measure_variants(path, config, args.repeat)
    if args.json:
        json.dump({"meta": meta, "results": results}, sys.stdout, indent=2)
        print()
    else:
        print(table(results, meta))
    if profiler:
        print_profile(profiler, args.profile, args.repeat, sys.stderr if args.json else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
