"""Corpus-wide deduplication: exact (normalised text or URL) and MinHash LSH near-duplicates.

Both are global stages (map → reduce → apply): ``map`` writes each batch's signatures as Parquet,
``reduce`` finds duplicate clusters out of core in DuckDB (:mod:`curate.dedup.reduce`), ``apply``
adds ``dup_cluster`` (the id of the cluster's kept member; null if the document is unique) and
``dup_of`` (the id of the kept member, on every other member) and the rule drops every member but
the kept one with reason ``exact_dup`` / ``near_dup``. Documents in an ``index`` of earlier corpora
count as already kept, so new copies of them are dropped with ``dup_of`` pointing at the old id.

Example:
    >>> import polars as pl
    >>> from curate.stages.dedup import ExactDedup
    >>> df = pl.DataFrame({"id": ["a", "b", "c"], "text": ["Hello,  world!", "hello world", "other"]})
    >>> kept, rejected = ExactDedup().filter(df)
    >>> rejected.select("id", "dup_of", "reason").rows()
    [('b', 'a', 'exact_dup')]
"""


import os
from pathlib import Path
from typing import Literal

import polars as pl

from curate.dedup.index import band_columns, band_frame, open_index
from curate.dedup.reduce import find_clusters
from curate.dedup.signatures import MinHasher, exact_hashes
from curate.dedup.text import exact_expr, url_expr
from curate.registry import register_stage
from curate.stages.base import GlobalContext, GlobalStage, Rule

DUP_CLUSTER = "dup_cluster"
DUP_OF = "dup_of"
KeepPolicy = Literal["first", "longest", "highest_score"]

_decision_cache: dict[tuple, pl.DataFrame] = {}


class DedupStage(GlobalStage):
    """What exact and near dedup share: signatures per batch, DuckDB reduce, decision columns.

    Args:
        keep: which member of a cluster survives: ``first`` (smallest id), ``longest`` (most
            characters, then smallest id) or ``highest_score`` (largest ``score_column``, then smallest id).
        score_column: the column ``keep: highest_score`` ranks by.
        index: folder(s) built by ``curate dedup-index``; their documents count as already kept.
        memory_limit: DuckDB memory limit of the reduce step (it spills to disk beyond it).
    """

    reason: str = "dup"

    def __init__(
        self,
        keep: KeepPolicy = "first",
        score_column: str = "score",
        index: str | list[str] | None = None,
        memory_limit: str = "2GB",
    ):
        if keep not in ("first", "longest", "highest_score"):
            raise ValueError(f"keep must be one of first, longest, highest_score (got {keep!r})")
        self.keep = keep
        self.score_column = score_column
        self.index = [index] if isinstance(index, str) else list(index or [])
        self.memory_limit = memory_limit

    # what subclasses define ------------------------------------------------------------------
    def key_columns(self) -> list[str]:
        """Signature columns whose equal values put two documents in one cluster."""
        raise NotImplementedError

    def signatures(self, df: pl.DataFrame) -> pl.DataFrame:
        """The ``key_columns`` for a batch."""
        raise NotImplementedError

    def index_files(self) -> list[Path]:
        """Signature files of every configured index."""
        raise NotImplementedError

    # the global-stage contract ---------------------------------------------------------------
    def map(self, df: pl.DataFrame, ctx: GlobalContext, batch_index: int) -> pl.DataFrame:
        if df.height == 0:
            return df
        if self.keep == "highest_score" and self.score_column not in df.columns:
            raise ValueError(
                f"{self.name}: keep=highest_score ranks by column {self.score_column!r}, which this batch "
                f"lacks (columns: {', '.join(df.columns)}); put a scoring stage before dedup or set score_column"
            )
        score = (
            df[self.score_column].cast(pl.Float64)
            if self.keep == "highest_score"
            else pl.Series([None] * df.height, dtype=pl.Float64)
        )
        sigs = pl.DataFrame({
            "id": df["id"].cast(pl.String),
            "shard": pl.Series([ctx.shard] * df.height, dtype=pl.String),
            "n_chars": df["text"].cast(pl.String).str.len_chars().cast(pl.Int64),
            "score": score,
        }).hstack(self.signatures(df))
        path = ctx.map_path(batch_index)
        tmp = path.with_name(path.name + ".tmp")
        sigs.write_parquet(tmp)
        os.replace(tmp, path)
        return df

    def reduce(self, ctx: GlobalContext) -> None:
        find_clusters(
            ctx.work_dir, sorted(ctx.map_dir().glob("*.parquet")), self.index_files(), self.key_columns(),
            self.keep, memory_limit=self.memory_limit, threads=ctx.workers,
        )

    def apply(self, df: pl.DataFrame, ctx: GlobalContext) -> pl.DataFrame:
        decisions = _decisions(ctx.work_dir / "decisions.parquet", ctx.shard)
        ids = df.select(pl.col("id").cast(pl.String).alias("_dedup_key"))
        found = ids.join(decisions, left_on="_dedup_key", right_on="id", how="left", maintain_order="left")
        cluster, dup_of = found[DUP_CLUSTER], found[DUP_OF]
        if DUP_CLUSTER in df.columns:  # an earlier dedup stage's decisions survive where this one has none
            cluster = cluster.fill_null(df[DUP_CLUSTER].cast(pl.String))
        if DUP_OF in df.columns:
            dup_of = dup_of.fill_null(df[DUP_OF].cast(pl.String))
        return df.with_columns(cluster.alias(DUP_CLUSTER), dup_of.alias(DUP_OF))

    def rules(self) -> list[Rule]:
        return [Rule(self.reason, pl.col(DUP_OF).is_null(), "a copy of the document named in dup_of is kept")]


def _decisions(path: Path, shard: str | None) -> pl.DataFrame:
    """This shard's rows of the decisions file (cached per process: apply runs once per batch)."""
    schema = {"id": pl.String, DUP_CLUSTER: pl.String, DUP_OF: pl.String}
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the dedup reduce step has not run (rerun with --resume)")
    key = (str(path), path.stat().st_mtime_ns, shard)
    if key not in _decision_cache:
        _decision_cache.clear()
        frame = (
            pl.scan_parquet(path).filter(pl.col("shard") == shard).select("id", DUP_CLUSTER, DUP_OF).collect()
        )
        _decision_cache[key] = frame.cast(schema)  # type: ignore[arg-type]
    return _decision_cache[key]


@register_stage
class ExactDedup(DedupStage):
    """Exact duplicates of the normalised text (or URL): all but one copy dropped as ``exact_dup``.

    Text is normalised before hashing (NFKC, lowercase, runs of punctuation and whitespace → one
    space; see :mod:`curate.dedup.text`), so copies differing only in case, spacing or punctuation
    match. Hash: xxh3-64. Empty texts and null URLs are never duplicates.

    Args:
        on: ``text`` (normalised text) or ``url`` (normalised URL: lowercase, no fragment or trailing ``/``).
        keep, score_column, index, memory_limit: see :class:`DedupStage`.
    """

    name = "exact_dedup"
    reason = "exact_dup"

    def __init__(
        self,
        on: Literal["text", "url"] = "text",
        keep: KeepPolicy = "first",
        score_column: str = "score",
        index: str | list[str] | None = None,
        memory_limit: str = "2GB",
    ):
        if on not in ("text", "url"):
            raise ValueError(f"on must be 'text' or 'url' (got {on!r})")
        super().__init__(keep=keep, score_column=score_column, index=index, memory_limit=memory_limit)
        self.on = on
        self._files = [f for path in self.index for f in open_index(path, "exact")]

    def key_columns(self) -> list[str]:
        return [f"exact_{self.on}"]

    def signatures(self, df: pl.DataFrame) -> pl.DataFrame:
        if self.on == "url":
            url = pl.col("url").cast(pl.String) if "url" in df.columns else pl.lit(None, dtype=pl.String)
            normalised = df.select(url_expr(url)).to_series()
        else:
            normalised = df.select(exact_expr(pl.col("text").cast(pl.String))).to_series()
        return pl.DataFrame({self.key_columns()[0]: exact_hashes(normalised)})

    def index_files(self) -> list[Path]:
        return self._files


@register_stage
class MinHashDedup(DedupStage):
    """Near duplicates by MinHash LSH (datatrove's defaults): all but one per cluster dropped as ``near_dup``.

    Two documents are candidates when all ``hashes_per_bucket`` minima of any one of ``num_buckets``
    bands agree; clusters are the connected components of candidate pairs (no pairwise check, as in
    datatrove). With 14 × 8, a pair with Jaccard 0.8 is caught with probability
    ``1 - (1 - 0.8**8)**14 ≈ 0.92``, one with Jaccard 0.5 with ≈ 0.05.

    Args:
        n_grams: words per shingle, on datatrove-simplified text (documents with fewer words are never dups).
        num_buckets: LSH bands.
        hashes_per_bucket: MinHash values per band.
        seed: seed of the hash permutations (datatrove's draw from ``numpy.random.RandomState``).
        keep, score_column, index, memory_limit: see :class:`DedupStage`.
    """

    name = "minhash_dedup"
    reason = "near_dup"

    def __init__(
        self,
        n_grams: int = 5,
        num_buckets: int = 14,
        hashes_per_bucket: int = 8,
        seed: int = 1,
        keep: KeepPolicy = "first",
        score_column: str = "score",
        index: str | list[str] | None = None,
        memory_limit: str = "2GB",
    ):
        for pname, value in (("n_grams", n_grams), ("num_buckets", num_buckets), ("hashes_per_bucket", hashes_per_bucket)):
            if value < 1:
                raise ValueError(f"{pname} must be at least 1 (got {value})")
        super().__init__(keep=keep, score_column=score_column, index=index, memory_limit=memory_limit)
        self.n_grams = n_grams
        self.num_buckets = num_buckets
        self.hashes_per_bucket = hashes_per_bucket
        self.seed = seed
        self._files = [f for path in self.index for f in open_index(path, "minhash", self.hasher)]

    @property
    def hasher(self) -> MinHasher:
        """The signature maker for these parameters."""
        return MinHasher(self.n_grams, self.num_buckets, self.hashes_per_bucket, self.seed)

    def key_columns(self) -> list[str]:
        return band_columns(self.num_buckets)

    def signatures(self, df: pl.DataFrame) -> pl.DataFrame:
        return band_frame(df["text"], self.hasher)

    def index_files(self) -> list[Path]:
        return self._files
