"""Stratified, reproducible sampling of documents to annotate (bounded memory, streaming)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
import xxhash

STRATUM = "stratum"
NO_STRATUM = "(none)"
_KEY = "_sample_key"


def sample_keys(texts: list[str], seed: int) -> list[int]:
    """A pseudo-random but content-determined rank per text (same text + seed → same rank)."""
    return [xxhash.xxh3_64_intdigest((t or "").encode("utf-8", "surrogatepass"), seed=seed) for t in texts]


def allocate(sizes: dict[str, int], n: int, allocation: str = "balanced") -> dict[str, int]:
    """How many documents to draw from each stratum of ``sizes`` to make ``n`` in total.

    ``balanced`` gives every stratum an equal share and hands what small strata cannot fill to the
    others; ``proportional`` follows stratum sizes (largest remainder).
    """
    if allocation not in ("balanced", "proportional"):
        raise ValueError(f"allocation must be 'balanced' or 'proportional', got {allocation!r}")
    total = sum(sizes.values())
    n = min(n, total)
    if allocation == "proportional" and total:
        exact = {k: n * v / total for k, v in sizes.items()}
        quota = {k: int(x) for k, x in exact.items()}
        for k in sorted(exact, key=lambda k: (-(exact[k] - quota[k]), k))[: n - sum(quota.values())]:
            quota[k] += 1
        return quota
    quota, left = {}, n
    order = sorted(sizes, key=lambda k: (sizes[k], k))
    for i, k in enumerate(order):
        share = left // (len(order) - i)
        quota[k] = min(sizes[k], share)
        left -= quota[k]
    # integer division may leave a few documents over: give them to strata that still have room
    for k in sorted(order, key=lambda k: -sizes[k]):
        if left == 0:
            break
        extra = min(left, sizes[k] - quota[k])
        quota[k] += extra
        left -= extra
    return quota


def stratified_sample(batches: Iterable[pl.DataFrame], n: int, stratify_by: str | None = None,
                      seed: int = 0, allocation: str = "balanced") -> pl.DataFrame:
    """Draw ``n`` documents from ``batches`` (``id``, ``text`` and, if stratifying, the column
    ``stratify_by``), keeping at most ``n`` per stratum in memory. Returns the sample with a
    ``stratum`` column, ordered by stratum then sample rank; the same inputs and seed give the
    same sample, and a larger ``n`` extends a smaller one within each stratum.
    """
    if n < 1:
        raise ValueError(f"sample size must be at least 1, got {n}")
    kept: pl.DataFrame | None = None
    sizes: dict[str, int] = {}
    for batch in batches:
        if batch.height == 0:
            continue
        if stratify_by is not None and stratify_by not in batch.columns:
            raise ValueError(f"cannot stratify by {stratify_by!r}: the input has columns {batch.columns}")
        stratum = (pl.col(stratify_by).cast(pl.String).fill_null(NO_STRATUM) if stratify_by
                   else pl.lit(NO_STRATUM))
        frame = batch.select(pl.col("id"), pl.col("text"), stratum.alias(STRATUM)).with_columns(
            pl.Series(_KEY, sample_keys(batch["text"].to_list(), seed), dtype=pl.UInt64))
        for k, c in frame.group_by(STRATUM).len().iter_rows():
            sizes[k] = sizes.get(k, 0) + c
        both = frame if kept is None else pl.concat([kept, frame])
        kept = both.sort(_KEY, STRATUM).group_by(STRATUM, maintain_order=True).head(n).select(frame.columns)
    if kept is None:
        return pl.DataFrame(schema={"id": pl.String, "text": pl.String, STRATUM: pl.String})
    quota = allocate(sizes, n, allocation)
    parts = [kept.filter(pl.col(STRATUM) == k).sort(_KEY).head(q) for k, q in sorted(quota.items()) if q]
    return pl.concat(parts).drop(_KEY) if parts else kept.clear().drop(_KEY)
