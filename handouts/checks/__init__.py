"""Editorial checks of articles, and the PDF/UA self-check of PDFs.

``run_checks(article, config) -> list[Finding]`` runs every enabled rule on a loaded
article (`Finding` is a `Diagnostic` whose message starts with the rule's name,
``[plain-language/long-sentence] …``). ``check_command(config, paths, fmt=…, strict=…,
pdfs=…) -> int`` is the ``check`` command: it prints the report (text or JSON, see
`report`) and returns the exit status (0 clean; 1 on errors, or on warnings with
`strict`).

One module per family of rules: `readability`, `plain_language`, `structure`,
`citations`, `credibility`, `images`, `translations`, and `pdfua` for PDFs. Rules are registered in
`registry` and configured under ``[checks]`` in handouts.toml.
"""

from __future__ import annotations

import datetime as dt
import importlib

from handouts.checks.registry import (RULES, Context, Finding, Settings, settings_from,
                                      validate_checks)

FAMILIES = ("readability", "plain_language", "structure", "citations", "credibility", "images",
            "translations", "pdfua")


def load_families() -> None:
    for name in FAMILIES:
        importlib.import_module(f"{__name__}.{name}")


def settings_of(config) -> Settings:
    """The rule settings of the project's ``[checks]`` (`config` None: the defaults)."""
    return settings_from(config.checks if config is not None else {})


def run_checks(article, config, *, today: dt.date | None = None, exclude=(),
               settings: Settings | None = None, body_html: str | None = None,
               _ctx: Context | None = None) -> list[Finding]:
    """Run every enabled article rule on `article`; return its findings in line order.

    `exclude`: rule names (or families) to skip, e.g. the review rules that the build
    already applies itself (`handouts.dist.editions.review_warnings` and `publish_gate`).
    `body_html`: the body the build converted, which the rules then read instead of
    converting it again.
    """
    load_families()
    settings = settings or settings_of(config)
    ctx = _ctx or Context(article, config, today or dt.date.today(), body_html=body_html)
    ctx.cache["settings"] = settings
    findings: list[Finding] = []
    for name, r in RULES.items():
        own = settings.of(name)
        if r.scope != "article" or not own.enabled or name in exclude or r.family in exclude:
            continue
        for hit in r.func(ctx, own.options) or ():
            path = hit.path if hit.path is not None else article.path
            line = hit.line if hit.line is not None or hit.path is not None else 1
            severity = own.severity if hit.severity is None or own.severity != r.severity else hit.severity
            findings.append(Finding.make(name, severity, path, line, hit.text, hit.hint, hit.data))
    findings.sort(key=lambda f: (str(f.path) != str(article.path), str(f.path), f.line or 0, f.rule))
    return findings


#: Rules the build applies itself (`handouts.dist.editions.review_warnings`, `publish_gate`).
REVIEW_RULES = ("credibility/review-overdue", "credibility/content-changed")
#: Left out of the build's report: the review rules, and image resolution, which the render
#: stage measures on the laid-out page (handouts/imagecheck.py) — `check` estimates it.
#: The translation rules read the whole project and the manifest: planning refuses a wrong
#: ``translation_of`` once per run, and an outdated translation is news for `check`.
BUILD_EXCLUDE = (*REVIEW_RULES, "images/resolution", "translations")


def for_build(article, config, *, today: dt.date | None = None,
              body_html: str | None = None) -> list:
    """What `build` reports for a loaded article: the loader's warnings (minus those a rule
    repeats) followed by the checks' findings (minus `BUILD_EXCLUDE`, reported elsewhere).
    Findings of severity "error" should fail the article like a load error; "info" ones are
    printed but never fail --strict. `body_html`: the body as the build converted it."""
    findings = run_checks(article, config, today=today, exclude=BUILD_EXCLUDE,
                          body_html=body_html)
    seen = {(str(f.path), f.line, f.text) for f in findings}
    loader = [w for w in article.warnings if (str(w.path), w.line, w.message) not in seen]
    return [*loader, *findings]


def check_command(config, paths, *, fmt: str = "text", strict: bool = False, pdfs=(),
                  today: dt.date | None = None, out=None, err=None) -> int:
    """The ``check`` command: check the articles at `paths` and the PDFs `pdfs`; print the
    report and return the exit status. Text: the report (reading level, hardest sentences)
    on `out` (stdout), the problems — ``path:line: warning: [rule] … — fix`` — and the
    summary line on `err` (stderr), like the build's messages. JSON: all on `out`."""
    import sys

    from handouts.checks.report import check_all, render_json, summary_line, text_lines

    out = out or sys.stdout
    err = err or sys.stderr
    report = check_all(config, paths, pdfs=pdfs, today=today)
    if fmt == "json":
        out.write(render_json(report))
    else:
        for stream, line in text_lines(report):
            target = out if stream == "out" else err
            target.write(line + "\n")
            target.flush()
        err.write(summary_line(report, strict) + "\n")
    return report.exit_status(strict)


__all__ = ["Finding", "REVIEW_RULES", "RULES", "check_command", "for_build", "run_checks",
           "settings_of", "validate_checks"]
