"""Dates as reference managers write them -> CSL date parts, shared by every reader."""

from __future__ import annotations

import datetime as dt
import re

#: The CSL variables that hold dates.
DATE_FIELDS = ("issued", "accessed", "event-date", "original-date", "submitted",
               "available-date", "container")

_ISO_DATE = re.compile(r"(-?\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?(?:[T /].*)?/?")
MONTHS = {m.lower(): i for i, m in enumerate(
    "January February March April May June July August September October November December".split(), 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_WORD_DATE = re.compile(r"(?:(\d{1,2})\s+)?([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})")


def valid_parts(parts: list[int]) -> bool:
    """A year (not 0), a month 1-12 and a day of that month, as far as `parts` goes."""
    if not parts or not -9999 <= parts[0] <= 9999 or parts[0] == 0:
        return False
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        return False
    if len(parts) > 2:
        try:
            dt.date(parts[0], parts[1], parts[2])
        except ValueError:
            return False
    return True


def parse_date_text(text: str) -> list[int] | None:
    """``2020``, ``2020-03``, ``2020/03/01/``, ``March 1, 2020``, ``1 Mar 2020`` -> parts."""
    text = text.strip()
    m = _ISO_DATE.fullmatch(text)
    if m:
        parts = [int(p) for p in m.groups() if p]
    else:
        m = _WORD_DATE.fullmatch(text)
        month = MONTHS.get(m.group(2).lower()) if m else None
        if not month:
            return None
        day = m.group(1) or m.group(3)
        parts = [int(m.group(4)), month] + ([int(day)] if day else [])
    return parts if valid_parts(parts) else None


def csl_date(value) -> tuple[dict | None, str]:
    """A CSL date (``{"date-parts": …}`` or ``{"literal": …}``) from the forms exports write.

    YAML dates; ``2019``, ``"2022"``, ``"2021-04"``; ``{"date-parts": [["2022", "3"]]}``
    (Zotero writes string years); ``{"raw": "2017-10-05"}``; ``{"literal": "Spring 2019"}``
    (printed as written); Better BibTeX's ``[{year: 2018, month: 6}]`` and ranges.
    """
    if isinstance(value, dt.date):
        return {"date-parts": [[value.year, value.month, value.day]]}, ""
    if isinstance(value, bool):
        return None, repr(value)
    if isinstance(value, (int, str)):
        if isinstance(value, str) and not value.strip():
            return None, ""
        parts = parse_date_text(str(value))
        return ({"date-parts": [parts]}, "") if parts else (None, repr(value))
    if isinstance(value, list):  # Better BibTeX CSL-YAML: [{year: 2018, month: 6}, …]
        ranges = []
        for part in value[:2]:
            if not isinstance(part, dict):
                return None, repr(value)
            p = []
            for name in ("year", "month", "day"):
                if name not in part:
                    break
                try:
                    p.append(int(str(part[name]).strip()))
                except ValueError:
                    return None, repr(value)
            if not valid_parts(p):
                return None, repr(value)
            ranges.append(p)
        return ({"date-parts": ranges}, "") if ranges else (None, repr(value))
    if isinstance(value, dict):
        out = {k: value[k] for k in ("circa", "season") if k in value}
        if "date-parts" in value:
            parts = value["date-parts"]
            clean = []
            if not isinstance(parts, list):
                return None, repr(value)
            for p in parts[:2]:
                try:
                    ints = [int(str(x).strip()) for x in p if str(x).strip()] if isinstance(p, list) else None
                except ValueError:
                    ints = None
                if not ints or not valid_parts(ints):
                    return None, repr(value)
                clean.append(ints)
            if not clean:
                return None, repr(value)
            return {**out, "date-parts": clean}, ""
        if "literal" in value and isinstance(value["literal"], str):
            return {**out, "literal": value["literal"]}, ""
        if "raw" in value and isinstance(value["raw"], (str, int)):
            parts = parse_date_text(str(value["raw"]))
            # A raw date we cannot read prints as written, as citeproc-js does.
            return ({**out, "date-parts": [parts]} if parts else {**out, "literal": str(value["raw"])}), ""
        if "year" in value:
            return csl_date([value])
        return None, repr(value)
    return None, repr(value)
