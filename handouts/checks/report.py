"""The check report: collected findings of articles and PDFs, as text or JSON.

JSON schema (``check --format json``), version 1::

    {
      "format": "handouts-check",        # always this string
      "version": 1,                       # bumped on incompatible changes
      "generator": "handouts X.Y",
      "summary": {"articles": int, "pdfs": int, "errors": int, "warnings": int,
                  "infos": int, "status": 0 | 1,          # exit status without --strict
                  "strict_status": 0 | 1},                # exit status with --strict
      "articles": [{
          "path": "source/<slug>/article.md",   # relative to the project root (posix)
          "slug": str, "title": str | null, "lang": str | null,
          "loaded": bool,                       # false: the article did not load (see findings)
          "findings": [Finding],
          "readability": null | {
              "supported": bool, "lang": str, "target_grade": number,
              "note": str,                      # only when not supported
              "article": Scores | null,
              "sections": [{"title": str, "line": int, ...Scores}],
              "hardest": [{"line": int, "fk_grade": number, "words": int, "text": str}]}}],
      "pdfs": [{"path": str, "findings": [Finding]}]
    }
    Finding = {"rule": "family/name", "severity": "error" | "warning" | "info",
               "path": str | null, "line": int | null, "message": str, "hint": str,
               "data": {...}}                  # "data" only for some rules (e.g. pdfua pages)
    Scores  = {"words", "sentences", "syllables", "polysyllables": int,
               "fk_grade", "smog", "flesch_reading_ease": number}

Load errors (the article could not be read) appear as findings of rule ``load/error``
(unknown citation keys as ``citations/unknown-key``); the loader's own warnings as
``load/warning`` unless a rule reports the same thing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from handouts.errors import InputError, escape_controls
from handouts.checks.registry import Context, Finding

FORMAT, VERSION = "handouts-check", 1


@dataclass
class ArticleReport:
    path: Path
    slug: str
    title: str | None = None
    lang: str | None = None
    loaded: bool = False
    findings: list[Finding] = field(default_factory=list)
    readability: dict | None = None
    content: str | None = None  # the content fingerprint (12 hex digits) a sign-off names


@dataclass
class PdfReport:
    path: Path
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Report:
    root: Path
    articles: list[ArticleReport] = field(default_factory=list)
    pdfs: list[PdfReport] = field(default_factory=list)

    def findings(self) -> list[Finding]:
        return [f for a in self.articles for f in a.findings] + [f for p in self.pdfs for f in p.findings]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings() if f.severity == severity)

    def exit_status(self, strict: bool = False) -> int:
        if self.count("error") or (strict and self.count("warning")):
            return 1
        return 0


def _load_finding(problem, severity: str) -> Finding:
    text = problem.message
    rule = "load/" + severity
    if text.startswith("unknown citation key"):
        rule = "citations/unknown-key"
    return Finding.make(rule, severity, problem.path, problem.line, text, problem.hint)


def check_article(config, path: Path, *, today: dt.date | None = None, settings=None) -> ArticleReport:
    """Load one article and run the checks on it (never raises `InputError`)."""
    from handouts.source import article as load
    from handouts.checks import run_checks
    from handouts.checks.readability import readability

    path = Path(path)
    report = ArticleReport(path, path.parent.name)
    try:
        art = load.load_article(path, config)
    except InputError as exc:
        report.findings = [_load_finding(p, p.severity) for p in exc.problems]
        return report
    report.title, report.lang, report.loaded = art.title, art.lang, True
    report.content = art.content.short
    ctx = Context(art, config, today or dt.date.today())
    findings = run_checks(art, config, today=ctx.today, settings=settings, _ctx=ctx)
    seen = {(str(f.path), f.line, f.text) for f in findings}
    extra = [_load_finding(w, "warning") for w in art.warnings
             if (str(w.path), w.line, w.message) not in seen]
    report.findings = extra + findings
    report.readability = readability(ctx)
    return report


def check_all(config, paths, *, pdfs=(), today=None) -> Report:
    from handouts.checks import settings_of
    from handouts.checks.pdfua import check_pdf

    settings = settings_of(config)
    report = Report(Path(config.root))
    for path in paths:
        report.articles.append(check_article(config, path, today=today, settings=settings))
    for pdf in pdfs:
        report.pdfs.append(PdfReport(Path(pdf), check_pdf(pdf, settings=settings,
                                                              limits=config.limits)))
    return report


# ---------------------------------------------------------------------------------------


def _shown(path, root: Path | None = None) -> str:
    if path is None:
        return ""
    path = Path(path)
    for base in (Path.cwd(), root):
        if base is None:
            continue
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)


def format_finding(f: Finding, root: Path | None = None) -> str:
    where = _shown(f.path, root)
    if where and f.line is not None:
        where += f":{f.line}"
    text = f"{where}: " if where else ""
    text += f"{f.severity}: {f.message}"
    return text + (f" — {f.hint}" if f.hint else "")


def _scores_line(s: dict) -> str:
    return (f"grade {s['fk_grade']:4.1f}  SMOG {s['smog']:4.1f}  ease {s['flesch_reading_ease']:5.1f}  "
            f"{s['words']:>4} words  {s['sentences']:>3} sentences")


def text_lines(report: Report) -> list[tuple[str, str]]:
    """The human report as (stream, line): "out" for the report itself (reading level,
    hardest sentences, notes), "err" for problems (``path:line: warning: [rule] … — fix``,
    paths as given, like the build's messages) and the summary line."""
    lines: list[tuple[str, str]] = []
    root = report.root

    def finding(f: Finding) -> None:
        lines.append(("out" if f.severity == "info" else "err", str(f)))

    for a in report.articles:
        lines.append(("out", f"{_shown(a.path, root)}" + (f" — {a.title}" if a.title else "")
                      + (f" (content {a.content})" if a.content else "")))
        r = a.readability
        if r and r["supported"] and r["article"]:
            w = r["article"]
            flag = "  ABOVE TARGET" if w["fk_grade"] > r["target_grade"] else ""
            lines.append(("out", f"  readability (target grade {r['target_grade']:g}): "
                                 f"{_scores_line(w)}{flag}"))
            width = min(max((len(s["title"]) for s in r["sections"]), default=10), 44)
            for s in r["sections"]:
                mark = " !" if s["fk_grade"] > r["target_grade"] else "  "
                title = s["title"] if len(s["title"]) <= width else s["title"][: width - 1] + "…"
                lines.append(("out", f"   {mark} line {s['line']:>4}  {title:<{width}}  {_scores_line(s)}"))
            lines.append(("out", "  hardest sentences:"))
            for h in r["hardest"]:
                text = h["text"] if len(h["text"]) <= 100 else h["text"][:99] + "…"
                lines.append(("out", f"    line {h['line']:>4} (grade {h['fk_grade']:g}, "
                                     f"{h['words']} words): {text}"))
        for f in a.findings:
            finding(f)
        problems = sum(1 for f in a.findings if f.severity != "info")
        lines.append(("out", f"  {problems} problem(s)" if problems else "  no problems found"))
    for p in report.pdfs:
        lines.append(("out", f"{_shown(p.path, root)} — PDF/UA-1 self-check (machine-checkable subset)"))
        for f in p.findings:
            finding(f)
        if not p.findings:
            lines.append(("out", "  all checked PDF/UA-1 requirements pass"))
    # article text (titles, headings, sentences) reaches the terminal: no raw controls
    return [(stream, escape_controls(line)) for stream, line in lines]


def summary_line(report: Report, strict: bool = False) -> str:
    """``checked 3 article(s): 1 failing, 2 with warnings``: failing is what sets the exit
    status (an error, or under `strict` a warning); warnings are counted either way."""
    def failed(findings) -> bool:
        return any(f.severity == "error" or (strict and f.severity == "warning") for f in findings)

    def warned(findings) -> bool:
        return any(f.severity == "warning" for f in findings)

    checked = [a.findings for a in report.articles] + [p.findings for p in report.pdfs]
    what = f"checked {len(report.articles)} article(s)"
    if report.pdfs:
        what += f" and {len(report.pdfs)} PDF(s)"
    return (f"{what}: {sum(map(failed, checked))} failing, "
            f"{sum(map(warned, checked))} with warnings")


def _rel(path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def to_json(report: Report) -> dict:
    from handouts import __version__

    root = report.root

    def finding(f: Finding) -> dict:
        d = f.to_json()
        if d["path"]:
            d["path"] = _rel(d["path"], root)
        return d

    return {
        "format": FORMAT, "version": VERSION, "generator": f"handouts {__version__}",
        "summary": {"articles": len(report.articles), "pdfs": len(report.pdfs),
                    "errors": report.count("error"), "warnings": report.count("warning"),
                    "infos": report.count("info"), "status": report.exit_status(False),
                    "strict_status": report.exit_status(True)},
        "articles": [{"path": _rel(a.path, root), "slug": a.slug, "title": a.title, "lang": a.lang,
                      "loaded": a.loaded, "content": a.content,
                      "findings": [finding(f) for f in a.findings],
                      "readability": a.readability} for a in report.articles],
        "pdfs": [{"path": _rel(p.path, root), "findings": [finding(f) for f in p.findings]}
                 for p in report.pdfs],
    }


def render_json(report: Report) -> str:
    """The report as UTF-8-safe JSON: a file name's byte that is not UTF-8 (a lone
    surrogate in Python) is written as the text ``\\xe9``, as the text report shows it."""
    text = json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"
    return _SURROGATE.sub(lambda m: json.dumps(escape_controls(m.group()))[1:-1], text)


_SURROGATE = re.compile("[\ud800-\udfff]")
