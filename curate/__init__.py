"""curate: turn raw web dumps into textbook-quality training data, every decision inspectable in SQL.

The public API::

    from curate import Pipeline, read, open
    pipe = Pipeline.from_yaml("pipelines/textbook.yaml")
    summary = pipe.run(output="out/textbook")
    con = open("out/textbook")          # a DuckDB connection over the run
    con.sql("select reason, count(*) from rejected group by 1").show()
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

__all__ = [
    "FieldMap", "GlobalStage", "LengthFilter", "Pipeline", "Rule", "RunSummary", "Stage",
    "Unreadable", "__version__", "build_stage", "open", "read", "register_stage",
]

_LAZY = {
    "Pipeline": "curate.pipeline", "RunSummary": "curate.run",
    "Stage": "curate.stages.base", "GlobalStage": "curate.stages.base", "Rule": "curate.stages.base",
    "FieldMap": "curate.io.readers.base", "Unreadable": "curate.io.readers.base",
    "LengthFilter": "curate.stages.length",
    "build_stage": "curate.registry", "register_stage": "curate.registry",
    "read": "curate.api", "open": "curate.api",
}

if TYPE_CHECKING:  # pragma: no cover
    from curate.api import open, read
    from curate.io.readers.base import FieldMap, Unreadable
    from curate.pipeline import Pipeline
    from curate.registry import build_stage, register_stage
    from curate.run import RunSummary
    from curate.stages.base import GlobalStage, Rule, Stage
    from curate.stages.length import LengthFilter


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'curate' has no attribute {name!r}")
