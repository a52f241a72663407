"""Stage registry: pipeline-file names to stage classes, and parameter validation from signatures."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from pydantic import ConfigDict, ValidationError, create_model

from curate.errors import ConfigError
from curate.stages.base import Stage

#: Built-in stages, imported lazily so ``import curate`` stays light. Stages defined in other
#: modules under ``curate/stages/`` register themselves with ``@register_stage`` and are found
#: by importing that package's modules on first lookup of an unknown name.
BUILTIN_STAGES: dict[str, str] = {
    "length": "curate.stages.length:LengthFilter",
}

_USER_STAGES: dict[str, type[Stage]] = {}


def register_stage(cls: type[Stage]) -> type[Stage]:
    """Class decorator that makes a user stage usable from pipeline files by its ``name``."""
    _USER_STAGES[cls.name] = cls
    return cls


def _discover() -> None:
    """Import every module under ``curate.stages`` so their ``@register_stage`` classes register."""
    import pkgutil

    import curate.stages as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"curate.stages.{mod.name}")


def stage_names() -> list[str]:
    """All stage names a pipeline file may use."""
    _discover()
    return sorted(set(BUILTIN_STAGES) | set(_USER_STAGES))


def get_stage_class(name: str) -> type[Stage]:
    """Return the stage class registered as ``name``."""
    if name in _USER_STAGES:
        return _USER_STAGES[name]
    if name not in BUILTIN_STAGES:
        _discover()
        if name in _USER_STAGES:
            return _USER_STAGES[name]
        raise ConfigError(f"unknown stage type {name!r}; expected one of: {', '.join(stage_names())}")
    module, _, attr = BUILTIN_STAGES[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def _param_model(cls: type[Stage]):
    params = {}
    for pname, p in inspect.signature(cls.__init__, eval_str=True).parameters.items():
        if pname == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        annotation = Any if p.annotation is inspect.Parameter.empty else p.annotation
        default = ... if p.default is inspect.Parameter.empty else p.default
        params[pname] = (annotation, default)
    return create_model(
        f"{cls.__name__}Params",
        __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
        **params,
    )


def validate_stage_params(name: str, params: dict[str, Any], where: str = "") -> dict[str, Any]:
    """Check ``params`` against the stage's constructor; raise ConfigError naming the bad key."""
    cls = get_stage_class(name)
    model = _param_model(cls)
    try:
        validated = model(**params)
    except ValidationError as exc:
        allowed = ", ".join(model.model_fields) or "(none)"
        lines = []
        for err in exc.errors():
            key = ".".join(str(x) for x in err["loc"]) or "?"
            if err["type"] == "extra_forbidden":
                lines.append(f"{where}{name}: unknown parameter {key!r}; expected one of: {allowed}")
            elif err["type"] == "missing":
                lines.append(f"{where}{name}: missing required parameter {key!r}")
            else:
                lines.append(f"{where}{name}: parameter {key!r}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("\n".join(lines)) from None
    return {k: getattr(validated, k) for k in params}


def build_stage(name: str, params: dict[str, Any] | None = None, where: str = "") -> Stage:
    """Construct the stage registered as ``name`` with validated ``params``."""
    params = validate_stage_params(name, params or {}, where)
    try:
        return get_stage_class(name)(**params)
    except (ValueError, FileNotFoundError, ImportError) as exc:
        raise ConfigError(f"{where}{name}: {exc}") from None
