"""Live progress for long runs (documents, docs/s, MB/s, kept share, ETA); silent when not a terminal."""

from __future__ import annotations

import sys
import threading
import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn


class RunProgress:
    """Accumulates progress events from shards and renders them with rich when interactive."""

    def __init__(self, total_bytes: int, enabled: bool | None = None, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total_bytes = max(total_bytes, 1)
        self.docs = self.kept = self.unreadable = self.bytes = 0
        self.started = time.perf_counter()
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._task = None
        self.phase_label = "reading"

    def __enter__(self) -> RunProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[stats]}"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
                refresh_per_second=4,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.phase_label, total=self.total_bytes, stats="")
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._render()
            self._progress.stop()

    def start_phase(self, label: str, total: int) -> None:
        """Switch the bar to a new phase (after a global step) measured in documents."""
        with self._lock:
            self.phase_label = label
            if self._progress is not None and self._task is not None:
                self._progress.reset(self._task, total=max(total, 1), description=label)

    def update(self, event: dict) -> None:
        """Add one batch's counts (``docs``, ``bytes``, ``kept``, ``unreadable``, ``phase``)."""
        with self._lock:
            self.docs += event.get("docs", 0) if event.get("phase", 0) == 0 else 0
            self.unreadable += event.get("unreadable", 0)
            self.bytes += event.get("bytes", 0)
            self.kept += event.get("kept", 0)
            if self._progress is not None and self._task is not None:
                advance = event.get("bytes", 0) if event.get("phase", 0) == 0 else event.get("docs", 0)
                self._progress.advance(self._task, advance)
                self._render()

    def _render(self) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        share = f"{self.kept / self.docs:.0%}" if self.docs and self.kept else "-"
        stats = (
            f"{self.docs:,} docs  {self.docs / elapsed:,.0f} docs/s  "
            f"{self.bytes / elapsed / 1e6:,.1f} MB/s  kept {share}"
        )
        if self.unreadable:
            stats += f"  unreadable {self.unreadable:,}"
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, stats=stats)
