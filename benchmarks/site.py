"""The download site at a publisher's scale: ``python3 benchmarks/site.py``.

Generates N (default 1,000) fictional articles in a temporary project: English originals
(~1,500 words each, benchmarks/fictional.py) and, for the first fifth of them, a
translation into each of Vietnamese, Thai, Indonesian, Malay and Filipino
(``translation_of``; short generated texts, clearly fictional). Then it measures:

- the batch build without the site. The PDFs come from the fast test builder
  (tests/fakebuild.py: `build_job` itself, every stage real except WeasyPrint's layout,
  whose place a small PDF of the document's text takes, so the manifest and each web
  version are real): this
  benchmark is about the site, and 1,000 real renders would take most of an hour here;
- the whole site from scratch (`handouts.dist.site.publish_site`): every page, the
  thumbnails, the index pages, the Pagefind index;
- an incremental build after one translation changed (the editor's workflow: new text,
  sign-off, next edition), and a site run with nothing changed;
- the site's size: its pages, and the Pagefind bundle (all of it, and what one search
  downloads);
- search latency in headless Chromium (Debian's, driven by Playwright): Pagefind's own
  ``search()`` plus the data of the first 10 results, cold (first query: WebAssembly and
  index loaded) and warm (median of the next queries); and a query typed into the index
  page's box until the results are shown (includes the box's 150 ms debounce).

Nothing is written outside the temporary folder. ``--json`` prints the raw figures.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE), str(ROOT / "tests")]
sys.dont_write_bytecode = True
import fictional  # noqa: E402

#: Fictional sentences per language (none of it is medical advice).
SENTENCES = {
    "vi": ["Bài viết này là hư cấu và chỉ dùng để đo tốc độ.",
           "Người đọc mẫu ghi lại một thói quen đơn giản mỗi ngày.",
           "Phòng khám giả định nhắc uống đủ nước.",
           "Gia đình ví dụ đi bộ ngắn sau bữa tối.",
           "Y tá hư cấu trả lời các câu hỏi bằng lời dễ hiểu.",
           "Không có nội dung nào ở đây là lời khuyên y khoa."],
    "th": ["บทความนี้เป็นเรื่องสมมติและใช้สำหรับวัดความเร็วเท่านั้น",
           "ผู้อ่านตัวอย่างจดกิจวัตรง่าย ๆ ทุกวัน",
           "คลินิกสมมติแนะนำให้ดื่มน้ำให้เพียงพอ",
           "ครอบครัวตัวอย่างเดินเล่นสั้น ๆ หลังอาหารเย็น",
           "พยาบาลสมมติตอบคำถามด้วยภาษาที่เข้าใจง่าย",
           "ไม่มีเนื้อหาใดในที่นี้เป็นคำแนะนำทางการแพทย์"],
    "id": ["Artikel ini fiktif dan hanya dipakai untuk mengukur kecepatan.",
           "Pembaca contoh mencatat kebiasaan sederhana setiap hari.",
           "Klinik rekaan mengingatkan untuk minum cukup air.",
           "Keluarga contoh berjalan sebentar setelah makan malam.",
           "Perawat fiktif menjawab pertanyaan dengan kata-kata sederhana.",
           "Tidak ada isi di sini yang merupakan nasihat medis."],
    "ms": ["Artikel ini rekaan dan hanya digunakan untuk mengukur kelajuan.",
           "Pembaca contoh mencatat rutin mudah setiap hari.",
           "Klinik rekaan mengingatkan supaya minum air secukupnya.",
           "Keluarga contoh berjalan sebentar selepas makan malam.",
           "Jururawat rekaan menjawab soalan dengan perkataan mudah.",
           "Tiada kandungan di sini yang merupakan nasihat perubatan."],
    "fil": ["Kathang-isip ang artikulong ito at ginagamit lamang sa pagsukat ng bilis.",
            "Nagtatala ang halimbawang mambabasa ng simpleng gawain araw-araw.",
            "Pinapaalala ng kathang-isip na klinika na uminom ng sapat na tubig.",
            "Naglalakad sandali ang halimbawang pamilya pagkatapos maghapunan.",
            "Sumasagot ang kathang-isip na nars sa mga tanong sa simpleng salita.",
            "Walang anumang nilalaman dito na payong medikal."],
}
TITLES = {"vi": "Bài viết hư cấu số {n}", "th": "บทความสมมติหมายเลข {n}",
          "id": "Artikel fiktif nomor {n}", "ms": "Artikel rekaan nombor {n}",
          "fil": "Kathang-isip na artikulo blg. {n}"}
TOML = """publisher = "Example Publisher"
paper = "a4"

[disclaimer]
en = "This fictional article does not provide medical advice, diagnosis or treatment."
vi = "Bài viết hư cấu này không đưa ra lời khuyên y khoa."
th = "บทความสมมตินี้ไม่ได้ให้คำแนะนำทางการแพทย์"
id = "Artikel fiktif ini tidak memberikan nasihat medis."
ms = "Artikel rekaan ini tidak memberikan nasihat perubatan."
fil = "Ang kathang-isip na artikulong ito ay hindi nagbibigay ng payong medikal."
"""


def translation(lang: str, n: int, original: str) -> str:
    rng = random.Random(f"{lang}-{n}")
    paragraphs = [" ".join(rng.choice(SENTENCES[lang]) for _ in range(5)) for _ in range(12)]
    body = [paragraphs[0] + " [@example2019]"]
    for i, text in enumerate(paragraphs[1:], 1):
        body += ([f"## {rng.choice(SENTENCES[lang]).rstrip('.')}"] if i % 4 == 1 else []) + [text]
    front = (fictional.FRONT_MATTER.replace("title: A Fictional Article for Benchmarks",
                                            "title: " + TITLES[lang].format(n=n))
             .replace("lang: en", f"lang: {lang}\ntranslation_of: {original}")
             .replace("disclaimer: This fictional article does not provide medical advice, "
                      "diagnosis or treatment.\n", ""))
    return front + "\n\n".join(body) + "\n"


def make_project(folder: Path, count: int) -> Path:
    """`count` articles: English originals and, for the first of them, five translations."""
    (folder / "source").mkdir(parents=True)
    (folder / "handouts.toml").write_text(TOML, encoding="utf-8")
    shutil.copytree(ROOT / "styles", folder / "styles")
    translated = count // 10  # 5 languages x count/10 = half the articles
    originals = count - 5 * translated
    refs = fictional.references_yaml()
    for n in range(1, originals + 1):
        slug = f"fictional-{n:04d}"
        article = folder / "source" / slug
        article.mkdir()
        (article / "references.yaml").write_text(refs, encoding="utf-8")
        front = fictional.FRONT_MATTER.replace("title: A Fictional Article for Benchmarks",
                                               f"title: A Fictional Article for Benchmarks, No. {n}")
        (article / "article.md").write_text(front + fictional.article_markdown(seed=n), encoding="utf-8")
        if n <= translated:
            for lang in SENTENCES:
                other = folder / "source" / f"{lang}-fictional-{n:04d}"
                other.mkdir()
                (other / "references.yaml").write_text(refs, encoding="utf-8")
                (other / "article.md").write_text(translation(lang, n, slug), encoding="utf-8")
    return folder


def _bytes(paths) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def sizes(dist: Path) -> dict:
    pages = list(dist.glob("*.html")) + list(dist.glob("*/index.html"))
    bundle = list((dist / "pagefind").rglob("*"))
    return {"pages": len(pages), "pages_bytes": _bytes(pages),
            "thumbnails_bytes": _bytes(dist.glob("*/thumb.png")),
            "web_json_bytes": _bytes(dist.glob("*/web.json")),
            "site_assets_bytes": _bytes([dist / "site.css", dist / "search.js"]),
            "sitemap_bytes": _bytes([dist / "sitemap.xml"]),
            "pagefind_files": len([p for p in bundle if p.is_file()]), "pagefind_bytes": _bytes(bundle)}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def search_latency(dist: Path, queries: list[str]) -> dict:
    """Pagefind in headless Chromium: API search + first 10 results' data, cold and warm;
    and a query typed into the index page's box until its results are shown."""
    from playwright import sync_api

    handler = functools.partial(_Quiet, directory=str(dist))
    fetched: list[int] = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}/"
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.on("response", lambda r: fetched.append(int(r.headers.get("content-length") or 0))
                    if "/pagefind/" in r.url else None)
            page.goto(base + "index.html")
            timings = page.evaluate("""async (queries) => {
                const pf = await import('./pagefind/pagefind.js');
                const out = [];
                for (const q of queries) {
                    const t = performance.now();
                    const search = await pf.search(q);
                    await Promise.all(search.results.slice(0, 10).map(r => r.data()));
                    out.push([performance.now() - t, search.results.length]);
                }
                return out;
            }""", queries)
            downloaded = sum(fetched)
            page.close()
            typed = []
            for query in queries[:5]:
                page = browser.new_page()
                page.goto(base + "index.html")
                page.wait_for_selector("#search-input")
                start = time.perf_counter()
                page.fill("#search-input", query)
                page.wait_for_function("() => /found|matches/.test(document.getElementById("
                                       "'search-status').textContent)")
                typed.append((time.perf_counter() - start) * 1000)
                page.close()
            browser.close()
    finally:
        httpd.shutdown()
    return {"cold_ms": timings[0][0], "warm_ms_median": statistics.median(t for t, _ in timings[1:]),
            "results": {q: n for q, (_, n) in zip(queries, timings)},
            "typed_to_results_ms_median": statistics.median(typed),
            "bytes_fetched_for_the_queries": downloaded}


def measure(count: int, workers: int) -> dict:
    from handouts.batch.report import BatchOptions
    from handouts.batch.run import run
    from handouts.dist.manifest import read_manifest
    from handouts.dist.site import publish_site
    from handouts.project.config import load_config
    from quickbuild import quick_build, sign_new_edition

    figures: dict = {"articles": count, "workers": workers}
    with tempfile.TemporaryDirectory(prefix="handouts-site-bench-") as tmp:
        root = make_project(Path(tmp) / "project", count)
        config = load_config(root)
        t = time.perf_counter()
        report = run(config, [], BatchOptions(jobs=workers, site=False), builder=quick_build)
        figures["build_without_site_s"] = time.perf_counter() - t
        assert not report.failed, [str(p) for f in report.failed for p in f.problems][:5]
        t = time.perf_counter()
        done = publish_site(config.output_dir, config.theme, read_manifest(config.output_dir), config.paper)
        figures["site_from_scratch_s"] = time.perf_counter() - t
        figures["site_from_scratch"] = {"written": done.written, "indexed": done.indexed,
                                        "index_s": done.index_seconds}
        figures |= sizes(config.output_dir)
        sign_new_edition(root, "vi-fictional-0001", "Bài viết này là hư cấu", "Bài viết này vẫn là hư cấu")
        t = time.perf_counter()
        report = run(load_config(root), [], BatchOptions(jobs=1), builder=quick_build)
        figures["incremental_one_changed_s"] = time.perf_counter() - t
        assert len(report.built) == 1 and not report.failed
        figures["load_average_1min"] = os.getloadavg()[0]
        t = time.perf_counter()
        done = publish_site(config.output_dir, config.theme, read_manifest(config.output_dir), config.paper)
        figures["site_nothing_changed_s"] = time.perf_counter() - t
        figures["site_nothing_changed"] = {"written": done.written, "indexed": done.indexed}
        figures["search"] = search_latency(config.output_dir, ["placeholder", "routine", "nước",
                                                               "kebiasaan", "pamilya", "walk", "notebook"])
    return figures


def table(f: dict) -> str:
    s = f["search"]
    rows = [
        ("articles (originals + translations in 5 languages)", f"{f['articles']}"),
        ("load average (1 min) during the run", f"{f['load_average_1min']:.1f} on {os.cpu_count()} cores"),
        ("batch build, no site (quick builder, %d workers)" % f["workers"], f"{f['build_without_site_s']:.1f} s"),
        ("site from scratch: pages, thumbnails, index, Pagefind", f"{f['site_from_scratch_s']:.1f} s"
         f" ({f['site_from_scratch']['written']} files written; Pagefind "
         f"{f['site_from_scratch']['indexed']} pages in {f['site_from_scratch']['index_s']:.1f} s)"),
        ("incremental: one translation changed (build + site)", f"{f['incremental_one_changed_s']:.1f} s"),
        ("site with nothing changed", f"{f['site_nothing_changed_s']:.1f} s ({f['site_nothing_changed']['written']}"
         f" written, {f['site_nothing_changed']['indexed']} indexed)"),
        ("pages (index pages + handout pages)", f"{f['pages']}, {f['pages_bytes'] / 2**20:.1f} MiB"),
        ("thumbnails / web.json", f"{f['thumbnails_bytes'] / 2**20:.1f} MiB / {f['web_json_bytes'] / 2**20:.1f} MiB"),
        ("Pagefind bundle", f"{f['pagefind_files']} files, {f['pagefind_bytes'] / 2**20:.1f} MiB"),
        ("search, first query (loads WebAssembly + index)", f"{s['cold_ms']:.0f} ms"),
        ("search, next queries (median)", f"{s['warm_ms_median']:.0f} ms"),
        ("typed query -> results shown (median, 150 ms debounce)", f"{s['typed_to_results_ms_median']:.0f} ms"),
        ("bytes a reader's 7 searches fetched", f"{s['bytes_fetched_for_the_queries'] / 1024:.0f} KiB"),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = measure(args.articles, args.jobs)
    print(json.dumps(figures, indent=1) if args.json else table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
