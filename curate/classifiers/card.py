"""Model cards: the README.md written beside every saved classifier (provenance, labels, metrics)."""

from __future__ import annotations

import json
from typing import Any

KNOWN = ("name", "description", "data", "labels", "metrics", "metrics_by_source", "intended_use",
         "limitations", "reproduce")


def render_card(clf: Any, meta: dict[str, Any]) -> str:
    """Markdown model card from the classifier and the metadata written to model.json."""
    from curate.classifiers.metrics import format_report

    card = meta.get("card") or {}
    name = card.get("name") or f"{meta['kind']} classifier"
    out = [f"# {name}", ""]
    if card.get("description"):
        out += [str(card["description"]), ""]
    out += ["## Model", "",
            f"- kind: `{meta['kind']}` (`{type(clf).__name__}`), task: `{meta['params'].get('task')}`",
            "- output: a float score on the 0-5 educational-value scale; `int_score` = "
            "`int(round(max(0, min(score, 5))))`",
            f"- files: {', '.join(f'`{f}`' for f in meta['files'])}, `model.json`",
            f"- created: {meta['created']} with curate {meta['curate_version']}",
            "- load: `from curate.classifiers import load_classifier; load_classifier(\"<this folder>\")`",
            "", "Parameters:", "", "```json", json.dumps(meta["params"], indent=2), "```", ""]
    for key, title in (("data", "Training data (provenance)"), ("labels", "Label source")):
        if card.get(key):
            out += [f"## {title}", "", _block(card[key]), ""]
    if card.get("metrics"):
        out += ["## Evaluation", "", "```", format_report(card["metrics"]), "```", ""]
    for source, metrics in (card.get("metrics_by_source") or {}).items():
        out += [f"### {source}", "", "```", format_report(metrics, title=str(source)), "```", ""]
    for key, title in (("intended_use", "Intended use"), ("limitations", "Limitations"),
                       ("reproduce", "Reproduce")):
        if card.get(key):
            out += [f"## {title}", "", _block(card[key]), ""]
    for key, value in card.items():
        if key not in KNOWN:
            out += [f"## {key.replace('_', ' ').capitalize()}", "", _block(value), ""]
    return "\n".join(out).rstrip() + "\n"


def _block(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(f"- {v}" for v in value)
    if isinstance(value, dict):
        return "\n".join(f"- {k}: {v}" for k, v in value.items())
    return str(value)
