"""Educational-value scoring: a classifier's 0-5 ``score`` and ``int_score``, kept by threshold or top percentile."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import polars as pl

from curate.registry import register_stage
from curate.schema import ID, TEXT
from curate.stages.base import GlobalContext, GlobalStage, Rule, Stage

REPO = Path(__file__).resolve().parents[2]
#: The shipped default educational-value model (``pipelines/textbook.yaml`` uses it with no flags).
DEFAULT_MODEL = REPO / "classifiers" / "edu_default"
SCORE, INT_SCORE = "score", "int_score"


def resolve_model(model: str | None) -> Path:
    """The classifier folder for ``model``: a path (absolute, relative to the working directory or to
    the repository), or the shipped default when None."""
    if model is None:
        if not (DEFAULT_MODEL / "model.json").is_file():
            raise FileNotFoundError(
                f"the default educational-value model is missing ({DEFAULT_MODEL}); pass model: PATH "
                f"to a folder written by `curate train`, or build the default with the script in the repo")
        return DEFAULT_MODEL
    path = Path(model).expanduser()
    for candidate in (path, REPO / path):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"classifier not found: {model!r} (looked in {Path.cwd()} and {REPO}); "
                            f"train one with `curate train ... --output DIR`")


@register_stage
class EduScore(Stage):
    """A saved classifier's educational-value ``score`` (0-5 float) and FineWeb-Edu's ``int_score``.

    Args:
        model: classifier folder written by ``curate train`` (or a fastText ``.bin``); None uses the
            shipped ``classifiers/edu_default``.
        min_int_score: keep documents with ``int_score >= min_int_score`` (FineWeb-Edu: 3); rejected
            rows get reason ``low_edu_score``. ``None`` only adds the columns (e.g. for
            ``score_percentile``).

    The model is loaded on first use and not pickled with the stage (workers load their own).
    """

    name = "edu_score"

    def __init__(self, model: str | None = None, min_int_score: int | None = 3):
        if min_int_score is not None and not 0 <= min_int_score <= 5:
            raise ValueError(f"min_int_score must be between 0 and 5 (or null), got {min_int_score}")
        self.model = model
        self.min_int_score = min_int_score
        self.model_path = resolve_model(model)
        self._clf = None

    @property
    def classifier(self):
        """The loaded classifier (loaded on first access)."""
        if self._clf is None:
            from curate.classifiers import load_classifier

            self._clf = load_classifier(self.model_path)
        return self._clf

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        if df.height == 0:
            return df.with_columns(pl.lit(None, dtype=pl.Float64).alias(SCORE),
                                   pl.lit(None, dtype=pl.Int64).alias(INT_SCORE))
        from curate.classifiers.base import int_score

        text = pl.col(TEXT).fill_null("")
        max_chars = getattr(self.classifier, "max_chars", None)
        if max_chars:  # the model reads only this prefix: cut it in Polars, not after copying to Python
            text = text.str.slice(0, max_chars)
        scores = self.classifier.predict(df.select(text)[TEXT].to_list())
        return df.with_columns(pl.Series(SCORE, scores, dtype=pl.Float64),
                               pl.Series(INT_SCORE, int_score(scores), dtype=pl.Int64))

    def rules(self) -> list[Rule]:
        if self.min_int_score is None:
            return []
        return [Rule("low_edu_score", pl.col(INT_SCORE) >= self.min_int_score,
                     f"educational int_score below {self.min_int_score}")]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_clf"] = None
        return state


@register_stage
class ScorePercentile(GlobalStage):
    """Keep the top ``top_percent`` % of documents by ``score_column`` across the whole corpus (DCLM: 10%).

    Needs the score column from an earlier stage (``edu_score`` with ``min_int_score: null``). Map
    writes (id, score) per batch, reduce finds the corpus-wide threshold with DuckDB's
    ``quantile_cont``, apply adds ``score_threshold`` and rejects rows below it with reason
    ``below_score_percentile`` (ties at the threshold are kept).

    Args:
        top_percent: share of documents to keep, in percent (0 < top_percent <= 100).
        score_column: the column to rank by.
    """

    name = "score_percentile"

    def __init__(self, top_percent: float = 10.0, score_column: str = SCORE):
        if not 0 < top_percent <= 100:
            raise ValueError(f"top_percent must be in (0, 100], got {top_percent}")
        self.top_percent = top_percent
        self.score_column = score_column
        self._thresholds: dict[str, float | None] = {}

    def map(self, df: pl.DataFrame, ctx: GlobalContext, batch_index: int) -> pl.DataFrame:
        if self.score_column not in df.columns:
            raise ValueError(f"score_percentile needs a {self.score_column!r} column; put `edu_score` "
                             f"(with min_int_score: null) before it, or set score_column")
        path = ctx.map_path(batch_index)
        tmp = path.with_name(f".{path.name}.tmp")
        df.select(pl.col(ID), pl.col(self.score_column).cast(pl.Float64).alias("score")).write_parquet(tmp)
        os.replace(tmp, path)
        return df

    def reduce(self, ctx: GlobalContext) -> None:
        import duckdb

        threshold, n = None, 0
        if any(ctx.map_dir().glob("*.parquet")):
            q = 1.0 - self.top_percent / 100.0
            pattern = str(ctx.map_dir() / "*.parquet").replace("'", "''")
            con = duckdb.connect()
            try:  # out of core: DuckDB streams every shard's (id, score) files
                threshold, n = con.execute(f"select quantile_cont(score, {q}), count(score) "
                                           f"from read_parquet('{pattern}')").fetchall()[0]
            finally:
                con.close()
        out = {"threshold": threshold, "n_scored": n, "top_percent": self.top_percent,
               "score_column": self.score_column}
        tmp = ctx.work_dir / ".threshold.json.tmp"
        tmp.write_text(json.dumps(out))
        os.replace(tmp, ctx.work_dir / "threshold.json")

    def threshold(self, ctx: GlobalContext) -> float | None:
        """The corpus-wide score threshold computed by ``reduce``."""
        key = str(ctx.work_dir)
        if key not in self._thresholds:
            path = ctx.work_dir / "threshold.json"
            if not path.is_file():
                raise RuntimeError(f"score_percentile: reduce has not run ({path} missing)")
            self._thresholds[key] = json.loads(path.read_text())["threshold"]
        return self._thresholds[key]

    def apply(self, df: pl.DataFrame, ctx: GlobalContext) -> pl.DataFrame:
        return df.with_columns(pl.lit(self.threshold(ctx), dtype=pl.Float64).alias("score_threshold"))

    def rules(self) -> list[Rule]:
        return [Rule("below_score_percentile", pl.col(self.score_column) >= pl.col("score_threshold"),
                     f"score below the corpus-wide top-{self.top_percent}% threshold")]
