"""What a sync makes of the answers: new records, their sync status, merges, files saved, the summary.

A record is applied (:func:`settle`) once its every lookup is answered or
given up on, from the answers alone, never from the order they came in; it is
saved then, and only if its file changes.  :func:`finish` gives up on what was
not answered, merges the records that turned out to be one paper, saves, and
sums the run up in a :class:`SyncResult`.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ...errors import ApiError, SyncFailure
from ...merge import merge_records
from ...models import Record
from ...store import dump_record, own_path, record_path, save_records
from ...survey import save_own
from .. import arxiv, s2
from ..resolve import apply
from .plan import Plan, Slot, Standing, unavailable_reason


@dataclass
class SyncResult:
    records: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    #: ``(record id, status, reason)`` for every record not resolved.
    unresolved: list[tuple[str, str, str]] = field(default_factory=list)
    #: Ids of the records whose file changed (or, with ``--dry-run``, would change).
    changed: list[str] = field(default_factory=list)
    #: ``id: field: 'old' -> 'new' (source)``: stored values the services replaced with different ones.
    changed_values: list[str] = field(default_factory=list)
    #: ``id: ...``: values kept against a differing remote one (override, .bib, identifiers).
    conflicts: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    cache_hits: int = 0
    elapsed: float = 0.0
    #: One per service that failed: its error, and which records it left unsynced.
    errors: list[SyncFailure] = field(default_factory=list)
    #: With ``--dry-run``: a unified diff per record that would change.
    diff: str = ""
    dry_run: bool = False

    def lines(self) -> list[str]:
        counts = ", ".join(
            f"{self.statuses[s]} {s.replace('_', ' ')}"
            for s in ("resolved", "not_found", "ambiguous", "unavailable")
            if self.statuses[s]
        )
        verb = "would change" if self.dry_run else "changed"
        out = [f"records: {self.records} synced: {counts or 'none'}"]
        out.extend(f"{status.replace('_', ' ')}: {rid}: {reason}" for rid, status, reason in self.unresolved)
        out.append(f"{verb}: {len(self.changed)} records")
        out.extend(f"value changed: {line}" for line in self.changed_values)
        out.extend(f"kept: {line}" for line in self.conflicts)
        out.extend(f"merged: {removed} into {kept}" for kept, removed in self.merged)
        sent = ", ".join(f"{service} {count}" for service, count in self.requests.items())
        out.append(f"requests: {sent}; cache hits: {self.cache_hits}; time: {self.elapsed:.1f} s")
        return out


@dataclass
class State:
    """What a run has done so far (its :class:`.plan.Plan` says what it set out to do)."""

    #: Every record as it stands now.
    records: dict[str, Record]
    #: What each record file holds now, to write a record only when it changes.
    saved: dict[str, Record]
    #: The records whose outcome is known (every lookup answered, or given up).
    settled: set[str] = field(default_factory=set)
    #: Which records read which cache entry: an answer stored there concerns exactly these.
    readers: dict[Slot, set[str]] = field(default_factory=dict)
    #: Cache entries answered from an earlier run's cache.
    hits: set[Slot] = field(default_factory=set)
    #: Per record: values kept against a differing remote one.
    conflicts: dict[str, list[str]] = field(default_factory=dict)
    #: Per service given up on: the error that ended it.
    failures: dict[str, ApiError] = field(default_factory=dict)
    #: Ids of the record files written.
    written: set[str] = field(default_factory=set)

    @property
    def gave_up(self) -> dict[str, str]:
        """Per service given up on: the reason its records give."""
        return {service: unavailable_reason(error) for service, error in self.failures.items()}

    def note_reads(self, record_id: str, reads: Iterable[Slot], hits: Iterable[Slot]) -> None:
        """Remember that ``record_id`` read these cache entries (``hits`` from an earlier run)."""
        for slot in reads:
            self.readers.setdefault(slot, set()).add(record_id)
        self.hits.update(hits)


def settle(state: State, record: Record, standing: Standing, *, finished: bool) -> Record:
    """``record`` with its answers applied once all are in (or, the run ``finished``, given up on);
    until then, ``record`` unchanged."""
    if not (standing.settled or finished):
        return record
    state.settled.add(record.id)
    applied = apply(record, standing.s2, standing.arxiv)
    state.conflicts[record.id] = applied.conflicts
    return applied.record


def save(plan: Plan, state: State, records: list[Record], remove: Iterable[str] = ()) -> None:
    """Write ``records`` (papers and own works each to their files) and delete ``remove``."""
    remove = list(remove)
    if plan.options.dry_run or not (records or remove):
        return
    papers = [record for record in records if record.id not in plan.own_ids]
    state.written.update(save_records(plan.refs, papers, remove=remove))
    state.written.update(remove)
    state.written.update(save_own(plan.refs, [record for record in records if record.id in plan.own_ids]))
    state.saved.update((record.id, record) for record in records)


def unsynced(failures: Mapping[str, ApiError], standings: Mapping[str, Standing]) -> list[SyncFailure]:
    """One failure per service given up on, naming the records it left unavailable."""
    left: dict[str, list[str]] = {service: [] for service in failures}
    for record_id, standing in standings.items():
        for service, lookup in ((s2.SERVICE, standing.s2), (arxiv.SERVICE, standing.arxiv)):
            if lookup.state == "unavailable" and service in left:
                left[service].append(record_id)
    return [SyncFailure(error, left[service]) for service, error in failures.items()]


def finish(plan: Plan, state: State, result: SyncResult) -> SyncResult:
    """Merge the records that are one paper, save what changed, and fill in ``result``."""
    papers = [record for record in state.records.values() if record.id not in plan.own_ids]
    merged = merge_records(papers, existing=plan.original)
    final = {record.id: record for record in merged.records}
    final.update((record_id, state.records[record_id]) for record_id in plan.own_ids)
    removed = [gone for _, gone in merged.merged]
    result.merged = merged.merged
    for record_id in plan.targets:
        record = final.get(record_id) or state.records[record_id]
        status, reason = (record.sync.status, record.sync.reason) if record.sync else ("", "")
        result.statuses[status] += 1
        if status != "resolved":
            result.unresolved.append((record_id, status, reason))
        result.conflicts.extend(f"{record_id}: {line}" for line in state.conflicts.get(record_id, ()))
        result.changed_values.extend(
            f"{record_id}: {line}" for line in _changed_values(plan.original[record_id], record)
        )
    save(plan, state, [record for rid, record in final.items() if record != state.saved[rid]], removed)
    if plan.options.dry_run:
        diffs = {
            rid: _diff(plan, rid, final.get(rid))
            for rid in plan.original
            if final.get(rid) != plan.original[rid]
        }
        result.changed = sorted(rid for rid, diff in diffs.items() if diff)
        result.diff = "".join(diffs[rid] for rid in result.changed)
    else:
        result.changed = sorted(state.written)
    result.cache_hits = len(state.hits)
    return result


def _changed_values(old: Record, new: Record) -> list[str]:
    lines = []
    for name, value in new.fields.items():
        before = old.fields.get(name)
        if before is not None and before.value != value.value:
            lines.append(f"{name}: {before.value!r} -> {value.value!r} ({value.source})")
    return lines


def _diff(plan: Plan, record_id: str, new: Record | None) -> str:
    old = plan.original.get(record_id)
    path = own_path if record_id in plan.own_ids else record_path
    name = str(path(plan.refs, record_id))
    return "".join(
        difflib.unified_diff(
            dump_record(old).splitlines(keepends=True) if old else [],
            dump_record(new).splitlines(keepends=True) if new else [],
            fromfile=name if old else "/dev/null",
            tofile=name if new else "/dev/null",
        )
    )
