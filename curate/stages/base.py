"""The stage contract: signals as columns first, keep/drop rules over those columns second.

A :class:`Stage` adds signal columns to a Polars batch (``compute``) and names the rules
(``rules``) that decide which rows survive. The engine evaluates the rules in order; a row
that fails one is rejected with ``reason`` = that rule's name and ``stage`` = the stage's name.
Calling a stage on a DataFrame (``df.pipe(stage)``) returns the batch with the signal columns
and filters nothing, so library users get the same signals the pipeline writes.

A :class:`GlobalStage` (dedup, corpus-wide percentiles) needs the whole corpus. It runs as
map (per shard) → reduce (once, out of core) → apply (per shard), each step resumable.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import polars as pl

from curate.schema import REASON, STAGE


@dataclass(frozen=True)
class Rule:
    """A named keep-condition over signal columns; rows where ``keep`` is False are dropped.

    A null result (signal not applicable to this row) keeps the row.
    """

    name: str
    keep: pl.Expr
    description: str = ""

    def __str__(self) -> str:
        return f"{self.name}: keep where {self.keep}"


class Stage:
    """Base class for a batch stage: subclass, set ``name``, implement ``compute`` and ``rules``."""

    #: Registry name used in pipeline files (``type: <name>``) and in the ``stage`` column.
    name: ClassVar[str] = "stage"

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        """Return ``df`` with this stage's signal columns added (must accept an empty batch)."""
        return df

    def rules(self) -> list[Rule]:
        """Return the keep-rules evaluated, in order, after ``compute``."""
        return []

    def __call__(self, df: pl.DataFrame) -> pl.DataFrame:
        """Compute the signals on ``df`` without filtering (``df.pipe(stage)``)."""
        return self.compute(df)

    def filter(self, df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Compute signals and split ``df`` into (kept, rejected-with-``reason``-and-``stage``)."""
        kept, rejected, _ = apply_rules(self.compute(df), self.rules(), self.name)
        return kept, rejected

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


@dataclass
class RuleStats:
    """Rows entering and dropped by one rule of one stage within a batch or a shard."""

    stage: str
    rule: str | None
    n_in: int = 0
    n_dropped: int = 0

    @property
    def n_out(self) -> int:
        """Rows that passed this rule."""
        return self.n_in - self.n_dropped


def reason_expr(rules: Sequence[Rule]) -> pl.Expr:
    """Expression giving the name of the first rule a row fails, or null if it passes all."""
    if not rules:
        return pl.lit(None, dtype=pl.String)
    expr = pl.when(~rules[0].keep.fill_null(True)).then(pl.lit(rules[0].name))
    for rule in rules[1:]:
        expr = expr.when(~rule.keep.fill_null(True)).then(pl.lit(rule.name))
    return expr.otherwise(pl.lit(None, dtype=pl.String))


def apply_rules(
    df: pl.DataFrame, rules: Sequence[Rule], stage_name: str
) -> tuple[pl.DataFrame, pl.DataFrame, list[RuleStats]]:
    """Split ``df`` by ``rules`` into kept rows, rejected rows (with reason/stage) and per-rule stats."""
    if not rules:
        return df, df.clear().with_columns(
            pl.lit(None, dtype=pl.String).alias(REASON), pl.lit(stage_name).alias(STAGE)
        ), [RuleStats(stage_name, None, df.height, 0)]
    tagged = df.with_columns(reason_expr(rules).alias(REASON))
    failed = tagged.filter(pl.col(REASON).is_not_null())
    kept = tagged.filter(pl.col(REASON).is_null()).drop(REASON)
    rejected = failed.with_columns(pl.lit(stage_name).alias(STAGE))
    counts = dict(failed.group_by(REASON).len().iter_rows()) if failed.height else {}
    stats, remaining = [], df.height
    for rule in rules:
        dropped = counts.get(rule.name, 0)
        stats.append(RuleStats(stage_name, rule.name, remaining, dropped))
        remaining -= dropped
    return kept, rejected, stats


@dataclass
class GlobalContext:
    """Where a global stage keeps its intermediates for one run (``_state/global/<stage>``)."""

    work_dir: Path
    shard: str | None = None
    workers: int = 1
    extra: dict = field(default_factory=dict)

    def map_dir(self) -> Path:
        """Folder of per-shard map outputs."""
        path = self.work_dir / "map"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def map_path(self, batch_index: int) -> Path:
        """Path for this shard's map output of batch ``batch_index`` (write it atomically)."""
        assert self.shard is not None, "map_path needs a shard"
        return self.map_dir() / f"{self.shard}-{batch_index:06d}.parquet"


class GlobalStage(Stage):
    """A stage whose decision needs the whole corpus: map per shard, reduce once, apply per shard."""

    def map(self, df: pl.DataFrame, ctx: GlobalContext, batch_index: int) -> pl.DataFrame:
        """Compute per-document signatures for one batch, write them under ``ctx``; return ``df``."""
        return df

    def reduce(self, ctx: GlobalContext) -> None:
        """Combine every shard's map output into decisions stored under ``ctx.work_dir``."""

    def apply(self, df: pl.DataFrame, ctx: GlobalContext) -> pl.DataFrame:
        """Add the decision columns for the rows of ``df`` (``rules`` are evaluated on them)."""
        return df

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        """Run map → reduce → apply on a single in-memory DataFrame (library use)."""
        with tempfile.TemporaryDirectory(prefix=f"curate-{self.name}-") as tmp:
            ctx = GlobalContext(work_dir=Path(tmp), shard="frame")
            df = self.map(df, ctx, 0)
            self.reduce(GlobalContext(work_dir=Path(tmp)))
            return self.apply(df, GlobalContext(work_dir=Path(tmp), shard="frame"))
