"""The streaming engine: shards through phases of stages into kept / rejected Parquet, accounted for.

A pipeline's stages are cut into *phases* at each global stage. Phase ``k`` reads each shard
(the input file in phase 0, the survivors of phase ``k-1`` after that), applies the previous
global stage's decisions, runs its batch stages, and either hands survivors to the next global
stage's map step (``_state/phase<k>/``) or writes them to ``kept/``. Between phases the global
stage's reduce step runs once. Every shard-phase ends with an atomic marker holding its counts,
which is what ``--resume`` trusts and what the catalog's ``stage_stats`` is summed from.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from curate.io.readers import FieldMap, Unreadable, make_reader
from curate.io.writer import ShardWriter, align
from curate.schema import REASON, STAGE
from curate.stages.base import GlobalContext, GlobalStage, RuleStats, Stage, apply_rules

log = logging.getLogger("curate")

ProgressFn = Callable[[dict], None]

UNREADABLE_SCHEMA = {"file": pl.String(), "offset": pl.Int64(), "record": pl.Int64(), "error": pl.String()}


@dataclass(frozen=True)
class Shard:
    """One input file and the stable key its outputs are named by."""

    path: str
    name: str
    format: str

    @property
    def key(self) -> str:
        """File-name-safe, stable key: a readable slug plus a hash of the name."""
        base = self.name.rstrip("/").rsplit("/", 1)[-1]
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:60].strip("._") or "shard"
        digest = hashlib.sha1(self.name.encode()).hexdigest()[:8]
        return f"{slug}-{digest}"


@dataclass
class Phase:
    """Batch stages between two global stages."""

    index: int
    global_in: tuple[str, GlobalStage] | None
    local: list[tuple[str, Stage]]
    global_out: tuple[str, GlobalStage] | None


@dataclass
class Plan:
    """Everything a worker needs to process one shard in one phase (picklable)."""

    out: Path
    stages: list[tuple[str, Stage]]
    fields: FieldMap
    batch_size: int
    reader_options: dict = field(default_factory=dict)
    formats: tuple[str, ...] = ("jsonl",)
    phases: list[Phase] = field(default_factory=list)
    schemas: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.phases:
            self.phases = split_phases(self.stages)
        if not self.schemas:
            self.schemas = infer_schemas(self)

    def reader(self, fmt: str, on_unreadable=None):
        """A reader for ``fmt`` configured like this plan's."""
        opts = self.reader_options.get(fmt, {})
        return make_reader(fmt, fields=self.fields, batch_size=self.batch_size, on_unreadable=on_unreadable, **opts)

    def input_schema(self) -> dict[str, pl.DataType]:
        """Union of the schemas of the readers of every input format in the run."""
        schema: dict[str, pl.DataType] = {}
        for fmt in self.formats:
            for name, dtype in self.reader(fmt).schema().items():
                schema.setdefault(name, dtype)
        return schema

    @property
    def state(self) -> Path:
        """The run's ``_state`` folder."""
        return self.out / "_state"

    def global_ctx(self, phase: int, label: str, shard: str | None = None, workers: int = 1) -> GlobalContext:
        """Work folder of the global stage ``label`` that ends phase ``phase``."""
        return GlobalContext(work_dir=self.state / "global" / f"{phase}-{label}", shard=shard, workers=workers)

    def marker(self, phase: int, shard: Shard) -> Path:
        """Completion marker of one shard in one phase."""
        return self.state / "shards" / f"p{phase}" / f"{shard.key}.json"


def label_stages(stages: list[Stage]) -> list[tuple[str, Stage]]:
    """Give every stage a unique label: its name, with ``#2``, ``#3`` for repeats."""
    seen: dict[str, int] = {}
    out = []
    for stage in stages:
        seen[stage.name] = seen.get(stage.name, 0) + 1
        out.append((stage.name if seen[stage.name] == 1 else f"{stage.name}#{seen[stage.name]}", stage))
    return out


def split_phases(stages: list[tuple[str, Stage]]) -> list[Phase]:
    """Cut the stage list at each global stage."""
    phases: list[Phase] = []
    current: list[tuple[str, Stage]] = []
    global_in = None
    for label, stage in stages:
        if isinstance(stage, GlobalStage):
            phases.append(Phase(len(phases), global_in, current, (label, stage)))
            global_in, current = (label, stage), []
        else:
            current.append((label, stage))
    phases.append(Phase(len(phases), global_in, current, None))
    return phases


def infer_schemas(plan: Plan) -> dict[str, dict]:
    """Output schemas found by running every stage on an empty batch (stages must accept one)."""
    df = pl.DataFrame(schema=plan.input_schema())
    schemas: dict[str, dict] = {}
    for phase in plan.phases:
        if phase.global_in is not None:
            df = phase.global_in[1].compute(df)
        for label, stage in phase.local:
            try:
                df = stage.compute(df)
            except Exception as exc:
                raise RuntimeError(f"stage {label!r} failed on an empty batch: {exc}") from exc
        schemas[f"phase{phase.index}"] = dict(df.schema)
    full = dict(df.schema)
    schemas["kept"] = full
    # every signal of every stage, so rejected rows of any stage share one schema
    rejected = dict(full)
    rejected[REASON] = pl.String()
    rejected[STAGE] = pl.String()
    schemas["rejected"] = rejected
    return schemas


@dataclass
class ShardResult:
    """Counts of one shard in one phase (what its marker holds)."""

    shard: str
    phase: int
    n_read: int = 0
    n_in: int = 0
    n_out: int = 0
    n_rejected: int = 0
    n_unreadable: int = 0
    n_repaired: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    rules: list[dict] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        """Marker content."""
        return json.dumps(asdict(self))


def _merge_rule_stats(acc: dict[tuple, RuleStats], stats: list[RuleStats]) -> None:
    for st in stats:
        key = (st.stage, st.rule)
        if key in acc:
            acc[key].n_in += st.n_in
            acc[key].n_dropped += st.n_dropped
        else:
            acc[key] = RuleStats(st.stage, st.rule, st.n_in, st.n_dropped)


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _iter_parquet(path: Path, batch_size: int) -> Iterator[pl.DataFrame]:
    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=batch_size):
        df = pl.from_arrow(batch)
        assert isinstance(df, pl.DataFrame)
        yield df


def run_stages(
    df: pl.DataFrame, stages: list[tuple[str, Stage]], acc: dict[tuple, RuleStats]
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Run batch stages in order; return survivors and the rejected frames (with reason/stage)."""
    rejected = []
    for label, stage in stages:
        df = stage.compute(df)
        df, rej, stats = apply_rules(df, stage.rules(), label)
        _merge_rule_stats(acc, stats)
        if rej.height:
            rejected.append(rej)
    return df, rejected


def process_shard(plan: Plan, shard: Shard, phase_index: int, progress: ProgressFn | None = None) -> ShardResult:
    """Run one phase of the pipeline over one shard and write its outputs atomically."""
    phase = plan.phases[phase_index]
    last = phase.global_out is None
    result = ShardResult(shard=shard.key, phase=phase_index)
    started = time.perf_counter()
    acc: dict[tuple, RuleStats] = {}
    unreadable: list[Unreadable] = []

    out_path = (
        plan.out / "kept" / f"{shard.key}.parquet"
        if last
        else plan.state / f"phase{phase_index}" / f"{shard.key}.parquet"
    )
    out_schema = plan.schemas["kept"] if last else plan.schemas[f"phase{phase_index}"]
    rej_name = f"{shard.key}.parquet" if phase_index == 0 else f"{shard.key}.p{phase_index}.parquet"
    kept_writer = ShardWriter(out_path, out_schema)
    rej_writer = ShardWriter(plan.out / "rejected" / rej_name, plan.schemas["rejected"])
    ctx_in = ctx_out = None
    if phase.global_in is not None:
        ctx_in = plan.global_ctx(phase_index - 1, phase.global_in[0], shard.key)
    if phase.global_out is not None:
        ctx_out = plan.global_ctx(phase_index, phase.global_out[0], shard.key)
        for stale in ctx_out.map_dir().glob(f"{shard.key}-*"):
            stale.unlink()

    reader = None
    if phase_index == 0:
        reader = plan.reader(shard.format, on_unreadable=unreadable.append)
        in_schema = plan.input_schema()
        source: Iterator[pl.DataFrame] = (align(b, in_schema) for b in reader.read(shard.path, shard.name))
    else:
        prev = plan.state / f"phase{phase_index - 1}" / f"{shard.key}.parquet"
        source = _iter_parquet(prev, plan.batch_size)

    try:
        last_bytes = 0
        n_unreadable_seen = 0
        for batch_index, df in enumerate(source):
            result.n_in += df.height
            rejected: list[pl.DataFrame] = []
            if phase.global_in is not None:
                label, gstage = phase.global_in
                df = gstage.apply(df, ctx_in)
                df, rej, stats = apply_rules(df, gstage.rules(), label)
                _merge_rule_stats(acc, stats)
                if rej.height:
                    rejected.append(rej)
            df, more = run_stages(df, phase.local, acc)
            rejected.extend(more)
            if phase.global_out is not None:
                df = phase.global_out[1].map(df, ctx_out, batch_index)
            kept_writer.write(df)
            for rej in rejected:
                rej_writer.write(rej)
                result.n_rejected += rej.height
            result.n_out += df.height
            if progress is not None:
                now_bytes = reader.bytes_read if reader is not None else 0
                progress({
                    "docs": df.height + sum(r.height for r in rejected),
                    "unreadable": len(unreadable) - n_unreadable_seen,
                    "bytes": max(0, now_bytes - last_bytes),
                    "kept": df.height if last else 0,
                    "phase": phase_index,
                })
                last_bytes, n_unreadable_seen = now_bytes, len(unreadable)
        if reader is not None:
            result.bytes_read = reader.bytes_read
            result.n_repaired = getattr(reader, "n_repaired", 0)
            result.skipped = dict(getattr(reader, "skipped", {}) or {})
            if progress is not None:
                progress({"docs": 0, "unreadable": len(unreadable) - n_unreadable_seen,
                          "bytes": max(0, reader.bytes_read - last_bytes), "kept": 0, "phase": 0})
    except BaseException:
        kept_writer.abort()
        rej_writer.abort()
        raise

    kept_writer.close()
    rej_writer.close()
    if phase_index == 0:
        unreadable_writer = ShardWriter(plan.state / "unreadable" / f"{shard.key}.parquet", UNREADABLE_SCHEMA)
        if unreadable:
            unreadable_writer.write(pl.DataFrame(
                {"file": [u.file for u in unreadable], "offset": [u.offset for u in unreadable],
                 "record": [u.record for u in unreadable], "error": [u.error for u in unreadable]},
                schema=UNREADABLE_SCHEMA,
            ))
        unreadable_writer.close()
        for u in unreadable:
            log.info("unreadable: %s", u)
        if unreadable:
            log.warning("%s: %d unreadable record(s), first: %s", shard.name, len(unreadable), unreadable[0])
    result.n_unreadable = len(unreadable)
    result.n_read = result.n_in + result.n_unreadable if phase_index == 0 else 0
    result.seconds = time.perf_counter() - started
    result.rules = [
        {"stage": s.stage, "rule": s.rule, "n_in": s.n_in, "n_dropped": s.n_dropped} for s in acc.values()
    ]
    if result.n_in != result.n_out + result.n_rejected:  # the accounting invariant, checked per shard
        raise RuntimeError(
            f"{shard.name}: {result.n_in} documents entered phase {phase_index} but "
            f"{result.n_out} kept + {result.n_rejected} rejected came out"
        )
    _atomic_write_text(plan.marker(phase_index, shard), result.to_json())
    return result
