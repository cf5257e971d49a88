"""Shared pytest fixtures."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .replay_server import ReplayServer
from .seeds import REPO


@pytest.fixture
def replay_server() -> Iterator[ReplayServer]:
    """A started loopback stand-in for Semantic Scholar and arXiv, no pacing; stopped after the test."""
    with ReplayServer() as server:
        yield server


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the committed refs/ (lists, papers, survey record) in a working folder of its own."""
    shutil.copytree(REPO / "refs", tmp_path / "refs")
    monkeypatch.chdir(tmp_path)
    return tmp_path
