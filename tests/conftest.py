"""Shared fixtures: the real third-party data in ../shared/data (skipped with a reason where absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE_DATA = REPO / "sample_data"


def shared(*parts: str) -> Path:
    """Path under ../shared/data, skipping the test if that data is not on this machine."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{'/'.join(parts)} (real third-party data, absent on this machine)")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The ../shared/data folder."""
    return shared()
