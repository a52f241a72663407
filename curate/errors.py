"""Exceptions that carry a message meant for the person running curate."""

from __future__ import annotations


class CurateError(Exception):
    """Base class for errors that curate reports without a traceback."""


class ConfigError(CurateError):
    """A pipeline file or stage parameter is invalid; the message names the key and what is expected."""


class InputError(CurateError):
    """An input path is missing, unsupported or matches no files."""


class OutputError(CurateError):
    """The output directory cannot be used (exists without --resume/--overwrite, unwritable, ...)."""
