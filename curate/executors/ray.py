"""Ray executor: one Ray task per shard, on an existing cluster or a local one started for the run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from curate.engine import Plan, ProgressFn, Shard, ShardResult, process_shard

log = logging.getLogger("curate")


def _ray():
    try:
        import ray
    except ImportError:  # pragma: no cover - depends on the extra
        raise ImportError("the Ray executor needs Ray: pip install 'curate[ray]'") from None
    return ray


class RayExecutor:
    """Process shards as Ray tasks (1 CPU each); the plan is put in the object store once.

    Args:
        workers: CPUs for a local cluster started by curate (ignored when ``address`` is given).
        address: address of a running cluster (``ray://host:10001`` or ``auto``); None starts a local one.

    Shards read their input and write their output through the shared file system (or fsspec
    URLs), so every node must see the output folder at the same path.
    """

    def __init__(self, workers: int = 1, address: str | None = None):
        self.workers = workers
        self.address = address

    def _init(self) -> None:
        ray = _ray()
        if ray.is_initialized():
            return
        if self.address:
            ray.init(address=self.address, log_to_driver=False)
        else:
            ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)

    def run(
        self,
        plan: Plan,
        shards: Sequence[Shard],
        phase: int,
        progress: ProgressFn | None = None,
        on_done: Callable[[ShardResult], None] | None = None,
    ) -> list[ShardResult]:
        """Process every shard for ``phase`` as Ray tasks; return results in input order."""
        if not shards:
            return []
        ray = _ray()
        self._init()
        task = ray.remote(num_cpus=1, max_retries=2)(process_shard)
        plan_ref = ray.put(plan)
        refs = [task.remote(plan_ref, shard, phase) for shard in shards]
        index = {ref: i for i, ref in enumerate(refs)}
        results: dict[int, ShardResult] = {}
        remaining = list(refs)
        while remaining:
            done, remaining = ray.wait(remaining, num_returns=1)
            res: ShardResult = ray.get(done[0])
            results[index[done[0]]] = res
            if progress is not None:
                progress({"docs": res.n_in, "bytes": res.bytes_read, "kept": res.n_out,
                          "unreadable": res.n_unreadable, "phase": phase})
            if on_done:
                on_done(res)
        return [results[i] for i in range(len(shards))]

    def shutdown(self) -> None:
        """Stop a local cluster started by this executor."""
        ray = _ray()
        if ray.is_initialized() and not self.address:
            ray.shutdown()
