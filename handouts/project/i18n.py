"""The publisher's languages: fixed words, dates, hyphenation and the disclaimer per `lang`.

Labels live in the theme's ``labels/<lang>.yaml`` (a project's ``styles/labels/`` overrides), one file per language; English (``en.yaml``)
is the reference. A language tag is looked up as given (``vi-VN``), then by its primary
subtag (``vi``), then in English; a language or a single key that is missing falls back
to English and the load stage warns about it (`label_warnings`).

Dates are written with Babel in the language's long form; Thai dates carry the Buddhist
Era year (2022 -> 2565) as Thai publishers print them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

LANGUAGES = ("en", "fil", "vi", "id", "ms", "th")  # the built-in theme's labels/ tables
LABEL_DIR = "labels"
BUDDHIST_ERA_OFFSET = 543

# Babel has no "tl" data; Filipino (fil) is the standard written form of Tagalog.
_BABEL_LOCALE = {"tl": "fil"}
# Hyphenated languages (pyphen has their dictionaries). Filipino, Malay and Vietnamese
# have none: no hyphenation rather than English rules. Thai is written without hyphens
# (lines break between words, found by Pango with libthai) although pyphen ships a
# Thai dictionary, so it is switched off too.
HYPHENATED = ("en", "id")
#: A letter of a script written without spaces between words (Thai, Lao, Myanmar, Khmer,
#: Chinese, Japanese). Words there are found with a dictionary (Pango breaks Thai lines
#: with libthai), so nothing here counts or splits words in such text.
SPACELESS_SCRIPT = re.compile(
    "[\u0E00-\u0EFF\u1000-\u109F\u1780-\u17FF\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF]")

#: English built in, under every table: a project whose styles/ predate a key (an old
#: labels.yaml) still prints every fixed word. styles/labels/en.yaml is the one to edit.
BUILTIN_LABELS = {
    'reviewed_by': 'Medically reviewed by',
    'written_by': 'Written by',
    'updated': 'Updated',
    'edition': 'Edition',
    'next_review_due': 'Next review due',
    'references': 'References',
    'page': 'Page',
    'of': 'of',
    'disclaimer': 'Medical disclaimer',
    'notes': 'Notes',
    'notes_title': 'Notes',
    'questions_for_care_team': 'Questions for your care team',
    'questions_call': 'Questions? Call {clinic} at {phone}',
    'latest_version': 'Latest version',
    'draft': 'DRAFT — not medically reviewed',
    'callout_warning': 'Warning',
    'callout_note': 'Note',
    'callout_tip': 'Tip',
    'callout_important': 'Important',
    'callout_caution': 'Caution',
    'figure': 'Figure',
    'online': 'Read online',
    'clinic_logo': '{clinic} logo',
    'qr_code': 'QR code linking to {url}',
    'site_download': 'Download',
    'site_language': 'Language',
    'site_all_handouts': 'All handouts',
    'site_back': 'Back to all handouts',
    'site_earlier_editions': 'Earlier editions',
    'site_first_page': 'First page of the handout {title}',
    'site_not_reviewed': 'Not yet medically reviewed (draft)',
    'site_handout': 'Handout',
    'site_large_print': 'Large print',
    'site_booklet': 'Folded booklet',
    'site_booklet_pages': 'Booklet pages (reading order)',
    'site_press': 'Print-shop file (PDF/X, bleed, crop marks)',
    'site_pages': '{n} pages',
    'site_pages_one': '1 page',
    'site_booklet_extent': '{pages}-page booklet, {sheets} sheets to print on both sides',
    'site_booklet_extent_one': '{pages}-page booklet, 1 sheet to print on both sides',
    'site_other_languages': 'Other languages',
    'site_for_clinic': 'For {clinic}',
    'site_for_print_shops': 'For print shops',
    'site_print_shop_note': 'Files for professional printing: the print-shop PDF has bleed and crop marks; the booklet pages are in reading order for shops that impose themselves. Print the handout or booklet above on an office printer.',
    'seek_care': 'When to seek care',  # the safety box the seek-care check looks for
}


def primary(lang: str) -> str:
    """``vi-VN`` -> ``vi``; ``tl`` -> ``fil`` (one table serves Tagalog and Filipino)."""
    tag = (lang or "en").split("-")[0].lower()
    return "fil" if tag == "tl" else tag


def _load_label_file(file: Path):
    """One labels file's YAML; a broken file is a one-line located InputError."""
    import yaml

    from handouts.errors import InputError
    from handouts.guard.limits import safe_loader

    try:
        return yaml.load(file.read_text(encoding="utf-8"), Loader=safe_loader()) or {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError.at(file, mark.line + 1 if mark else None,
                            f"labels YAML: {exc.problem or 'invalid YAML'}",
                            "fix the YAML syntax (quote texts containing ': ' or '#')") from None
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise InputError.at(file, None, f"labels file cannot be read: {str(exc).splitlines()[0]}",
                            "save it as UTF-8 'key: text' lines") from None


@functools.lru_cache(maxsize=8)
def label_table(theme) -> dict[str, dict]:
    """The theme's label files, read once per theme value (which changes with any of its
    files): see `read_label_table`."""
    return read_label_table(theme)


def read_label_table(theme) -> dict[str, dict]:
    """Every ``labels/<lang>.yaml`` of the theme -> {lang: {key: text}}: a project's
    ``styles/labels/vi.yaml`` replaces the built-in ``vi.yaml``, the other languages stay."""
    from handouts.errors import InputError

    table: dict[str, dict] = {}
    for name in theme.names(LABEL_DIR + "/"):
        if not name.endswith(".yaml") or name.count("/") != 1:
            continue
        file = theme.path(name)
        data = _load_label_file(file)
        if not isinstance(data, dict):
            raise InputError.at(file, None, "expected 'key: text' lines",
                                "write one 'key: text' line per label, as in en.yaml")
        table[Path(name).stem] = {str(k): v for k, v in data.items() if v is not None}
    return table


def _own_labels(table: dict, lang: str) -> dict:
    """The labels written for `lang` itself (its primary tag, then the full tag)."""
    own: dict = {}
    for tag in dict.fromkeys((primary(lang), lang.split("-")[0], lang)):
        own.update(table.get(tag, {}))
    return own


def labels_for(table: dict, lang: str) -> dict:
    """English, overlaid with whatever `lang` translates."""
    return {**BUILTIN_LABELS, **table.get("en", {}), **_own_labels(table, lang)}


def missing_labels(table: dict, lang: str) -> list[str] | None:
    """Keys that `lang` does not translate (None: no labels for the language at all)."""
    own = _own_labels(table, lang)
    if primary(lang) == "en":
        return []
    if not own:
        return None
    return [key for key in {**BUILTIN_LABELS, **table.get("en", {})} if key not in own]


def label_warnings(path, lang: str, theme):
    """Warnings for the load stage: labels that will be printed in English."""
    import yaml

    from handouts.errors import warning

    try:
        table = label_table(theme)
    except (OSError, ValueError, yaml.YAMLError):
        return []  # the template stage reports a broken styles/ folder
    folder = theme.project_dir / LABEL_DIR
    missing = missing_labels(table, lang)
    if missing is None:
        return [warning(path, None, f"no labels for language '{lang}' in {folder}; "
                        "English labels are used",
                        f"add {folder / (primary(lang) + '.yaml')} (copy en.yaml and translate it)")]
    if missing:
        return [warning(path, None, f"labels {', '.join(missing)} are not translated into "
                        f"'{primary(lang)}'; English is printed for them",
                        f"add them to {folder / (primary(lang) + '.yaml')}")]
    return []


def fill(template: str, **values) -> str:
    """``"Questions? Call {clinic} at {phone}"`` -> text; unknown braces are left alone."""
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", str(value))
    return out


# ---------------------------------------------------------------------------------------
# Dates


def babel_locale(lang: str) -> str:
    from babel import Locale, UnknownLocaleError

    tag = lang.replace("-", "_")
    for candidate in (tag, _BABEL_LOCALE.get(primary(lang), primary(lang))):
        try:
            Locale.parse(candidate)
            return candidate
        except (UnknownLocaleError, ValueError):
            continue
    return "en"


@functools.lru_cache(maxsize=256)
def format_date(day: dt.date | None, lang: str = "en") -> str:
    """The long date in the language: ``July 26, 2022``, ``26 tháng 7, 2022``;
    Thai with the Buddhist Era year as Thai publishers print it: ``26 กรกฎาคม 2565``."""
    if day is None:
        return ""
    from babel.dates import format_date as babel_date

    locale = babel_locale(lang)
    if primary(lang) == "th":
        # Babel's "long" is "d MMMM G y" with the Gregorian era (ค.ศ.); print the B.E. year.
        return f"{babel_date(day, 'd MMMM', locale=locale)} {day.year + BUDDHIST_ERA_OFFSET}"
    return babel_date(day, "long", locale=locale)


# ---------------------------------------------------------------------------------------
# Hyphenation


def hyphenates(lang: str) -> bool:
    """Whether the handout hyphenates text in `lang` (pyphen has a dictionary for it).

    WeasyPrint hyphenates with pyphen by the element's ``lang``; for a language pyphen does
    not know it does not hyphenate, but we also say so in CSS (``hyphens: manual``) so a
    later pyphen falling back to another language's rules cannot change that.
    """
    import pyphen

    return primary(lang) in HYPHENATED and pyphen.language_fallback(lang.replace("-", "_")) is not None


# ---------------------------------------------------------------------------------------
# The disclaimer


def disclaimer_default(config, lang: str) -> str:
    """The project's disclaimer for an article in `lang` that has none in its front matter:
    the ``[disclaimer]`` table's entry for the language (or its primary subtag); else the
    English one when ``allow_disclaimer_fallback = true``; else empty (the load stage then
    reports it)."""
    table = config.disclaimers
    for tag in (lang, lang.split("-")[0], primary(lang)):
        if table.get(tag):
            return table[tag]
    if primary(lang) == "en" or config.allow_disclaimer_fallback:
        return table.get("en") or config.disclaimer
    return ""


def missing_disclaimer(config, lang: str) -> tuple[str, str]:
    """(message, hint) for an article with no disclaimer in its language."""
    if primary(lang) == "en":
        return ("no medical disclaimer",
                "add 'disclaimer: …' to the front matter or to handouts.toml")
    has_english = bool(config.disclaimers.get("en") or config.disclaimer)
    hint = (f"add '{primary(lang)} = \"…\"' under [disclaimer] in handouts.toml or 'disclaimer: …' "
            "to the front matter")
    if has_english:
        hint += ", or set allow_disclaimer_fallback = true to print the English one"
    return (f"no medical disclaimer in language '{lang}' (the disclaimer is never printed "
            "in another language unless the project allows it)", hint)


def parse_disclaimers(value, path, text: str):
    """``disclaimer = "…"`` (English) or a ``[disclaimer]`` table by language ->
    (English text, {lang: text}, problems)."""
    import re

    from handouts.errors import Diagnostic

    if isinstance(value, str):
        return value, {"en": value}, []
    problems, table = [], {}
    header = re.search(r"^\s*\[\s*disclaimer\s*\]", text, re.M)
    start = header.end() if header else 0

    def line_of(key):
        m = re.search(rf"^\s*\"?{re.escape(key)}\"?\s*=", text[start:], re.M)
        return text.count("\n", 0, start + m.start()) + 1 if m else None

    if not isinstance(value, dict):
        return "", {}, [Diagnostic(path, None, "'disclaimer' must be text or a table by language",
                                   "write disclaimer = \"…\" or a [disclaimer] table with en = \"…\"")]
    for lang, entry in value.items():
        if not re.fullmatch(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*", lang):
            problems.append(Diagnostic(path, line_of(lang), f"'{lang}' in [disclaimer] is not a language tag",
                                       "use a tag such as en, fil, vi, id, ms or th"))
        elif not isinstance(entry, str) or not entry.strip():
            problems.append(Diagnostic(path, line_of(lang), f"[disclaimer] {lang} must be a non-empty text",
                                       f"write {lang} = \"…\""))
        else:
            table[lang] = entry.strip()
    return table.get("en", ""), table, problems
