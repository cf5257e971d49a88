"""The baseline for sync: how per-entry tools fetch metadata, one request per record per service.

Tools that look papers up one at a time (doi2bib-style fetchers, reference
managers' "update metadata") send, for every record, one Semantic Scholar
request and one arXiv request, each service paced as politely as slmbib paces
it.  This client does exactly that against the same local server, so the
difference in the table is the batching alone.

At the real pacing it needs ``N x arxiv_interval`` seconds (10 minutes for 200
records), so the benchmark runs it on a sample and scales the per-record cost
to N; the request counts scale exactly, one per record per service.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

S2_FIELDS = "externalIds,title,authors,venue,publicationVenue,year,publicationDate,journal,publicationTypes"


@dataclass
class PerEntry:
    records: int
    requests: dict[str, int]
    seconds: float


#: Added to every spacing: on a loaded machine the server may stamp an arrival late and see the
#: next, well-spaced request as early, which it refuses (429) and which would end the baseline.
PACING_MARGIN = 0.05


class _Pace:
    def __init__(self, interval: float) -> None:
        self.interval = interval * (1 + PACING_MARGIN)
        self.next_start = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if now < self.next_start:
            time.sleep(self.next_start - now)
        self.next_start = max(now, self.next_start) + self.interval


def _get(client: httpx.Client, pace: _Pace, url: str, params: dict[str, str | int]) -> None:
    """One request, paced; a 429 (the server stamped an arrival late) is waited out and sent again."""
    for _ in range(5):
        pace.wait()
        answer = client.get(url, params=params)
        if answer.status_code != 429:
            answer.raise_for_status()
            return
        time.sleep(pace.interval)
    answer.raise_for_status()


def per_entry_sync(
    s2_api_url: str, arxiv_api_url: str, arxiv_ids: list[str], s2_interval: float, arxiv_interval: float
) -> PerEntry:
    """Fetch every record from both services one request at a time; the server counts what arrives."""
    s2_pace, arxiv_pace = _Pace(s2_interval), _Pace(arxiv_interval)
    requests = {"s2": 0, "arxiv": 0}
    started = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        for arxiv_id in arxiv_ids:
            _get(client, s2_pace, f"{s2_api_url}/graph/v1/paper/ARXIV:{arxiv_id}", {"fields": S2_FIELDS})
            requests["s2"] += 1
            _get(client, arxiv_pace, arxiv_api_url, {"id_list": arxiv_id, "max_results": 1})
            requests["arxiv"] += 1
    return PerEntry(len(arxiv_ids), requests, time.perf_counter() - started)
