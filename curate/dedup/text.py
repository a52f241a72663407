"""Text normalisation for dedup: what two documents must share to count as the same text.

``simplify_expr`` follows datatrove's ``simplify_text`` (its MinHash default): lowercase; every run of
digits (with one optional decimal part, any script) becomes ``0``; punctuation becomes a space;
whitespace runs collapse to one space; diacritics are removed (NFD, combining marks dropped); trimmed.
Punctuation here is Unicode category P plus ``$+<=>^`|~►`` and C0/C1 control characters, a superset
of datatrove's list (it also covers e.g. ``¿`` and ``§``).

``exact_expr`` is the normalisation for exact dedup: lowercase, NFKC, every run of punctuation and
whitespace becomes one space, trimmed. Two documents that differ only in case, spacing or
punctuation are exact duplicates.
"""

from __future__ import annotations

import polars as pl

#: Characters simplify_expr turns into spaces (see module docstring).
PUNCTUATION_CLASS = r"\p{P}$+<=>^`|~►\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
NUMBER_PATTERN = r"\p{Nd}+([.,،٫⎖⎗⎘]\p{Nd}+)?"


def simplify_expr(text: pl.Expr) -> pl.Expr:
    """Datatrove-style simplified text (MinHash shingling input); null stays null."""
    return (
        text.str.to_lowercase()
        .str.replace_all(NUMBER_PATTERN, "0")
        .str.replace_all(f"[\\s{PUNCTUATION_CLASS}]+", " ")
        .str.normalize("NFD")
        .str.replace_all(r"\p{Mn}+", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def exact_expr(text: pl.Expr) -> pl.Expr:
    """Normalised text for exact dedup (case, punctuation and whitespace ignored)."""
    return (
        text.str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[\s\p{P}]+", " ")
        .str.strip_chars()
    )


def url_expr(url: pl.Expr) -> pl.Expr:
    """Normalised URL for URL dedup: trimmed, lowercased, ``#fragment`` and trailing ``/`` removed."""
    return url.str.strip_chars().str.to_lowercase().str.replace(r"#.*$", "").str.strip_chars_end("/")
