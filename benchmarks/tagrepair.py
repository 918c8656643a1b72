"""The tag repair with pikepdf against the same work with pypdf: ``python3 benchmarks/tagrepair.py``.

The render stage repairs every PDF WeasyPrint writes (`handouts.pdf.fixes.tags`: page
furniture outside the structure tree becomes artifacts, header cells get a scope,
bookmarks lose citation numbers). It does so with pikepdf. This times, each in a fresh
process (a cold build pays the import), for the sample and the fictional article's
PDF as WeasyPrint writes it:

- pikepdf: ``import pikepdf`` and `mark_untagged_as_artifacts`, as the build runs it;
- pypdf: ``import pypdf`` and the same core work written with pypdf (walk the structure
  tree for the marked content it reaches, rewrite each page's content stream with the
  same expression, null the orphans in the parent tree, save). It leaves out the
  bookmarks and table scopes, so it is if anything the lighter of the two.

First call and the median of five more, and the size of the PDF each writes. Nothing is
written outside a temporary folder.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = "recovering-mentally-from-a-miscarriage"

_CHILD = r'''
import io, json, re, sys, time
which, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
start = time.process_time()
if which == "pikepdf":
    import pikepdf  # noqa: F401
    from handouts.pdf.fixes.tags import mark_untagged_as_artifacts as repair
    imported = time.process_time()
    run = lambda: repair(data, None)
else:
    import pypdf
    from pypdf.generic import NullObject
    imported = time.process_time()
    marked = re.compile(rb"/([A-Za-z][\w.]*)\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")

    def run():
        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
        tree = writer._root_object["/StructTreeRoot"].get_object()
        pages = {p.indirect_reference.idnum: i for i, p in enumerate(writer.pages)}
        reached, stack = set(), [(tree.get("/K"), None)]
        while stack:
            kid, page = stack.pop()
            if kid is None:
                continue
            kid = kid.get_object()
            if isinstance(kid, int):
                reached.add((page, int(kid)))
            elif isinstance(kid, list):
                stack.extend((k, page) for k in kid)
            elif isinstance(kid, dict):
                if "/Pg" in kid:
                    page = pages.get(kid.raw_get("/Pg").idnum, page)
                if "/MCID" in kid:
                    reached.add((page, int(kid["/MCID"])))
                elif "/K" in kid:
                    stack.append((kid["/K"], page))
        nums = tree["/ParentTree"].get_object()["/Nums"]
        by_key = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums) - 1, 2)}
        for index, page in enumerate(writer.pages):
            array = by_key.get(int(page.get("/StructParents", -1)))
            if array is None:
                continue
            orphans = {i for i, e in enumerate(array) if (index, i) not in reached
                       and not isinstance(e.get_object(), NullObject)}
            contents = page["/Contents"].get_object()
            contents.set_data(marked.sub(
                lambda m: b"/Artifact <</Type /Pagination>> BDC" if int(m.group(2)) in orphans
                else m.group(0), contents.get_data()))
            for i in orphans:
                array[i] = NullObject()
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
times = []
for _ in range(6):
    t = time.process_time()
    out = run()
    times.append(time.process_time() - t)
print(json.dumps({"import_s": imported - start, "first_s": times[0],
                  "median_s": sorted(times[1:])[2], "bytes_in": len(data), "bytes_out": len(out)}))
'''


def raw_pdfs(folder: Path) -> dict[str, Path]:
    """The sample's and the fictional article's handout as WeasyPrint writes it, before the
    repair (captured from a real build)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    import fictional
    import handouts.pdf.render as render
    from handouts.batch.build import build_one
    from handouts.project.config import load_config

    shutil.copy(ROOT / "handouts.toml", folder / "handouts.toml")
    shutil.copytree(ROOT / "styles", folder / "styles")
    shutil.copytree(ROOT / "source" / SAMPLE, folder / "source" / SAMPLE)
    articles = {"sample": folder / "source" / SAMPLE / "article.md",
                "fictional": fictional.write_article(folder / "source" / fictional.SLUG)}
    captured, real = [], render.repair
    render.repair = lambda data, html: captured.append(data) or real(data, html)
    try:
        out = {}
        for name, md in articles.items():
            result = build_one(load_config(folder), md)
            if not result.ok:
                raise SystemExit(f"benchmark: {md}: {result.error or result.crash}")
            out[name] = folder / f"{name}-raw.pdf"
            out[name].write_bytes(captured[-1])
        return out
    finally:
        render.repair = real


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="handouts-tagrepair-") as tmp:
        pdfs = raw_pdfs(Path(tmp))
        rows = []
        for name, pdf in pdfs.items():
            runs: dict[str, list[dict]] = {"pikepdf": [], "pypdf": []}
            for _ in range(3):  # fresh processes, taking turns
                for which in runs:
                    done = subprocess.run([sys.executable, "-c", _CHILD, which, str(pdf)],
                                          capture_output=True, text=True, check=True,
                                          env={"PYTHONPATH": str(ROOT), "PATH": ""})
                    runs[which].append(json.loads(done.stdout))
            for which, samples in runs.items():
                med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
                rows.append((name, which, med))
    print("tag repair, CPU ms (median of 3 fresh processes): import / first call / later calls; "
          "bytes in -> out")
    for name, which, m in rows:
        print(f"  {name:<10} {which:<8} {m['import_s'] * 1000:6.0f} / {m['first_s'] * 1000:5.0f} / "
              f"{m['median_s'] * 1000:5.0f}   {m['bytes_in']:,.0f} -> {m['bytes_out']:,.0f}")
    return 0


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    sys.exit(main())
