"""Shared inputs for the heuristic-filter tests: real documents and the datatrove reference."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest

from tests.conftest import shared

DOLMA = ("web_text", "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
OSCAR = ("web_text", "oscar2019_hfdatasets_dummy_166langs.jsonl.gz")


def jsonl(*parts: str) -> list[dict]:
    """Records of a (gzipped) JSONL file under ../shared/data."""
    path = shared(*parts)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def dolma_texts(limit: int | None = None) -> list[str]:
    """Texts of the real Common Crawl extract (English-heavy, boilerplate-heavy)."""
    texts = [r["text"] for r in jsonl(*DOLMA)]
    return texts[:limit] if limit else texts


def oscar_texts(lang: str) -> list[str]:
    """Real OSCAR documents labelled ``lang`` (fastText silver labels)."""
    return [r["text"] for r in jsonl(*OSCAR) if r["lang"] == lang]


def quality_pair() -> tuple[str, str]:
    """(encyclopedia article, forum boilerplate) from ../shared/data/quality."""
    good = shared("quality", "cs336_high_quality_wiki_reference.txt").read_text(encoding="utf-8")
    bad = shared("quality", "cs336_low_quality_cc.txt").read_text(encoding="utf-8")
    return good, bad


def frame(*texts: str) -> pl.DataFrame:
    """A batch with ids and the given texts."""
    return pl.DataFrame({"id": [str(i) for i in range(len(texts))], "text": list(texts)})


def reasons(stage, *texts: str) -> list[str | None]:
    """The drop reason our stage gives each text (None when kept), in input order."""
    df = frame(*texts)
    kept, rejected = stage.filter(df)
    by_id = dict(zip(rejected["id"].to_list(), rejected["reason"].to_list(), strict=True))
    return [by_id.get(i) for i in df["id"].to_list()]


def datatrove_reasons(flt, texts: list[str]) -> list[str | None]:
    """datatrove's verdict per text: None when kept, else its drop reason."""
    dt = pytest.importorskip("datatrove.data")
    pytest.importorskip("spacy", reason="datatrove's word tokenizer needs spacy (the dev extra)")
    out = []
    for i, text in enumerate(texts):
        res = flt.filter(dt.Document(text=text, id=str(i)))
        out.append(None if res is True else (res[1] if isinstance(res, tuple) else "dropped"))
    return out
