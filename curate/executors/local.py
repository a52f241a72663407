"""Local executor: shards in this process (1 worker) or a spawn-based process pool (N workers)."""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

from curate.engine import Plan, ProgressFn, Shard, ShardResult, process_shard

_WORKER: dict = {}


def _init_worker(plan: Plan, progress_queue) -> None:
    _WORKER["plan"] = plan
    _WORKER["queue"] = progress_queue


def _run_in_worker(shard: Shard, phase: int) -> ShardResult:
    q = _WORKER["queue"]
    return process_shard(_WORKER["plan"], shard, phase, progress=q.put if q is not None else None)


class LocalExecutor:
    """Process shards with ``workers`` processes on this machine.

    Workers are started with ``spawn`` (safe with Polars' and fastText's threads); each builds
    the plan once, so models load once per worker, not once per shard, and gets
    ``cores / workers`` Polars threads so that N workers do not oversubscribe the machine.
    """

    def __init__(self, workers: int = 1):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers

    def run(
        self,
        plan: Plan,
        shards: Sequence[Shard],
        phase: int,
        progress: ProgressFn | None = None,
        on_done: Callable[[ShardResult], None] | None = None,
    ) -> list[ShardResult]:
        """Process every shard in ``shards`` for ``phase``; return their results in input order."""
        if not shards:
            return []
        if self.workers == 1 or len(shards) == 1:
            results = []
            for shard in shards:
                res = process_shard(plan, shard, phase, progress)
                if on_done:
                    on_done(res)
                results.append(res)
            return results
        ctx = mp.get_context("spawn")
        manager = ctx.Manager() if progress is not None else None
        q = manager.Queue() if manager is not None else None
        stop = threading.Event()

        def drain() -> None:
            while not stop.is_set() or (q is not None and not q.empty()):
                try:
                    progress(q.get(timeout=0.1))  # type: ignore[misc,union-attr]
                except queue.Empty:
                    continue
                except (EOFError, BrokenPipeError):
                    return

        pump = threading.Thread(target=drain, daemon=True) if q is not None else None
        if pump:
            pump.start()
        results: dict[int, ShardResult] = {}
        # N processes x all cores each would oversubscribe the machine: give each worker its share of
        # Polars' thread pool (read by Polars when the spawned worker imports it)
        saved = os.environ.get("POLARS_MAX_THREADS")
        os.environ["POLARS_MAX_THREADS"] = str(max(1, (os.cpu_count() or 1) // self.workers))
        try:
            with ProcessPoolExecutor(
                max_workers=min(self.workers, len(shards)), mp_context=ctx,
                initializer=_init_worker, initargs=(plan, q),
            ) as pool:
                futures = {pool.submit(_run_in_worker, s, phase): i for i, s in enumerate(shards)}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for fut in done:
                        res = fut.result()  # re-raises a worker's error
                        results[futures[fut]] = res
                        if on_done:
                            on_done(res)
        finally:
            if saved is None:
                os.environ.pop("POLARS_MAX_THREADS", None)
            else:
                os.environ["POLARS_MAX_THREADS"] = saved
            stop.set()
            if pump:
                pump.join(timeout=5)
            if manager is not None:
                manager.shutdown()
        return [results[i] for i in range(len(shards))]
