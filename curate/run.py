"""A run's life after planning: phases on an executor, reduce steps, and the final accounting.

The state of a run (plan, shards, run id) is saved in ``_state/run.pkl`` so that any process —
a Ray task, a Slurm array job, a resumed run — can pick up a step: ``execute_phase``,
``reduce_phase`` and ``finalize`` each read what they need from disk.
"""

from __future__ import annotations

import json
import logging
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from curate import __version__
from curate.catalog import RunRecord, write_catalog
from curate.engine import Plan, Shard, ShardResult
from curate.io.files import file_size
from curate.progress import RunProgress

log = logging.getLogger("curate")

STATE_FILE = "run.pkl"


@dataclass
class RunSummary:
    """What a run did: where it wrote and how every input record was accounted for."""

    output: Path
    run_id: str
    n_read: int
    n_kept: int
    n_rejected: int
    n_unreadable: int
    n_repaired: int
    bytes_read: int
    seconds: float
    shards: int
    shards_skipped: int
    skipped_records: dict[str, int] | None = None

    def __str__(self) -> str:
        share = f" ({self.n_kept / self.n_read:.1%})" if self.n_read else ""
        return (
            f"read {self.n_read:,} = kept {self.n_kept:,}{share} + rejected {self.n_rejected:,} + "
            f"unreadable {self.n_unreadable:,} from {self.shards} shard(s) in {self.seconds:.1f}s → {self.output}"
        )


@dataclass
class RunState:
    """Everything needed to carry a run on in another process."""

    plan: Plan
    shards: list[Shard]
    run_id: str
    started_at: datetime
    pipeline: str
    config: dict
    resumed: bool
    workers: int

    def save(self) -> Path:
        """Pickle the state to ``_state/run.pkl`` (atomically)."""
        path = self.plan.state / STATE_FILE
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(pickle.dumps(self))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, out: str | Path) -> RunState:
        """Load the state saved in ``out/_state/run.pkl``."""
        path = Path(out) / "_state" / STATE_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{out} has no {STATE_FILE}; prepare the run first")
        return pickle.loads(path.read_bytes())


def attach_log(path: Path) -> logging.Handler:
    """Log the run to ``path`` (the run log under ``_state``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("curate")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return handler


def load_marker(path: Path) -> ShardResult:
    """Read one shard-phase completion marker."""
    return ShardResult(**json.loads(path.read_text()))


def pending(state: RunState, phase: int) -> list[Shard]:
    """Shards without a completion marker for ``phase``."""
    return [s for s in state.shards if not state.plan.marker(phase, s).is_file()]


def execute_phase(
    state: RunState, phase: int, executor, progress: Callable[[dict], None] | None = None
) -> int:
    """Run ``phase`` on every shard that has not completed it; return how many were skipped."""
    todo = pending(state, phase)
    executor.run(state.plan, todo, phase, progress=progress)
    return len(state.shards) - len(todo)


def reduce_phase(state: RunState, phase: int) -> None:
    """Run the reduce step of the global stage that ends ``phase`` (once; a marker records it)."""
    glob = state.plan.phases[phase].global_out
    if glob is None:
        return
    label, stage = glob
    missing = pending(state, phase)
    if missing:
        raise RuntimeError(f"cannot reduce {label}: {len(missing)} shard(s) have not finished phase {phase}")
    ctx = state.plan.global_ctx(phase, label, workers=state.workers)
    done = ctx.work_dir / "reduce.done"
    if done.is_file():
        log.info("global stage %s: reduce already complete, skipped", label)
        return
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    stage.reduce(ctx)
    done.write_text(json.dumps({"seconds": time.perf_counter() - t0}))
    log.info("global stage %s: reduce done in %.1fs", label, time.perf_counter() - t0)


def finalize(state: RunState, skipped: int = 0) -> RunSummary:
    """Sum every marker into the run's totals and write ``catalog.duckdb``."""
    plan = state.plan
    results = {
        ph.index: [load_marker(plan.marker(ph.index, s)) for s in state.shards] for ph in plan.phases
    }
    first, last = results[0], results[len(plan.phases) - 1]
    skipped_records: dict[str, int] = {}
    for r in first:
        for kind, n in (r.skipped or {}).items():
            skipped_records[kind] = skipped_records.get(kind, 0) + n
    ended = datetime.now(timezone.utc)
    summary = RunSummary(
        output=plan.out, run_id=state.run_id,
        n_read=sum(r.n_read for r in first),
        n_kept=sum(r.n_out for r in last),
        n_rejected=sum(r.n_rejected for rs in results.values() for r in rs),
        n_unreadable=sum(r.n_unreadable for r in first),
        n_repaired=sum(r.n_repaired for r in first),
        bytes_read=sum(r.bytes_read for r in first),
        seconds=(ended - state.started_at).total_seconds(),
        shards=len(state.shards), shards_skipped=skipped, skipped_records=skipped_records,
    )
    if summary.n_read != summary.n_kept + summary.n_rejected + summary.n_unreadable:
        raise RuntimeError(f"accounting mismatch in {plan.out}: {summary}")
    config = dict(state.config)
    config["skipped_records"] = skipped_records
    write_catalog(plan.out, RunRecord(
        run_id=state.run_id, pipeline=state.pipeline, config=config, version=__version__,
        started_at=state.started_at.replace(tzinfo=None), ended_at=ended.replace(tzinfo=None),
        status="complete", resumed=state.resumed, workers=state.workers, n_read=summary.n_read,
        n_kept=summary.n_kept, n_rejected=summary.n_rejected, n_unreadable=summary.n_unreadable,
        n_repaired=summary.n_repaired, bytes_read=summary.bytes_read, seconds=summary.seconds,
    ), stage_rows(plan, results))
    log.info("run %s: %s", state.run_id, summary)
    return summary


def stage_rows(plan: Plan, results: dict[int, list[ShardResult]]) -> list[dict]:
    """Per stage and rule: documents in and dropped, summed over shards, in pipeline order."""
    acc: dict[tuple, dict] = {}
    for rs in results.values():
        for r in rs:
            for row in r.rules:
                key = (row["stage"], row["rule"])
                if key not in acc:
                    acc[key] = {"stage": row["stage"], "rule": row["rule"], "n_in": 0, "n_dropped": 0}
                acc[key]["n_in"] += row["n_in"]
                acc[key]["n_dropped"] += row["n_dropped"]
    rows = []
    for position, (label, stage) in enumerate(plan.stages):
        names = [r.name for r in stage.rules()] or [None]
        for name in names:
            row = acc.get((label, name), {"stage": label, "rule": name, "n_in": 0, "n_dropped": 0})
            rows.append({**row, "position": position})
    return rows


def execute(state: RunState, executor, progress: bool | None = None) -> RunSummary:
    """Run every phase and reduce step of a prepared run on ``executor``, then finalize."""
    plan = state.plan
    handler = attach_log(plan.state / "run.log")
    log.info("run %s: %d shard(s), %d phase(s), output %s", state.run_id, len(state.shards),
             len(plan.phases), plan.out)
    skipped = 0
    try:
        with RunProgress(sum(file_size(s.path) for s in state.shards), enabled=progress) as bar:
            for phase in plan.phases:
                if phase.index > 0:
                    prev = [load_marker(plan.marker(phase.index - 1, s)) for s in state.shards]
                    bar.start_phase(f"phase {phase.index}", sum(r.n_out for r in prev))
                skipped += execute_phase(state, phase.index, executor, progress=bar.update)
                reduce_phase(state, phase.index)
        return finalize(state, skipped)
    except BaseException:
        log.exception("run %s failed; completed shards are kept, rerun with --resume", state.run_id)
        raise
    finally:
        logging.getLogger("curate").removeHandler(handler)
        handler.close()
