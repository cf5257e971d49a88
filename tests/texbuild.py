"""Compile a bibliography with the real TeX tools and collect every error and warning.

One document cites every key with its own ``\\cite``; it is built with pdflatex
and bibtex (``plain``, ``plainnat``, ``abbrvnat``) or biber (biblatex), as
often as a clean log needs.  Font generation is switched off, so a character
that needs a font pdflatex would have to generate (TS1, T1) fails loudly
instead of quietly running METAFONT; shell escape is off, so nothing in a
bibliography can run a program.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

STYLES = ("plain", "plainnat", "abbrvnat", "biblatex")

_PREAMBLE = r"""\documentclass{article}
\input{glyphtounicode}\pdfgentounicode=1
\pdfinterwordspaceon
\hyphenpenalty=10000 \exhyphenpenalty=10000
"""


@dataclass(frozen=True)
class Build:
    style: str
    log: str
    blg: str
    bbl: str
    pdf: Path
    problems: tuple[str, ...]


def _env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MKTEXPK="0",
        MKTEXTFM="0",
        MKTEXMF="0",
        TEXMFVAR=str(folder / "texmf-var"),
        shell_escape="f",
        openout_any="p",
    )
    return env


def _run(folder: Path, *command: str) -> int:
    done = subprocess.run(
        command, cwd=folder, env=_env(folder), capture_output=True, timeout=300, stdin=subprocess.DEVNULL
    )
    return done.returncode


def _document(style: str, keys: Sequence[str], url: bool = True) -> str:
    cites = "\n".join(rf"\cite{{{key}}}" for key in keys)
    preamble = _PREAMBLE + ("\\usepackage{url}\n" if url else "")
    if style == "biblatex":
        return (
            preamble
            + "\\usepackage[backend=biber]{biblatex}\n\\addbibresource{refs.bib}\n"
            + f"\\begin{{document}}\n{cites}\n\\printbibliography\n\\end{{document}}\n"
        )
    natbib = "\\usepackage{natbib}\n" if style != "plain" else ""
    body = f"{cites}\n\\bibliographystyle{{{style}}}\n\\bibliography{{refs}}\n"
    return preamble + natbib + f"\\begin{{document}}\n{body}\\end{{document}}\n"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def build(folder: Path, bib_text: str, keys: Sequence[str], style: str, url: bool = True) -> Build:
    """Compile a document citing ``keys`` from ``bib_text`` with ``style`` (and the url package)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refs.bib").write_text(bib_text, encoding="utf-8")
    (folder / "doc.tex").write_text(_document(style, keys, url), encoding="utf-8")
    latex = ("pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "doc.tex")
    problems = []
    if _run(folder, *latex) != 0:
        problems.append("first pdflatex run failed")
    tool = ("biber", "doc") if style == "biblatex" else ("bibtex", "doc")
    status = _run(folder, *tool)
    if status != 0:
        problems.append(f"{tool[0]} exit status {status}")
    for _ in range(2):
        _run(folder, *latex)
    log, blg = _read(folder / "doc.log"), _read(folder / "doc.blg")
    problems += [line for line in log.splitlines() if line.startswith("!") or "Warning" in line]
    problems += [line for line in log.splitlines() if "Missing character" in line]
    if style == "biblatex":
        problems += [line for line in blg.splitlines() if re.search(r"\b(WARN|ERROR)\b", line)]
    else:
        problems += [
            line for line in blg.splitlines() if line.startswith("Warning--") or "error message" in line
        ]
    if not (folder / "doc.pdf").exists():
        problems.append("no PDF")
    return Build(style, log, blg, _read(folder / "doc.bbl"), folder / "doc.pdf", tuple(problems))


def pdf_text(pdf: Path) -> str:
    """The PDF's text, normalised so that typeset symbols compare to the characters they stand for."""
    import unicodedata

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    # OT1 draws ~ and ^ as accents and ' " as curly quotes.
    for drawn, char in (("\u02dc", "~"), ("\u02c6", "^"), ("\u2019", "'"), ("\u2018", "`")):
        text = text.replace(drawn, char)
    return unicodedata.normalize("NFKC", text)


def squeeze(text: str) -> str:
    """Text without white space and case, for finding a title across line breaks and case changes."""
    return re.sub(r"\s+", "", text).casefold()


def folded(text: str) -> str:
    """Only the ASCII letters and digits of ``text``, lower-cased: accents and strokes dropped."""
    from slmbib.latex import ascii_fold

    return re.sub(r"[^a-z0-9]", "", ascii_fold(text).lower())
