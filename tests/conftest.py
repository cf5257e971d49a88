"""Shared pytest fixtures."""

from collections.abc import Iterator

import pytest

from .replay_server import ReplayServer


@pytest.fixture
def replay_server() -> Iterator[ReplayServer]:
    """A started loopback stand-in for Semantic Scholar and arXiv, no pacing; stopped after the test."""
    with ReplayServer() as server:
        yield server
