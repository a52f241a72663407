"""Executors run the shard tasks of a phase; all share ``run(plan, shards, phase, progress)``."""

from __future__ import annotations

from curate.executors.local import LocalExecutor


def make_executor(kind: str | object = "local", workers: int = 1, ray_address: str | None = None):
    """An executor by name (``local``, ``ray``) or pass an executor object through."""
    if not isinstance(kind, str):
        return kind
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "ray":
        from curate.executors.ray import RayExecutor

        return RayExecutor(workers=workers, address=ray_address)
    raise ValueError(f"unknown executor {kind!r}; expected local or ray (Slurm: curate run --executor slurm)")


__all__ = ["LocalExecutor", "make_executor"]
