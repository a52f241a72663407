"""``Pipeline``: the same object a YAML file builds and a Python user constructs, and its ``run``."""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from curate import __version__
from curate.catalog import CATALOG, RunRecord, write_catalog
from curate.config import SAMPLE_DATA, PipelineConfig, load_config, parse_config
from curate.engine import Plan, Shard, ShardResult, label_stages
from curate.errors import ConfigError, OutputError
from curate.executors.local import LocalExecutor
from curate.io.files import detect_format, expand_inputs, file_size, relative_names
from curate.io.readers.base import FieldMap
from curate.progress import RunProgress
from curate.registry import build_stage
from curate.schema import REASON, STAGE
from curate.stages.base import GlobalStage, Stage, apply_rules

log = logging.getLogger("curate")


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

    def __str__(self) -> str:
        share = f" ({self.n_kept / self.n_read:.1%})" if self.n_read else ""
        return (
            f"read {self.n_read:,} = kept {self.n_kept:,}{share} + rejected {self.n_rejected:,} + "
            f"unreadable {self.n_unreadable:,} from {self.shards} shard(s) in {self.seconds:.1f}s → {self.output}"
        )


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
        rejected = []
        for label, stage in label_stages(self.stages):
            df = stage.compute(df)
            df, rej, _ = apply_rules(df, stage.rules(), label)
            if rej.height:
                rejected.append(rej)
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
    ) -> RunSummary:
        """Read every input, run the stages, write ``kept/``, ``rejected/`` and ``catalog.duckdb``."""
        if resume and overwrite:
            raise OutputError("choose one of --resume and --overwrite")
        inputs = [input] if isinstance(input, str) else (list(input) if input else None)
        out = Path(output) if output else self.output
        if out is None:
            raise OutputError("no output folder: pass --output DIR (or set `output:` in the pipeline file)")
        workers = workers or self.workers
        shards = self.shards(inputs)
        _prepare_output(out, resume=resume, overwrite=overwrite)
        plan = Plan(
            out=out, stages=label_stages(self.stages), fields=self.fields, batch_size=self.batch_size,
            reader_options={"warc": {"extractor": self.extractor}},
            formats=tuple(sorted({s.format for s in shards})),
        )
        config_record = dict(self.config)
        config_record["inputs"] = [s.path for s in shards]
        _check_resume_config(plan, self.config, resume)
        handler = _attach_log(plan.state / "run.log")
        started_at = datetime.now(timezone.utc)
        t0 = time.perf_counter()
        run_id = started_at.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        log.info("run %s: %d shard(s), %d phase(s), output %s", run_id, len(shards), len(plan.phases), out)
        executor = LocalExecutor(workers)
        results: dict[int, list[ShardResult]] = {}
        skipped = 0
        total_bytes = sum(file_size(s.path) for s in shards)
        try:
            with RunProgress(total_bytes, enabled=progress) as bar:
                for phase in plan.phases:
                    todo = [s for s in shards if not plan.marker(phase.index, s).is_file()]
                    done = [s for s in shards if plan.marker(phase.index, s).is_file()]
                    skipped += len(done)
                    if phase.index > 0:
                        prev = results[phase.index - 1]
                        bar.start_phase(f"phase {phase.index}", sum(r.n_out for r in prev))
                    fresh = executor.run(plan, todo, phase.index, progress=bar.update)
                    by_key = {r.shard: r for r in fresh}
                    for s in done:
                        by_key[s.key] = _load_marker(plan.marker(phase.index, s))
                    results[phase.index] = [by_key[s.key] for s in shards]
                    if phase.global_out is not None:
                        _run_reduce(plan, phase.index, phase.global_out, workers)
        except BaseException:
            log.exception("run %s failed; completed shards are kept, rerun with --resume", run_id)
            logging.getLogger("curate").removeHandler(handler)
            raise
        summary = _summarise(plan, shards, results, run_id, time.perf_counter() - t0, skipped)
        stage_rows = _stage_rows(plan, results)
        write_catalog(out, RunRecord(
            run_id=run_id, pipeline=self.name, config=config_record, version=__version__,
            started_at=started_at.replace(tzinfo=None), ended_at=datetime.now(timezone.utc).replace(tzinfo=None),
            status="complete", resumed=resume, workers=workers, n_read=summary.n_read, n_kept=summary.n_kept,
            n_rejected=summary.n_rejected, n_unreadable=summary.n_unreadable, n_repaired=summary.n_repaired,
            bytes_read=summary.bytes_read, seconds=summary.seconds,
        ), stage_rows)
        log.info("run %s: %s", run_id, summary)
        logging.getLogger("curate").removeHandler(handler)
        handler.close()
        return summary


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


def _attach_log(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("curate")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return handler


def _load_marker(path: Path) -> ShardResult:
    return ShardResult(**json.loads(path.read_text()))


def _run_reduce(plan: Plan, phase: int, global_out: tuple[str, GlobalStage], workers: int) -> None:
    label, stage = global_out
    ctx = plan.global_ctx(phase, label, workers=workers)
    done = ctx.work_dir / "reduce.done"
    if done.is_file():
        log.info("global stage %s: reduce already complete, skipped", label)
        return
    t0 = time.perf_counter()
    stage.reduce(ctx)
    done.write_text(json.dumps({"seconds": time.perf_counter() - t0}))
    log.info("global stage %s: reduce done in %.1fs", label, time.perf_counter() - t0)


def _summarise(plan, shards, results, run_id, seconds, skipped) -> RunSummary:
    first = results[0]
    n_rejected = sum(r.n_rejected for rs in results.values() for r in rs)
    return RunSummary(
        output=plan.out, run_id=run_id,
        n_read=sum(r.n_read for r in first),
        n_kept=sum(r.n_out for r in results[max(results)]),
        n_rejected=n_rejected,
        n_unreadable=sum(r.n_unreadable for r in first),
        n_repaired=sum(r.n_repaired for r in first),
        bytes_read=sum(r.bytes_read for r in first),
        seconds=seconds, shards=len(shards), shards_skipped=skipped,
    )


def _stage_rows(plan: Plan, results: dict[int, list[ShardResult]]) -> list[dict]:
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
