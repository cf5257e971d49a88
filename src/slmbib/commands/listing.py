"""``slmbib list``: the database as data for people and for other tools.

The JSON form is a stable interface (documented in README.md, "slmbib list --json")::

    {"format": "slmbib-records", "version": 1, "records": [RECORD, ...]}

where RECORD is the record's YAML content (``id``, ``key``, ``aliases``,
``identifiers``, ``links``, ``listings``, ``fields`` with provenance,
``sync``, ``override``) plus two derived members: ``title`` (the best title
known, else the listed name) and ``flags``.  Records come sorted by id; new
members may be added in a later version, none is removed or renamed without
raising ``version``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..models import Record
from ..store import load_records, require_refs

JSON_FORMAT = "slmbib-records"
JSON_VERSION = 1


def list_records(refs: Path) -> list[Record]:
    require_refs(refs)
    return sorted(load_records(refs).values(), key=lambda record: record.id)


def record_as_json(record: Record) -> dict[str, Any]:
    data = record.to_dict()
    data["title"] = record.title
    data["flags"] = list(record.flags)
    return data


def records_as_json(records: list[Record]) -> str:
    document = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "records": [record_as_json(record) for record in records],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
