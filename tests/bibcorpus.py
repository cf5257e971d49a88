"""Other projects' .bib test files through import and export, compared field by field.

``tests/data/bib-corpus/`` holds 205 real .bib files (see its SOURCE.md).  Each is
imported into a fresh ``refs/`` and exported; the fields of every entry read from the
input are compared with the same entry read from the export, after LaTeX decoding.
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from slmbib.latex import clean, to_text
from slmbib.merge import merge_records
from slmbib.reading.bibread import parse_bib, read_bibtex, repair_latex
from slmbib.writing.bibtex import VERBATIM_FIELDS, month_macro
from slmbib.writing.keys import assign_keys
from slmbib.writing.write import render

from . import texbuild

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
    entries, problems = parse_bib(source)
    reported = [str(problem) for problem in problems]
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


# -- compiling: the input and its export, under the same styles ----------------------------------

BATCH = 40
WORKERS = 2
_ERROR_LINE = re.compile(r"^! ", re.MULTILINE)
_FONTS = "\\usepackage{url}\n"
#: What TeX says when it stops reading a document (or swallows the rest of it into one
#: argument): whatever follows was never checked, so its errors cannot be counted.
_STOPPED = re.compile(
    r"Fatal error occurred|Emergency stop|TeX capacity exceeded|File ended while scanning|Runaway argument"
)


def _tex(folder: Path, *command: str) -> None:
    env = texbuild._env(folder)
    # Other projects' text needs fonts this machine only has as METAFONT sources (TS1's
    # symbols): they are made once, in a folder the whole run shares.
    env.update(MKTEXPK="1", MKTEXTFM="1", TEXMFVAR=str(folder.parent / "texmf-var"))
    subprocess.run(command, cwd=folder, env=env, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)


def _bibtex_errors(folder: Path, style: str, bibs: list[str]) -> dict[str, int]:
    """bibtex's errors and warnings for each of ``bibs`` (every entry cited), and LaTeX's for all of them."""
    counts = {}
    for name in bibs:
        stem = Path(name).stem
        (folder / f"{stem}.aux").write_text(
            f"\\citation{{*}}\n\\bibdata{{{stem}}}\n\\bibstyle{{{style}}}\n", encoding="utf-8"
        )
        _tex(folder, "bibtex", stem)
        blg = (folder / f"{stem}.blg").read_text(encoding="utf-8", errors="replace")
        found = re.search(r"\(There (?:was|were) (\d+) error", blg)
        counts[name] = (int(found.group(1)) if found else 0) + blg.count("Warning--")
    natbib = "\\usepackage{natbib}\n" if style != "plain" else ""
    body = "".join(
        f"\\begingroup\\input{{{Path(name).stem}.bbl}}\\endgroup\n"
        for name in bibs
        if (folder / f"{Path(name).stem}.bbl").exists()
    )
    (folder / "doc.tex").write_text(
        f"\\documentclass{{article}}\n{_FONTS}{natbib}\\begin{{document}}\n{body}\\end{{document}}\n",
        encoding="utf-8",
    )
    _tex(folder, "pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "doc.tex")
    log = (folder / "doc.log").read_text(encoding="utf-8", errors="replace")
    counts["LaTeX"] = len(_ERROR_LINE.findall(log))
    counts["stopped"] = bool(_STOPPED.search(log))
    return counts


def _biber_errors(folder: Path, bibs: list[str]) -> dict[str, int]:
    """biber's errors and warnings and LaTeX's, for one document with a refsection per file."""
    sections = "".join(
        f"\\begin{{refsection}}[{name}]\\nocite{{*}}\\printbibliography\\end{{refsection}}\n" for name in bibs
    )
    (folder / "doc.tex").write_text(
        "\\documentclass{article}\n" + _FONTS + "\\usepackage[backend=biber]{biblatex}\n"
        f"\\begin{{document}}\n{sections}\\end{{document}}\n",
        encoding="utf-8",
    )
    latex = ("pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "doc.tex")
    _tex(folder, *latex)
    _tex(folder, "biber", "doc")
    _tex(folder, *latex)
    blg = (folder / "doc.blg").read_text(encoding="utf-8", errors="replace")
    log = (folder / "doc.log").read_text(encoding="utf-8", errors="replace")
    return {
        "biber": len(re.findall(r"\b(?:WARN|ERROR)\b", blg)),
        "LaTeX": len(_ERROR_LINE.findall(log)),
        "stopped": bool(_STOPPED.search(log)),
    }


def errors(folder: Path, style: str, texts: list[str]) -> tuple[int, bool]:
    """Errors and warnings compiling the .bib ``texts`` together (each in its own bibliography),
    and whether TeX stopped before the end."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for number, text in enumerate(texts):
        names.append(f"b{number}.bib")
        (folder / names[-1]).write_text(text, encoding="utf-8")
    counts = _biber_errors(folder, names) if style == "biblatex" else _bibtex_errors(folder, style, names)
    stopped = bool(counts.pop("stopped"))
    return sum(counts.values()), stopped


def compare_compiles(work: Path, style: str, pairs: list[tuple[str, str, str]]) -> list[str]:
    """``name: input errors -> export errors`` for each (name, input, export) whose export is worse.

    Worse: more errors and warnings, or TeX stopped reading the export's document and not
    the input's.  Where TeX stopped reading the input's, the input's errors after that point
    were never counted and the export is only required not to stop.  Files are compiled in
    batches, two at a time; a batch whose export is not plainly as good is compiled again
    in halves, down to the files that are the cause.
    """
    batches = [pairs[start : start + BATCH] for start in range(0, len(pairs), BATCH)]

    def check(folder: Path, group: list[tuple[str, str, str]]) -> list[str]:
        before = errors(folder / "in", style, [text for _, text, _ in group])
        after = errors(folder / "out", style, [text for _, _, text in group])
        if after[0] <= before[0] and not after[1] and not before[1]:
            return []
        if len(group) > 1:
            # Halves, not single files: few files of a batch are the cause.
            middle = len(group) // 2
            return check(folder / "a", group[:middle]) + check(folder / "b", group[middle:])
        (stopped_before, stopped_after) = (before[1], after[1])
        if stopped_after > stopped_before or (not stopped_before and after[0] > before[0]):
            shown = ("stopped" if stop else str(count) for count, stop in (before, after))
            return [f"{group[0][0]}: " + " -> ".join(shown)]
        return []

    def batch(number: int) -> list[str]:
        return check(work / f"{style}-{number}", batches[number])

    with ThreadPoolExecutor(WORKERS) as pool:
        return [line for found in pool.map(batch, range(len(batches))) for line in found]
