"""Classify an attachment by its title: which kind of file it is, and the date it refers to.

The date comes from the attachment (or publication) title, never from the file name: file names contradict
their contents (`prison-population-monthly-july2012.docx` is the June 2012 bulletin, titled
"Population Bulletin - Monthly June 2012").

Real titles are untidy, and every one of these is handled (they are all in the published record):
  "Population Bulletin - Weekly 28 December 2012"     "Population bulletin: weekly 26 March 2021"
  "Population bulletin - Monthly December 2012"       "Population bulletin: monthly February 2021"
  "Populaton bulletin: weekly December 7 2018"        (month before day)
  "Population bulletin: weekly 20 July"               (no year: the page title's year is used)
  "Population bulletin: weekly 13 Jnauary 2025"       (misspelt month)
  "Population bulletin: 4 November 2016"              (no "weekly")
A title the rules cannot date is an error, never a guess.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

from .releases import AttachmentRule, DatePrecision
from ..errors import ClassifyError  # noqa: F401 (re-exported)

MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]
FUZZY_CUTOFF = 0.8  # "jnauary" scores 0.86 against "january"; "juen" (0.75) is not trusted
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_ORDINAL = re.compile(r"(\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(frozen=True)
class Classification:
    kind: str
    reference_date: str | None  # ISO 8601 at the precision the title gives: 2012-12-28, 2012-12, 2023, or None

    def describe(self) -> str:
        return f"{self.kind} {self.reference_date}" if self.reference_date else self.kind


def month_number(word: str) -> int | None:
    """1-12 for a month name, an abbreviation of three letters or more ("Sept"), or a close misspelling."""
    word = word.lower()
    if len(word) < 3 or not word.isalpha():
        return None
    prefixed = [i for i, name in enumerate(MONTHS, start=1) if name.startswith(word)]
    if len(prefixed) == 1:
        return prefixed[0]
    scored = sorted(((difflib.SequenceMatcher(None, word, name).ratio(), i) for i, name in enumerate(MONTHS, 1)),
                    reverse=True)
    (best, month), (second, _) = scored[0], scored[1]
    if best >= FUZZY_CUTOFF and best - second >= 0.1:
        return month
    return None


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(_ORDINAL.sub(r"\1", text))


def _is_day(token: str) -> bool:
    return token.isdigit() and len(token) <= 2 and 1 <= int(token) <= 31


def _is_year(token: str) -> bool:
    return bool(_YEAR.match(token))


def _only_year(text: str) -> int | None:
    years = {int(t) for t in _tokens(text) if _is_year(t)}
    return years.pop() if len(years) == 1 else None


def _month_at(tokens: list[str], i: int) -> int | None:
    """The month named by tokens[i], trusting a fuzzy match only next to a number (a day or a year)."""
    token = tokens[i]
    if token.isdigit():
        return None
    near_number = (i > 0 and tokens[i - 1].isdigit()) or (i + 1 < len(tokens) and tokens[i + 1].isdigit())
    return month_number(token) if near_number else None


def parse_day(title: str, fallback_year: int | None = None) -> dt.date:
    """The one calendar day in a title: "28 December 2012", "December 7 2018", or "20 July" plus fallback_year."""
    tokens = _tokens(title)
    found: set[dt.date] = set()
    for i in range(len(tokens)):
        month = _month_at(tokens, i)
        if month is None:
            continue
        if i > 0 and _is_day(tokens[i - 1]):  # 28 December 2012
            day, rest = int(tokens[i - 1]), tokens[i + 1:]
        elif i + 1 < len(tokens) and _is_day(tokens[i + 1]):  # December 7 2018
            day, rest = int(tokens[i + 1]), tokens[i + 2:]
        else:
            continue
        year = int(rest[0]) if rest and _is_year(rest[0]) else fallback_year
        if year is None:
            raise ClassifyError(f"no year in {title!r}, and the publication title gives no single year")
        try:
            found.add(dt.date(year, month, day))
        except ValueError as e:
            raise ClassifyError(f"impossible date in {title!r}: {e}") from e
    if not found:
        raise ClassifyError(f"no day-month-year date in {title!r}")
    if len(found) > 1:
        raise ClassifyError(f"several dates in {title!r}: {sorted(d.isoformat() for d in found)}")
    return found.pop()


def parse_month(title: str, fallback_year: int | None = None) -> tuple[int, int]:
    """(year, month) of the last "Month Year" in a title: "Monthly December 2012" -> (2012, 12); a period such as
    "April to June 2024" gives its end, (2024, 6). A month with no year takes fallback_year."""
    tokens = _tokens(title)
    pairs: list[tuple[int, int]] = []
    bare: list[int] = []
    for i, token in enumerate(tokens):
        if token.isdigit():
            continue
        if i + 1 < len(tokens) and _is_year(tokens[i + 1]):
            month = month_number(token)  # a year beside the word vouches for a fuzzy match
            if month is not None:
                pairs.append((int(tokens[i + 1]), month))
        elif _is_month_word(token):
            bare.append(month_number(token))
    if pairs:
        return pairs[-1]
    if bare and fallback_year is not None:
        return fallback_year, bare[-1]
    raise ClassifyError(f"no month and year in {title!r}")


def _is_month_word(word: str) -> bool:
    """A correctly spelt month name or abbreviation: with no number beside it, a misspelling is not trusted."""
    lowered = word.lower()
    return len(lowered) >= 3 and any(name.startswith(lowered) for name in MONTHS)


def parse_year(title: str) -> int:
    """The first year in a title: "Prison population projections: 2023 to 2028" -> 2023."""
    for token in _tokens(title):
        if _is_year(token):
            return int(token)
    raise ClassifyError(f"no year in {title!r}")


def reference_date(precision: DatePrecision, title: str, publication_title: str) -> str | None:
    fallback_year = _only_year(publication_title)
    if precision == "day":
        return parse_day(title, fallback_year).isoformat()
    if precision == "month":
        year, month = parse_month(title, fallback_year)
        return f"{year:04d}-{month:02d}"
    if precision == "year":
        return f"{parse_year(title):04d}"
    return None


def classify(rule: AttachmentRule, attachment_title: str, publication_title: str) -> Classification:
    """Apply a matched rule: the kind is the rule's, the date comes from the title the rule names."""
    title = attachment_title if rule.date_from == "attachment" else publication_title
    return Classification(rule.kind, reference_date(rule.date, title, publication_title))
