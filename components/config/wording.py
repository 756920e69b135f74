"""Words shared by every problem line: a value quoted short, and "did you mean" for a near miss.

Pure, and free of the schema so that the schema's own checks can use it.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable
from typing import Any

# Longest value a problem line quotes: a stack file can hold megabytes in one value.
SHOWN_CHARACTERS = 60


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxdict, _SHORT.maxlist = 2, 4, 4
_SHORT.maxstring = _SHORT.maxother = SHOWN_CHARACTERS


def shown(value: Any) -> str:
    """The value as a problem line quotes it: its repr, cut to a short prefix when long (without
    ever building the repr of a large value)."""
    if isinstance(value, str) and len(value) > SHOWN_CHARACTERS:
        return f"{value[:SHOWN_CHARACTERS]!r}... ({len(value):,} characters)"
    text = _SHORT.repr(value)
    if isinstance(value, list | dict) and len(value) > 4:
        return f"{text} ({len(value):,} items)"
    return text


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the candidate that differs only in case, else the closest one."""
    names = list(candidates)
    if len(word) > SHOWN_CHARACTERS:  # no name is that long; matching megabytes would take seconds
        return ""
    same_but_case = [name for name in names if name.lower() == word.lower()]
    close = same_but_case or difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
