"""Stages: each module holds one family of signals and rules."""

from curate.stages.base import GlobalStage, Rule, Stage, apply_rules

__all__ = ["GlobalStage", "Rule", "Stage", "apply_rules"]
