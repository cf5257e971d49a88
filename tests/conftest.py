"""Shared pytest fixtures."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .replay_server import ReplayServer
from .seeds import REPO

#: Where a command sends what a test did not point at the replay server: a loopback port nothing
#: listens on, so a forgotten URL fails the test at once instead of reaching the live services.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def no_live_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLMBIB_S2_API_URL", NOWHERE)
    monkeypatch.setenv("SLMBIB_ARXIV_API_URL", f"{NOWHERE}/api/query")


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
