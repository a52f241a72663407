"""Reading a score and its justification out of an LLM's free-text (or JSON) answer."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_NUM = r"(\d+(?:\.\d+)?)"
#: "Educational score: 3", "**Score:** 4/5", "score = 2 out of 5", "Rating - 3", "Total points: 4".
SCORE_LINE = re.compile(
    r"(?:educational[ _-]*)?(?:value[ _-]*)?(?:score|rating|points?|total)\b[*_\s]*(?:is|of|[:=\-–])?[*_\s]*"
    + _NUM + r"\s*(?:/\s*5|out\s+of\s+5)?",
    re.IGNORECASE,
)
JSON_OBJECT = re.compile(r"\{[^{}]*\}", re.DOTALL)
BARE_LAST = re.compile(r"^[*_\s]*" + _NUM + r"\s*(?:/\s*5)?[*_.\s]*$")
SCORE_KEYS = ("score", "educational_score", "edu_score", "rating", "points", "total")
WHY_KEYS = ("justification", "reason", "reasoning", "explanation", "rationale", "comment")


@dataclass(frozen=True)
class Parsed:
    """A parsed answer: ``score`` in [0, 5] (None when no valid score was found) and the justification."""

    score: float | None
    justification: str


def parse_score(answer: str | None, max_score: float = 5.0) -> Parsed:
    """Find the score in an LLM answer (JSON object, a "score: N" line, or a bare last-line number).

    The last valid match wins, so an answer that quotes the rubric's "+1" lines before its verdict
    still parses. Scores outside [0, ``max_score``] are rejected.

    Example:
        >>> parse_score("Clear tutorial on fractions.\\nEducational score: 4")
        Parsed(score=4.0, justification='Clear tutorial on fractions.')
    """
    text = (answer or "").strip()
    if not text:
        return Parsed(None, "")
    for block in reversed(JSON_OBJECT.findall(text)):
        found = _from_json(block, max_score)
        if found is not None:
            return found
    matches = [m for m in SCORE_LINE.finditer(text) if _valid(m.group(1), max_score)]
    if matches:
        m = matches[-1]
        why = (text[: m.start()] + text[m.end():]).strip()
        return Parsed(float(m.group(1)), _clean(why))
    lines = text.splitlines()
    m = BARE_LAST.match(lines[-1])
    if m and _valid(m.group(1), max_score):
        return Parsed(float(m.group(1)), _clean("\n".join(lines[:-1])))
    return Parsed(None, _clean(text))


def _from_json(block: str, max_score: float) -> Parsed | None:
    try:
        obj = json.loads(block)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    lowered = {str(k).lower(): v for k, v in obj.items()}
    for key in SCORE_KEYS:
        value = lowered.get(key)
        if isinstance(value, (int, float, str)) and not isinstance(value, bool) and _valid(str(value), max_score):
            why = next((str(lowered[k]) for k in WHY_KEYS if lowered.get(k)), "")
            return Parsed(float(value), _clean(why))
    return None


def _valid(value: str, max_score: float) -> bool:
    try:
        v = float(value)
    except ValueError:
        return False
    return 0.0 <= v <= max_score


def _clean(text: str) -> str:
    text = re.sub(r"^[*_\s]*(?:justification|reasoning|explanation|reason)[*_\s]*[:\-]+[*_\s]*", "",
                  text.strip(), flags=re.IGNORECASE)
    return re.sub(r"\n{3,}", "\n\n", text).strip(" \n*_")
