"""Executors run the shard tasks of a phase: a local process pool today, one interface for more."""

from curate.executors.local import LocalExecutor

__all__ = ["LocalExecutor"]
