"""Compatibility fixes for the CSL engine, citeproc-py 0.11.1 (pinned exactly in pyproject.toml).

Each fix below corrects one place where citeproc-py does not do what the CSL 1.0.2
specification says, found by printing references with the AMA style and comparing with
the style's rules. They are applied once, by `apply()`, which `bibliography.format_bibliography`
calls before it formats anything; `engine()` is the one place citeproc runs, with its
warnings silenced (it warns with a bare ``UserWarning`` for every field a style does not
use, naming no file).

When citeproc-py is upgraded: run ``python3 -m pytest tests/references/test_ama_corpus.py``; a fix
whose test passes without it can go. `apply()` refuses another version rather than patch
internals it was not written against.

1. Substitution with a macro (``<substitute><text macro="title"/>``): citeproc-py records
   only a ``variable`` attribute as substituted, so a reference without author prints its
   title twice. Fixed in `Substitute.add_to_repressed_list`: every variable the substitute
   renders, through macros and groups, is suppressed for the rest of the reference.
2. Substituted names: `Names.process` never consults the suppressed list, so an edited
   book prints its editors as author and again after the title. Fixed: suppressed name
   variables are skipped.
3. ``page-range-format``: an abbreviated range (``1123-31``, as PubMed writes it) is not
   expanded before formatting (``FormatNumber._format_last_page``). Fixed: the last page
   borrows the first page's leading digits, then the style's format applies.
4. ``initialize-with-hyphen="false"``: `Name.initialize` replaced the hyphen with a space
   and took the lower-case part for a particle: "Min-jun" -> "M jun". Fixed: each part of a
   hyphenated given name gives an initial ("MJ"; "M.-J." when the option is true).
5. Title case: `TextCased.case` splits words on spaces only, so the second part of a
   hyphenated compound stays lower case ("Evidence-based"). Fixed: each part of a
   hyphenated word is title-cased like a word ("Evidence-Based"; stop words stay lower).
6. Punctuation collision: a period after a title ending in "?" or "!" is kept ("heart?.").
   Fixed in `normalize_seam` (CSL: a period after "?"/"!" is dropped).

And one for speed: 7. `CitationStylesElement.xpath_search` evaluates the same XPath on
the same style element for every reference (~2,400 times an article). A style and its
locales are never changed once parsed, so each answer is kept (`_xpath_search`).
"""

from __future__ import annotations

import contextlib
import re
import warnings

CITEPROC_VERSION = "0.11.1"
_CLOSING_TAGS = re.compile(r"(</[a-z]+>)+$")
_applied = False


def apply() -> None:
    """Install the fixes into citeproc-py (once)."""
    global _applied
    if _applied:
        return
    import citeproc

    found = citeproc.__version__
    if found != CITEPROC_VERSION:  # the fixes replace internals of this exact version
        raise RuntimeError(f"handouts.references.cslfix was written for citeproc-py {CITEPROC_VERSION}, "
                           f"found {found}: check the fixes (tests/references/test_ama_corpus.py) and update the pin")
    from citeproc import model, string

    model.Substitute.add_to_repressed_list = _add_to_repressed_list  # 1
    _original_names_process = model.Names.process

    def names_process(self, item, names_context=None, context=None, **kwargs):  # 2
        try:
            repressed = (context if context is not None else self).get_layout().repressed.get(self.tag, ())
        except IndexError:  # rendered for a sort key, outside a layout
            repressed = ()
        variables = self.get("variable", "").split()
        if repressed and variables and all(v in repressed for v in variables):
            raise model.VariableError
        return _original_names_process(self, item, names_context=names_context,
                                       context=context, **kwargs)

    model.Names.process = names_process
    _original_last_page = model.FormatNumber._format_last_page

    def format_last_page(self, first, last):  # 3
        return _original_last_page(self, first, expand_last_page(first, last))

    model.FormatNumber._format_last_page = format_last_page
    model.Name.initialize = _initialize  # 4
    _original_case = model.TextCased.case

    def case(self, text, language=None):  # 5
        text = _original_case(self, text, language)
        if self.get("text-case") == "title" and language in (None, "en"):
            text = _hyphen_title_case(text, self._stop_words)
        return text

    model.TextCased.case = case
    _original_seam = string.normalize_seam

    def normalize_seam(left, other):  # 6
        left_str, other_str = _CLOSING_TAGS.sub("", str(left)), str(other)  # "<i>Now!</i>" + "."
        if left_str and other_str and other_str[0] == "." and left_str[-1] in "?!":
            return string._strip_first_char(other)
        return _original_seam(left, other)

    string.normalize_seam = normalize_seam
    model.normalize_seam = normalize_seam
    model.CitationStylesElement.xpath_search = _xpath_search  # 7
    _applied = True


@contextlib.contextmanager
def engine():
    """The one place citeproc runs: fixes applied, its warnings never printed."""
    apply()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "The following arguments … are unsupported"
        yield


# ---------------------------------------------------------------------------------------
# 1. Substitution records every variable it rendered

def _rendered_variables(element):
    """(tag, variable) of every element under `element` that prints a variable, macros followed."""
    from citeproc import model

    seen_macros, stack = set(), [element]
    while stack:
        el = stack.pop()
        for variable in (el.get("variable") or "").split():
            yield el.tag, variable
        if isinstance(el, model.Text) and el.get("macro") and el.get("macro") not in seen_macros:
            seen_macros.add(el.get("macro"))
            stack.append(el.get_macro(el.get("macro")))
        stack.extend(el.getchildren())


def _add_to_repressed_list(self, child, context):
    layout = context.get_layout()
    for tag, variable in _rendered_variables(child):
        variables = layout.repressed.setdefault(tag, [])
        if variable not in variables:
            variables.append(variable)


# ---------------------------------------------------------------------------------------
# 3. Abbreviated page ranges

_PAGE = re.compile(r"^(\D*?)(\d+)$")


def expand_last_page(first: str, last: str) -> str:
    """``1123``, ``31`` -> ``1131``; ``e12``, ``19`` -> ``e19``; otherwise `last` as it is."""
    f, l = _PAGE.match(first.strip()), _PAGE.match(last.strip())
    if not f or not l or (l.group(1) and l.group(1) != f.group(1)):
        return last
    digits, tail = f.group(2), l.group(2)
    if len(tail) < len(digits):
        expanded = digits[:len(digits) - len(tail)] + tail
        if int(expanded) > int(digits):
            return f.group(1) + expanded
        return last
    return f.group(1) + tail if f.group(1) and not l.group(1) else last


# ---------------------------------------------------------------------------------------
# 4. Initials of hyphenated given names

def _initialize(self, given, mark, context):
    with_hyphen = self.get_option("initialize-with-hyphen", context)
    hyphen_mark = (mark.rstrip() + "-") if with_hyphen else mark.rstrip()
    words = given.replace(".", ". ").split()
    out, group = [], []
    for word in words:
        parts = [p for p in word.replace(".", "").split("-") if p]
        if not parts:
            continue
        if len(parts) == 1 and not parts[0][0].isupper():
            # a lower-case word on its own is a particle ("de"): kept whole
            if group:
                out.append(mark.join(group) + mark)
                group = []
            out.append(word)
            continue
        initials = [p[0].upper() for p in parts]
        group.append(hyphen_mark.join(initials) if len(initials) > 1 else initials[0])
    if group:
        out.append(mark.join(group) + mark)
    return " ".join(" ".join(out).split())


# ---------------------------------------------------------------------------------------
# 5. Title case of hyphenated compounds

def _hyphen_title_case(text, stop_words):
    """Capitalize the lower-case parts after a hyphen ("Evidence-based" -> "Evidence-Based")."""
    from citeproc.string import MixedString, NoCase, String

    def fix(segment: str) -> str:
        return re.sub(r"(?<=[A-Za-z\u00C0-\u024F])-([a-z][\w']*)",
                      lambda m: "-" + (m.group(1) if m.group(1) in stop_words
                                       else m.group(1)[0].upper() + m.group(1)[1:]), segment)

    if isinstance(text, MixedString):
        return MixedString([s if isinstance(s, NoCase) else type(s)(fix(str(s))) for s in text])
    if isinstance(text, (String, str)):  # the engine's title case returns a plain str
        return type(text)(fix(str(text)))
    return text


# ---------------------------------------------------------------------------------------
# 7. XPath answers kept

#: (element, expression) -> the elements found. Holding the element keeps lxml's proxy
#: for it alive, so the same node is always the same key; bounded, as styles come and go.
_XPATH: dict = {}
_XPATH_MAX = 50_000


def _xpath_search(self, expression):
    key = (self, expression)
    found = _XPATH.get(key)
    if found is None:
        if len(_XPATH) >= _XPATH_MAX:
            _XPATH.clear()
        found = _XPATH[key] = self.xpath(expression, namespaces=self.nsmap)
    return list(found)

