"""Where the test suite finds the survey's real lists."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LISTS = REPO / "refs" / "lists"
SEED_000 = LISTS / "000_a65a45ae749ad8e5.md"
SEED_001 = LISTS / "001_b4add92330990902.md"
SEEDS = (SEED_000, SEED_001)
