"""FineWeb quality stage, and the whole FineWeb recipe (pipelines/fineweb.yaml)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from curate.pipeline import Pipeline
from curate.stages.c4 import C4Quality
from curate.stages.fineweb import FineWebQuality
from curate.stages.gopher import GopherQuality, GopherRepetition
from tests.stages.heuristics_common import (
    datatrove_reasons,
    dolma_texts,
    frame,
    oscar_texts,
    quality_pair,
    reasons,
)

REPO = Path(__file__).resolve().parents[2]
LINE = "This line is long enough to count as a real line of prose."


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("\n \n\t\n", "empty"),
        ("\n".join([LINE.rstrip(".")] * 1 + [f"{LINE.rstrip('.')} {i}" for i in range(9)]), "line_punct_ratio"),
        ("\n".join([LINE] + [f"short line {i}." for i in range(5)]), "short_line_ratio"),
        ("\n".join([LINE, LINE, f"{LINE} Another one.", f"{LINE} And more."]), "char_dup_ratio"),
        ("\n".join(f"Supercalifragilistic{i}expialidociousness." for i in range(6)),
         "list_ratio"),
    ],
)
def test_each_rule_drops_with_datatrove_reason(text, reason):
    assert reasons(FineWebQuality(), text) == [reason]
    from datatrove.pipeline.filters import FineWebQualityFilter

    if reason != "empty":  # datatrove would also say "empty" here
        assert datatrove_reasons(FineWebQualityFilter(), [text]) == [reason]


def test_parameters_change_the_rules():
    no_punct = "\n".join(f"{LINE.rstrip('.')} {i}" for i in range(10))
    assert reasons(FineWebQuality(), no_punct) == ["line_punct_ratio"]
    assert reasons(FineWebQuality(line_punct_exclude_zero=True), no_punct) == [None]
    assert reasons(FineWebQuality(stop_chars=["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]), no_punct) == [None]


def test_real_documents_and_agreement_with_datatrove():
    from datatrove.pipeline.filters import FineWebQualityFilter

    good, bad = quality_pair()
    assert reasons(FineWebQuality(), good) == [None]
    q = FineWebQuality().compute(frame(good, bad))
    assert q["fineweb_short_line_ratio"][1] > q["fineweb_short_line_ratio"][0]
    texts = [good, bad, *dolma_texts(150)]
    got, want = reasons(FineWebQuality(), *texts), datatrove_reasons(FineWebQualityFilter(), texts)
    assert sum(g == w for g, w in zip(got, want, strict=True)) / len(texts) >= 0.98


def test_terminal_marks_of_other_scripts_count():
    text = "\n".join(["これは日本語の文章で、句点で終わります。"] + [f"二行目の文章も同じように終わります{i}。" for i in range(3)])
    q = FineWebQuality().compute(frame(text))
    assert q["fineweb_line_punct_ratio"][0] == 1.0
    assert reasons(FineWebQuality(), *oscar_texts("ja")) == datatrove_reasons(
        pytest.importorskip("datatrove.pipeline.filters").FineWebQualityFilter(), oscar_texts("ja")
    )


def test_empty_batch_keeps_columns():
    empty = frame().cast({"id": pl.String, "text": pl.String})
    assert FineWebQuality().compute(empty).schema == FineWebQuality().compute(frame(LINE)).schema


def test_fineweb_recipe_file_runs_in_datatrove_order():
    pipe = Pipeline.from_yaml(REPO / "pipelines" / "fineweb.yaml")
    assert [s.name for s in pipe.stages] == [
        "language", "gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality",
        "exact_dedup", "minhash_dedup",
    ]
    c4 = pipe.stages[3]
    assert isinstance(c4, C4Quality) and c4.filter_no_terminal_punct is False
    good, _ = quality_pair()
    kept, rejected = pipe.process(frame(good, *oscar_texts("fr")[:2]))
    assert kept["id"].to_list() == ["0"]
    assert set(rejected["stage"]) == {"language"}


def test_chained_stages_agree_with_datatrove_chain():
    """Gopher → C4 (rewrites text) → FineWeb, ours vs datatrove, like with like."""
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    pytest.importorskip("spacy")
    texts = dolma_texts(200)
    pipe = Pipeline([GopherRepetition(), GopherQuality(), C4Quality(filter_no_terminal_punct=False), FineWebQuality()])
    kept, rejected = pipe.process(frame(*texts))
    ours = dict(zip(rejected["id"], rejected["reason"], strict=True))
    chain = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(filter_no_terminal_punct=False),
             FineWebQualityFilter()]
    agree = 0
    for i, text in enumerate(texts):
        doc, reason = Document(text=text, id=str(i)), None
        for flt in chain:
            res = flt.filter(doc)
            if res is not True:
                reason = res[1]
                break
        agree += ours.get(str(i)) == reason
    assert agree / len(texts) >= 0.98
