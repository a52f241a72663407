"""Pipeline files: a YAML schema validated before anything runs, with errors that name the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from curate.errors import ConfigError
from curate.io.readers.base import LAYOUTS
from curate.registry import validate_stage_params

#: Where a pipeline without ``input`` reads from: the bundled sample dump, relative to the repo.
SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputConfig(_Strict):
    """What to read and how to map its fields."""

    paths: list[str] = Field(default_factory=list, description="files, directories, globs or fsspec URLs")
    format: Literal["auto", "jsonl", "parquet", "warc", "wet"] = "auto"
    layout: str = Field("default", description=f"field layout preset: {', '.join(LAYOUTS)}")
    text_field: str | None = None
    id_field: str | None = None
    url_field: str | None = None
    extra_fields: dict[str, str] = Field(default_factory=dict, description="output column → input path")
    extractor: Literal["resiliparse", "trafilatura"] = "resiliparse"

    @field_validator("layout")
    @classmethod
    def _layout(cls, v: str) -> str:
        if v not in LAYOUTS:
            raise ValueError(f"unknown layout {v!r}; expected one of {', '.join(LAYOUTS)}")
        return v

    @field_validator("paths", mode="before")
    @classmethod
    def _paths(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class StageConfig(_Strict):
    """One stage: its registry ``type`` and its parameters."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)


class PipelineConfig(_Strict):
    """A whole pipeline file."""

    name: str = "pipeline"
    description: str = ""
    input: InputConfig = Field(default_factory=InputConfig)
    output: str | None = None
    batch_size: int = Field(10_000, ge=1, le=10_000_000)
    workers: int = Field(1, ge=1)
    executor: Literal["local", "ray", "slurm"] = "local"
    stages: list[StageConfig] = Field(default_factory=list)

    @field_validator("stages", mode="before")
    @classmethod
    def _stages(cls, v: Any) -> Any:
        """Accept ``- type: x`` with parameters inline (or under ``params``)."""
        if not isinstance(v, list):
            return v
        out = []
        for item in v:
            if isinstance(item, str):
                item = {"type": item}
            if isinstance(item, dict) and True in item:  # YAML 1.1 reads a bare `on:` key as True
                item = {("on" if k is True else k): v for k, v in item.items()}
            if isinstance(item, dict) and "params" not in item:
                item = dict(item)
                stype = item.pop("type", None)
                item = {"type": stype, "params": item}
            out.append(item)
        return out


def _format_validation(exc: ValidationError, source: str) -> str:
    lines = [f"invalid pipeline {source}:"]
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"  {loc}: unknown key")
        else:
            lines.append(f"  {loc}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def parse_config(data: dict[str, Any], source: str = "config") -> PipelineConfig:
    """Validate a pipeline mapping, including every stage's parameters."""
    if not isinstance(data, dict):
        raise ConfigError(f"invalid pipeline {source}: expected a mapping at the top level")
    try:
        cfg = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, source)) from None
    errors = []
    for i, stage in enumerate(cfg.stages):
        try:
            stage.params = validate_stage_params(stage.type, stage.params, where=f"stages[{i}] ")
        except ConfigError as exc:
            errors.append(str(exc))
    if errors:
        raise ConfigError(f"invalid pipeline {source}:\n  " + "\n  ".join(errors))
    return cfg


def load_config(path: str | Path) -> PipelineConfig:
    """Read and validate a pipeline YAML file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"pipeline file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"pipeline {path} is not valid YAML: {exc}") from None
    return parse_config(data, source=str(path))
