"""Further CLI commands, one family per module; each does ``from curate.cli import app`` and
decorates its functions with ``@app.command()``. ``curate.cli`` imports every module here."""
