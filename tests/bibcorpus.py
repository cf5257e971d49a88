"""Other projects' .bib test files through import and export, compared field by field.

``tests/data/bib-corpus/`` holds 205 real .bib files (see its SOURCE.md).  Each is
imported into a fresh ``refs/`` and exported; the fields of every entry read from the
input are compared with the same entry read from the export, after LaTeX decoding.
"""

from __future__ import annotations

from pathlib import Path

from dataclasses import replace

from slmbib.bibread import parse_bib, read_bibtex, repair_latex
from slmbib.keys import assign_keys
from slmbib.latex import clean, to_text
from slmbib.merge import merge_records
from slmbib.write import VERBATIM_FIELDS, month_macro, render

CORPUS = Path(__file__).parent / "data" / "bib-corpus"
FILES = sorted(path for path in CORPUS.rglob("*.bib"))

#: biblatex names of fields the bibtex export writes under BibTeX's name.
BIBTEX_NAMES = {"journaltitle": "journal", "location": "address"}


def read_entries(text: str) -> dict[str, dict[str, str]]:
    """Entries by key (lower-cased), their fields by lower-cased name."""
    entries: dict[str, dict[str, str]] = {}
    for entry in read_bibtex(text).entries:
        fields = {name.lower(): value for name, value in entry.fields}
        fields["@type"] = entry.entry_type
        entries.setdefault(entry.key.lower(), fields)
    return entries


def decoded(value: str, name: str) -> str:
    """A field's meaning: bare ``& % #`` escaped (as import does), LaTeX decoded, spacing ignored."""
    if name not in VERBATIM_FIELDS:
        value = repair_latex(clean(value))[0]
    return clean(to_text(value))


def bibliography(source: Path, fmt: str) -> tuple[str, list[str], set[str]]:
    """``source`` read, merged and written as ``fmt`` by the library calls ``import`` and
    ``export`` make (without refs/ on disk, which only stores the records between them).

    Also the problems reported, and the keys (lower-cased) of entries merged into another.
    """
    entries, reported = parse_bib(source)
    records = {f"r{number}": replace(record, id=f"r{number}") for number, (_, record) in enumerate(entries)}
    merged = merge_records(records.values()).records
    keyed, _ = assign_keys({record.id: record for record in merged})
    ordered = sorted(keyed.values(), key=lambda record: record.key.lower())
    aliases = {alias.lower() for record in ordered for alias in record.aliases}
    return render(ordered, fmt).text, reported, aliases


def lost_fields(source_text: str, exported: str, dialect: str, merged: set[str]) -> list[str]:
    """``key: field`` for every field of an imported entry that the export lost or changed.

    An entry ``merged`` into another is written as that one (its key still cites it): each of
    its fields must be there, with the value of the entry it was merged into.
    """
    before = read_entries(source_text)
    after = read_entries(exported)
    lost = []
    for key, fields in before.items():
        if key not in after:
            continue
        written = after[key]
        for name, value in fields.items():
            if name == "@type" or not clean(value):
                continue
            target = BIBTEX_NAMES.get(name, name) if dialect == "bibtex" else name
            if target in fields or (target not in written and name in written):
                target = name
            if name == "month":
                # A month macro is written bare, whichever way it was given.
                value, written_value = _month(value), _month(written.get(target, ""))
                if written_value != value and key not in merged:
                    lost.append(f"{key}: month: {value!r} -> {written_value!r}")
                continue
            if target not in written:
                lost.append(f"{key}: {name}: {value!r} -> None")
            elif key not in merged and decoded(written[target], name) != decoded(value, name):
                lost.append(f"{key}: {name}: {value!r} -> {written.get(target)!r}")
    return lost


def _month(value: str) -> str:
    return month_macro(value) or clean(value)
