"""``Pipeline``: the same object a YAML file builds and a Python user constructs, and its ``run``."""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from curate.catalog import CATALOG
from curate.config import SAMPLE_DATA, PipelineConfig, load_config, parse_config
from curate.engine import Plan, Shard, label_stages, run_stages
from curate.errors import ConfigError, OutputError
from curate.executors import make_executor
from curate.io.files import detect_format, expand_inputs, relative_names
from curate.io.readers.base import FieldMap
from curate.registry import build_stage
from curate.run import RunState, RunSummary, execute
from curate.schema import REASON, STAGE
from curate.stages.base import Stage

log = logging.getLogger("curate")


class Pipeline:
    """An ordered list of stages plus where to read and write.

    Example:
        >>> from curate import Pipeline
        >>> from curate.stages.length import LengthFilter
        >>> p = Pipeline([LengthFilter(min_chars=20)])
        >>> kept, rejected = p.process(pl.DataFrame({"id": ["a", "b"], "text": ["short", "x" * 40]}))
        >>> rejected["reason"].to_list()
        ['too_short']
    """

    def __init__(
        self,
        stages: Sequence[Stage] = (),
        *,
        input: str | Sequence[str] | None = None,
        output: str | Path | None = None,
        format: str = "auto",
        fields: FieldMap | None = None,
        extractor: str = "resiliparse",
        batch_size: int = 10_000,
        workers: int = 1,
        name: str = "pipeline",
        config: dict | None = None,
    ):
        self.stages = list(stages)
        self.input = [input] if isinstance(input, str) else list(input or [])
        self.output = Path(output) if output else None
        self.format = format
        self.fields = fields or FieldMap()
        self.extractor = extractor
        self.batch_size = batch_size
        self.workers = workers
        self.name = name
        self.config = config or {
            "name": name, "stages": [{"type": s.name, "repr": repr(s)} for s in self.stages],
        }

    # construction -----------------------------------------------------------------------------
    @classmethod
    def from_config(cls, cfg: PipelineConfig | dict) -> Pipeline:
        """Build a pipeline from a validated config (or a mapping, validated here)."""
        if isinstance(cfg, dict):
            cfg = parse_config(cfg)
        stages = [build_stage(s.type, s.params, where=f"stages[{i}] ") for i, s in enumerate(cfg.stages)]
        inp = cfg.input
        fields = FieldMap.for_layout(
            inp.layout, text=inp.text_field, id=inp.id_field, url=inp.url_field, extra=inp.extra_fields
        )
        return cls(
            stages, input=inp.paths, output=cfg.output, format=inp.format, fields=fields,
            extractor=inp.extractor, batch_size=cfg.batch_size, workers=cfg.workers, name=cfg.name,
            config=cfg.model_dump(mode="json"),
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> Pipeline:
        """Build a pipeline from a YAML pipeline file; input paths resolve against the file's folder."""
        cfg = load_config(path)
        base = Path(path).resolve().parent
        cfg.input.paths = [_resolve_against(p, base) for p in cfg.input.paths]
        return cls.from_config(cfg)

    # in-memory use ----------------------------------------------------------------------------
    def process(self, df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Run every stage over one in-memory DataFrame; return (kept, rejected with reason/stage)."""
        for col in ("id", "url", "source"):
            if col not in df.columns:
                df = df.with_columns(pl.lit(None, dtype=pl.String).alias(col))
        df, rejected = run_stages(df, label_stages(self.stages), {})
        rej_all = (
            pl.concat(rejected, how="diagonal_relaxed")
            if rejected
            else df.clear().with_columns(pl.lit(None, pl.String).alias(REASON), pl.lit(None, pl.String).alias(STAGE))
        )
        return df, rej_all

    # batch runs -------------------------------------------------------------------------------
    def shards(self, inputs: Sequence[str] | None = None) -> list[Shard]:
        """The input files this pipeline would read, as shards (inputs default to sample_data/)."""
        patterns = list(inputs or self.input or [str(SAMPLE_DATA)])
        files = expand_inputs(patterns, self.format)
        names = relative_names(files)
        return [
            Shard(path=f, name=n, format=self.format if self.format != "auto" else detect_format(f) or "")
            for f, n in zip(files, names, strict=False)
        ]

    def run(
        self,
        input: str | Sequence[str] | None = None,
        output: str | Path | None = None,
        *,
        workers: int | None = None,
        resume: bool = False,
        overwrite: bool = False,
        progress: bool | None = None,
        executor: str | object = "local",
        ray_address: str | None = None,
    ) -> RunSummary:
        """Read every input, run the stages, write ``kept/``, ``rejected/`` and ``catalog.duckdb``.

        ``executor`` is ``"local"`` (a process pool of ``workers``), ``"ray"`` (an existing cluster at
        ``ray_address`` or a local one) or an executor object with the ``LocalExecutor.run`` signature.
        For Slurm use :meth:`prepare` and :func:`curate.executors.slurm.submit`.
        """
        state = self.prepare(input, output, workers=workers, resume=resume, overwrite=overwrite)
        runner = make_executor(executor, state.workers, ray_address=ray_address)
        return execute(state, runner, progress=progress)

    def prepare(
        self,
        input: str | Sequence[str] | None = None,
        output: str | Path | None = None,
        *,
        workers: int | None = None,
        resume: bool = False,
        overwrite: bool = False,
    ) -> RunState:
        """Validate inputs and output, build the plan, and save it under ``_state/`` for workers."""
        if resume and overwrite:
            raise OutputError("choose one of --resume and --overwrite")
        inputs = [input] if isinstance(input, str) else (list(input) if input else None)
        out = Path(output) if output else self.output
        if out is None:
            raise OutputError("no output folder: pass --output DIR (or set `output:` in the pipeline file)")
        shards = self.shards(inputs)
        _prepare_output(out, resume=resume, overwrite=overwrite)
        plan = Plan(
            out=out, stages=label_stages(self.stages), fields=self.fields, batch_size=self.batch_size,
            reader_options={"warc": {"extractor": self.extractor}},
            formats=tuple(sorted({s.format for s in shards})),
        )
        _check_resume_config(plan, self.config, resume)
        config_record = dict(self.config)
        config_record["inputs"] = [s.path for s in shards]
        started_at = datetime.now(timezone.utc)
        state = RunState(
            plan=plan, shards=shards, run_id=started_at.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
            started_at=started_at, pipeline=self.name, config=config_record, resumed=resume,
            workers=workers or self.workers,
        )
        state.save()
        return state


def _resolve_against(path: str, base: Path) -> str:
    if "://" in path or Path(path).is_absolute():
        return path
    return str(base / path)


def _prepare_output(out: Path, *, resume: bool, overwrite: bool) -> None:
    is_run = (out / "_state").is_dir() or (out / CATALOG).is_file()
    if out.exists() and not out.is_dir():
        raise OutputError(f"output {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not is_run:
            raise OutputError(
                f"output folder {out} is not empty and is not a curate run; choose an empty or new folder"
            )
        if overwrite:
            for sub in ("kept", "rejected", "_state"):
                shutil.rmtree(out / sub, ignore_errors=True)
            for f in (CATALOG, CATALOG + ".wal", "report.html"):
                (out / f).unlink(missing_ok=True)
        elif not resume:
            raise OutputError(
                f"output folder {out} already holds a curate run; pass --resume to finish it "
                "(completed shards are skipped) or --overwrite to replace it"
            )
    elif resume:
        log.info("--resume given but %s holds no run yet; starting fresh", out)
    try:
        for sub in ("kept", "rejected", "_state"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        probe = out / "_state" / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to output folder {out}: {exc.strerror or exc}") from None
    for tmp in out.rglob("*.tmp"):  # half-written files of an interrupted run
        tmp.unlink()


def _check_resume_config(plan: Plan, config: dict, resume: bool) -> None:
    path = plan.state / "config.json"
    stages_now = json.dumps(config.get("stages"), sort_keys=True, default=str)
    if resume and path.is_file():
        before = json.loads(path.read_text())
        if json.dumps(before.get("stages"), sort_keys=True, default=str) != stages_now:
            raise ConfigError(
                f"the stages differ from those the run in {plan.out} started with; resuming would mix "
                "two configurations. Use --overwrite (or a new --output) instead"
            )
    path.write_text(json.dumps(config, indent=2, default=str))


