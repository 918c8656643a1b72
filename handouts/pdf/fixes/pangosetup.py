"""WeasyPrint 70's text layouts, set up from cached Pango objects.

WeasyPrint makes a Pango layout for every attempt at breaking a line and again to draw
each line: about 700 for a five-page handout. Each time, ``Layout.setup`` creates a new
Pango context (font map, direction, language) and builds a new font description from the
style, property by property, through cffi: ~7 % of a handout's layout.

Neither depends on more than a few style values, and Pango only reads them (a layout
keeps its own copy of the font description; nothing changes a context after it is made).
`setup` therefore keeps one context per (font map, direction, language) and one font
description per font, for the current font map only, so a document's own font
configuration never reaches the next document's layouts. Everything else is WeasyPrint's
own ``setup``, in the same order, so the layouts and the PDF's bytes are the same
(``tests/pdf/test_fixes.py``). `install()` is idempotent and is called by the render stage.
"""

from __future__ import annotations

from weasyprint.text import line_break as _line_break
from weasyprint.text.constants import LST_TO_ISO, PANGO_DIRECTION
from weasyprint.text.ffi import FROM_UNITS, ffi, gobject, pango, unicode_to_char_p
from weasyprint.text.fonts import font_features, get_font_description

_ORIGINAL = _line_break.Layout.setup

#: The font map the caches belong to, its contexts and font descriptions (`_pango_objects`).
_FOR: list = [None]
_CONTEXTS: dict = {}
_FONTS: dict = {}


def _pango_objects(style):
    """(context, language, font description) for `style`, made once per font map."""
    font_map = style.font_config.font_map
    if _FOR[0] is not font_map:
        _CONTEXTS.clear()
        _FONTS.clear()
        _FOR[0] = font_map
    if style["font_language_override"] != "normal":
        lang = LST_TO_ISO.get(style["font_language_override"].lower(),
                              style["font_language_override"])
    else:
        lang = style["lang"] or None
    key = (style["direction"], lang)
    if (made := _CONTEXTS.get(key)) is None:
        context = ffi.gc(pango.pango_font_map_create_context(font_map), gobject.g_object_unref)
        pango.pango_context_set_round_glyph_positions(context, False)
        pango.pango_context_set_base_dir(context, PANGO_DIRECTION[style["direction"]])
        if lang:
            lang_p, _ = unicode_to_char_p(lang)
            language = pango.pango_language_from_string(lang_p)
            pango.pango_context_set_language(context, language)
        else:
            language = pango.pango_language_get_default()
        made = _CONTEXTS[key] = (context, language)
    font_key = (tuple(style["font_family"]), style["font_style"], style["font_stretch"],
                style["font_weight"], style["font_size"], style["font_variant_caps"],
                _hashable(style["font_variation_settings"]))
    if (description := _FONTS.get(font_key)) is None:
        description = _FONTS[font_key] = get_font_description(style)
    return made[0], made[1], description


def _hashable(value):
    return value if isinstance(value, str) else tuple(tuple(item) for item in value)


def setup(self, style):
    """WeasyPrint's ``Layout.setup``, with the context and font description cached."""
    self.style = style
    self.first_line_direction = 0
    assert not isinstance(style["font_family"], str), "font_family should be a list"
    pango_context, self.language, font_description = _pango_objects(style)
    self.layout = ffi.gc(pango.pango_layout_new(pango_context), gobject.g_object_unref)
    pango.pango_layout_set_auto_dir(self.layout, False)
    pango.pango_layout_set_font_description(self.layout, font_description)

    if style["text_decoration_line"] != "none":
        metrics = ffi.gc(
            pango.pango_context_get_metrics(pango_context, font_description, self.language),
            pango.pango_font_metrics_unref)
        self.ascent = FROM_UNITS * pango.pango_font_metrics_get_ascent(metrics)
        self.underline_position = FROM_UNITS * (
            pango.pango_font_metrics_get_underline_position(metrics))
        self.strikethrough_position = FROM_UNITS * (
            pango.pango_font_metrics_get_strikethrough_position(metrics))
        self.underline_thickness = FROM_UNITS * (
            pango.pango_font_metrics_get_underline_thickness(metrics))
        self.strikethrough_thickness = FROM_UNITS * (
            pango.pango_font_metrics_get_strikethrough_thickness(metrics))
    else:
        self.ascent = None
        self.underline_position = None
        self.strikethrough_position = None

    features = font_features(
        style["font_kerning"], style["font_variant_ligatures"],
        style["font_variant_position"], style["font_variant_caps"],
        style["font_variant_numeric"], style["font_variant_alternates"],
        style["font_variant_east_asian"], style["font_feature_settings"])
    if features:
        features = ",".join(f"{key} {value}" for key, value in features.items()).encode()
        attr = style.font_config.font_features.setdefault(
            features, pango.pango_attr_font_features_new(features))
        attr_list = pango.pango_attr_list_new()
        pango.pango_attr_list_insert(attr_list, attr)
        pango.pango_layout_set_attributes(self.layout, attr_list)


def install() -> None:
    """Set layouts up from the cached objects."""
    _line_break.Layout.setup = setup


def uninstall() -> None:
    """Back to WeasyPrint's own setup (the tests compare both)."""
    _line_break.Layout.setup = _ORIGINAL
