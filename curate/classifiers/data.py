"""Labelled data for training: an annotation cache, or JSONL / Parquet files with text and a score or label."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from curate.io.files import open_input

LABEL_PREFIX = "__label__"


@dataclass
class LabelledData:
    """Texts with 0-5 scores (``id``, ``text``, ``score``, ``source``) and where they came from."""

    frame: pl.DataFrame
    provenance: list[dict] = field(default_factory=list)
    label_source: list[str] = field(default_factory=list)
    binary_labels: bool = False


def load_labelled(paths: list[str | Path], *, text_field: str = "text", score_field: str = "score",
                  label_field: str = "label", id_field: str = "id", positive_label: str = "hq",
                  annotator_model: str | None = None, prompt_hash: str | None = None,
                  texts: list[str] | None = None, layout: str = "default") -> LabelledData:
    """Read labelled examples from annotation caches (``.duckdb``), JSONL or Parquet files.

    A file gives ``score_field`` (a number on the 0-5 scale) or ``label_field`` (``__label__`` is
    stripped; numeric labels are scores, otherwise ``positive_label`` → 5 and anything else → 0,
    DCLM's binary setup). Files without a text column are joined by ``id_field`` to the documents
    of ``texts`` (any input curate reads), so a label file can hold only ids and scores.
    Duplicate texts are kept once (first occurrence).
    """
    if not paths:
        raise ValueError("no labelled data given")
    frames, prov, sources = [], [], []
    binary = False
    for path in paths:
        path = str(path)
        if path.endswith(".duckdb"):
            frame, info = _from_cache(path, annotator_model, prompt_hash)
            sources.append(info.pop("label_source"))
        else:
            frame, info, is_binary = _from_file(path, text_field, score_field, label_field, id_field,
                                                positive_label, texts, layout)
            binary |= is_binary
            sources.append(info.pop("label_source"))
        frames.append(frame)
        prov.append(info)
    data = pl.concat(frames, how="vertical_relaxed")
    data = data.filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != "")
                       & pl.col("score").is_not_null())
    data = data.unique("text", keep="first", maintain_order=True)
    if data.height == 0:
        raise ValueError(f"no labelled examples with text and score in {', '.join(map(str, paths))}")
    bad = data.filter((pl.col("score") < 0) | (pl.col("score") > 5))
    if bad.height:
        raise ValueError(f"{bad.height} score(s) outside 0-5, e.g. id {bad['id'][0]!r} = {bad['score'][0]}")
    return LabelledData(data, prov, sources, binary)


def _from_cache(path: str, model: str | None, prompt_hash: str | None) -> tuple[pl.DataFrame, dict]:
    from curate.annotate.cache import AnnotationCache

    with AnnotationCache(path, read_only=True) as cache:
        labels = cache.labels(model=model, prompt_hash=prompt_hash)
        prompts = dict(cache.con.execute("select prompt_hash, name from prompts").fetchall())
    models = sorted(set(labels["model"].to_list()))
    hashes = sorted(set(labels["prompt_hash"].to_list()))
    frame = labels.select(pl.col("doc_id").alias("id"), "text", pl.col("score").cast(pl.Float64),
                          pl.lit(Path(path).name).alias("source"))
    info = {"path": path, "kind": "annotation cache", "rows": frame.height, "annotator_models": models,
            "prompts": {h: prompts.get(h, "?") for h in hashes},
            "label_source": f"LLM annotations from {', '.join(models) or '(none)'} with prompt(s) "
                            f"{', '.join(f'{prompts.get(h, h)} ({h})' for h in hashes)} ({Path(path).name})"}
    return frame, info


def _read_table(path: str) -> pl.DataFrame:
    lower = path.lower()
    opened = open_input(path)
    try:
        data = opened.stream.read()
    finally:
        opened.close()
    if lower.endswith((".parquet", ".pq")):
        return pl.read_parquet(io.BytesIO(data))
    if lower.endswith((".csv", ".csv.gz")):
        return pl.read_csv(io.BytesIO(data))
    return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)


def _from_file(path: str, text_field: str, score_field: str, label_field: str, id_field: str,
               positive_label: str, texts: list[str] | None, layout: str) -> tuple[pl.DataFrame, dict, bool]:
    table = _read_table(path)
    name = Path(path).name
    binary = False
    if score_field in table.columns:
        score = pl.col(score_field).cast(pl.Float64, strict=False)
        how = f"numeric `{score_field}`"
    elif label_field in table.columns:
        labels = table[label_field].cast(pl.String).str.replace(f"^{LABEL_PREFIX}", "")
        numeric = labels.cast(pl.Float64, strict=False)
        if numeric.null_count() == labels.null_count():
            table = table.with_columns(numeric.alias("_score"))
            how = f"numeric `{label_field}`"
        else:
            binary = True
            table = table.with_columns(((labels == positive_label).cast(pl.Float64) * 5.0).alias("_score"))
            how = f"binary `{label_field}` ({positive_label!r} → 5, other labels → 0)"
        score = pl.col("_score")
    else:
        raise ValueError(f"{path}: no `{score_field}` or `{label_field}` column; columns are {table.columns} "
                         f"(use --score-field / --label-field)")
    ids = pl.col(id_field).cast(pl.String) if id_field in table.columns else (
        pl.lit(name) + "/" + pl.int_range(pl.len()).cast(pl.String))
    if text_field in table.columns:
        frame = table.select(ids.alias("id"), pl.col(text_field).cast(pl.String).alias("text"),
                             score.alias("score"), pl.lit(name).alias("source"))
    elif texts:
        if id_field not in table.columns:
            raise ValueError(f"{path}: neither `{text_field}` nor `{id_field}` to join texts on")
        frame = _join_texts(table.select(ids.alias("id"), score.alias("score")), texts, layout, name)
    else:
        raise ValueError(f"{path}: no `{text_field}` column; pass the documents with --texts to join by `{id_field}`")
    info = {"path": path, "kind": "label file", "rows": frame.height,
            "label_source": f"{how} in {name}" + (" (texts joined by id)" if text_field not in table.columns else "")}
    return frame, info, binary


def _join_texts(labels: pl.DataFrame, texts: list[str], layout: str, name: str) -> pl.DataFrame:
    from curate.annotate.inputs import read_documents

    wanted = set(labels["id"].to_list())
    parts = [b.filter(pl.col("id").is_in(list(wanted))).select("id", "text")
             for b in read_documents(texts, layout=layout)]
    docs = pl.concat(parts).unique("id", keep="first") if parts else pl.DataFrame(schema={"id": pl.String, "text": pl.String})
    joined = labels.join(docs, on="id", how="left")
    missing = joined.filter(pl.col("text").is_null()).height
    if missing:
        import logging

        logging.getLogger("curate.classifiers").warning("%s: %d of %d labelled ids not found in --texts",
                                                        name, missing, joined.height)
    return joined.select("id", "text", "score", pl.lit(name).alias("source"))
