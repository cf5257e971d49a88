"""Text to LaTeX and back, for fields of a bibliography.

Contract:

* :func:`encode` turns plain Unicode text (a title or a name from a remote
  record) into LaTeX that pdflatex compiles with its default ``OT1`` font
  encoding, without ``fontenc``, ``textcomp`` font generation or any package:
  every LaTeX special character is escaped, so nothing in the text can run a
  command, close a BibTeX field or open a comment.  Letters outside ASCII
  become accent macros wrapped as BibTeX "special characters" (``{\\L}ukasz``,
  ``G{\\"o}del``): bibtex then treats each as one letter when it abbreviates
  or changes case, instead of cutting a UTF-8 byte sequence in half.
  Characters with no OT1 form are approximated (``ą`` becomes ``a``) or, when
  nothing is left, written ``?``; :class:`Encoded` says which were.
* :func:`protect_title` also wraps the words whose capitals must survive a
  sentence-case style in braces: ``{BERT}``, ``{LLM}s``, ``{Qwen}``.
* :func:`to_text` reads LaTeX a user wrote (a ``.bib`` file) back to plain
  text, for matching titles, making keys and writing CSL-JSON.
* :func:`ascii_fold` reduces text to ASCII letters for citation keys.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass

# Escapes for ASCII characters that mean something to TeX or to BibTeX.  Braces are
# written as text commands, never as ``\{``: BibTeX counts every brace, escaped or
# not.  Commands are followed by ``{}`` rather than wrapped in braces because biber
# takes a wrapped ``{\textbackslash}`` at the start of a name for the name's
# initial and writes a lone brace into the .bbl.  ``<``, ``>`` and ``|`` are drawn
# in math: OT1 text fonts have other glyphs (¡ ¿ —) in their slots, and biber turns
# ``\textless`` back into ``<``.  ``\$`` alone needs a TS1 font that plain
# pdflatex must generate.  Brackets are commands too: natbib writes author names and
# ``key`` into ``\bibitem[label]``, where a bare ``]`` ends the label early.
_ASCII_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\ensuremath{\$}",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\ensuremath{<}",
    ">": r"\ensuremath{>}",
    "|": r"\ensuremath{|}",
    "[": r"\lbrack{}",
    "]": r"\rbrack{}",
}

# Accents that the OT1 encoding can build.  Others (ogonek, ...) are dropped.
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0323": "d",
    "\u0327": "c",
    "\u0331": "b",
}
# Accented letters that survive every path: pdflatex draws their accent macro with
# OT1 fonts, and LaTeX's utf8 input encoding knows the character biber decodes the
# macro into (tested against TeX Live's utf8enc.dfu).  Others are approximated.
OT1_LETTERS = frozenset(
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĆćĈĉĊċČčĎďĒēĔĕĖėĚěĜĝĞğĠġĢģ"
    "ĤĥĨĩĪīĬĭİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŴŵŶŷŸŹźŻżŽžǍǎǏǐǑǒǓǔǦǧǨǩǰǴǵ"
    "ȲȳḂḃḍḞḟḥḰḱḷẎẏṃṅṇṛṣṭẐẑỲỳḠḡ"
)

# Named in code point order from U+03B1 (alpha); omicron looks like an o and stays one.
_GREEK_LOWER = [
    *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"),
    *("mu", "nu", "xi", "o", "pi", "rho", "varsigma", "sigma", "tau", "upsilon", "phi", "chi", "psi"),
    "omega",
]
_GREEK_UPPER = {"Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi"}
_GREEK_UPPER |= {"Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega"}
_MATH = {chr(0x3B1 + i): name for i, name in enumerate(_GREEK_LOWER) if name != "o"}
_MATH |= {char: name for char, name in _GREEK_UPPER.items()}
_MATH |= {"ϵ": "epsilon", "ϑ": "vartheta", "ϕ": "varphi", "ϖ": "varpi", "ϱ": "varrho"}
_MATH |= {"×": "times", "÷": "div", "±": "pm", "∓": "mp", "·": "cdot", "∙": "cdot", "⋅": "cdot"}
_MATH |= {"→": "rightarrow", "←": "leftarrow", "↔": "leftrightarrow", "⇒": "Rightarrow"}
_MATH |= {"⇐": "Leftarrow", "⇔": "Leftrightarrow", "↑": "uparrow", "↓": "downarrow"}
_MATH |= {"≤": "leq", "≥": "geq", "≠": "neq", "≈": "approx", "≡": "equiv", "∼": "sim"}
_MATH |= {"∞": "infty", "∈": "in", "∉": "notin", "∂": "partial", "∇": "nabla", "∑": "sum"}
_MATH |= {"∏": "prod", "∫": "int", "√": "surd", "∀": "forall", "∃": "exists", "∅": "emptyset"}
_MATH |= {"∩": "cap", "∪": "cup", "⊂": "subset", "⊆": "subseteq", "ℓ": "ell", "∘": "circ"}
_MATH |= {"⊕": "oplus", "⊗": "otimes", "†": "dagger", "‡": "ddagger", "§": "S", "¶": "P"}
_MATH |= {"µ": "mu", "•": "bullet", "′": "prime"}

# Whole replacements, checked before any decomposition.
_LETTERS = {
    "Ł": r"{\L}",
    "ł": r"{\l}",
    "Ø": r"{\O}",
    "ø": r"{\o}",
    "ß": r"{\ss}",
    "Æ": r"{\AE}",
    "æ": r"{\ae}",
    "Œ": r"{\OE}",
    "œ": r"{\oe}",
    "Å": r"{\AA}",
    "å": r"{\aa}",
    "ı": r"{\i}",
    "ȷ": r"{\j}",
    "–": "--",
    "—": "---",
    "―": "---",
    "‘": "`",
    "’": "'",
    "‚": ",",
    "“": "``",
    "”": "''",
    "„": ",,",
    "…": r"{\ldots}",
    "¡": r"{\textexclamdown}",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2212": "-",
    "\u2044": "/",
    "\u2215": "/",
    "¿": r"{\textquestiondown}",
    "°": r"{\ensuremath{^\circ}}",
}
# Letters OT1 cannot draw (they need T1 fonts): written as their nearest ASCII.
_APPROXIMATE = {
    "Đ": "D",
    "đ": "d",
    "Ð": "D",
    "ð": "d",
    "Þ": "Th",
    "þ": "th",
    "Ŋ": "Ng",
    "ŋ": "ng",
    "ĸ": "k",
    "ſ": "s",
    "©": "(c)",
    "®": "(R)",
    "™": "TM",
    "€": "EUR",
    "£": "GBP",
    "«": "<<",
    "»": ">>",
    "‹": "<",
    "›": ">",
}
_FOLD_EXTRA = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}
_FOLD_EXTRA |= {"ı": "i", "ȷ": "j"}
_FOLD_EXTRA |= {char: text for char, text in _APPROXIMATE.items() if text.isalpha()}

_FOLD_TABLE = str.maketrans(_FOLD_EXTRA)
_SPACES = re.compile(r"\s+")
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ", "0123456789+-=()n", strict=True))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", "0123456789+-=()", strict=True))


@dataclass(frozen=True)
class Encoded:
    """LaTeX text and the characters that could only be approximated."""

    latex: str
    approximated: tuple[str, ...] = ()


def clean(text: str) -> str:
    """Plain text on one line: control characters dropped, whitespace collapsed, NFC."""
    # This runs on every field of every entry, so each step is skipped where it changes nothing:
    # ASCII is already NFC, and in printable text the only white space is the plain space, so
    # the per-character pass is needed only for tabs, line breaks and control characters.
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if text.isprintable():
        return (_SPACES.sub(" ", text) if "  " in text else text).strip()
    text = "".join(" " if c.isspace() else c for c in text if c.isprintable() or c.isspace())
    return _SPACES.sub(" ", text).strip()


# Pairs TeX's fonts would join into another glyph: ``--`` a dash, two quotes a curly quote.
_LIGATURES = {("-", "-"), ("`", "`"), ("'", "'"), ("?", "`"), ("!", "`")}


def encode(text: str) -> Encoded:
    """LaTeX for plain ``text``; see the module docstring."""
    approximated: list[str] = []
    clusters = _decomposed_clusters(clean(text))
    pieces = []
    for index, cluster in enumerate(clusters):
        pieces.append(_encode_char(cluster, approximated))
        if (cluster, clusters[index + 1] if index + 1 < len(clusters) else "") in _LIGATURES:
            pieces.append("{}")
    return Encoded("".join(pieces), tuple(approximated))


def _decomposed_clusters(text: str) -> list[str]:
    """The text as base characters each followed by their combining marks."""
    clusters: list[str] = []
    for char in text:
        if char in _LETTERS or char in _APPROXIMATE:
            clusters.append(char)
            continue
        for part in unicodedata.normalize("NFD", char):
            if unicodedata.combining(part) and clusters and clusters[-1][0].isalpha():
                clusters[-1] += part
            else:
                clusters.append(part)
    return clusters


def _encode_char(cluster: str, approximated: list[str]) -> str:
    base, marks = cluster[0], cluster[1:]
    if not marks:
        return _encode_base(base, approximated)
    composed = unicodedata.normalize("NFC", cluster)
    if not base.isascii() or not base.isalpha():
        approximated.append(composed)
        return _encode_base(base, approximated)
    if len(marks) == 1 and composed in OT1_LETTERS:
        return _accented(base, marks)
    approximated.append(composed)
    # Letters with two accents (Vietnamese) or an accent OT1 lacks keep the first accent that works.
    for mark in marks:
        if unicodedata.normalize("NFC", base + mark) in OT1_LETTERS:
            return _accented(base, mark)
    return base


def _accented(base: str, mark: str) -> str:
    """``{\\"o}``, ``{\\v{c}}``: one accent on one letter, braced as BibTeX's special character."""
    # ``\\"i`` rather than ``\\"\\i``: biber decodes the dotless form into a combining
    # accent that LaTeX's utf8 input encoding rejects.
    accent = _ACCENTS[mark]
    if accent.isalpha():
        return f"{{\\{accent}{{{base}}}}}"
    return f"{{\\{accent}{base}}}"


def _encode_base(char: str, approximated: list[str]) -> str:
    if char.isascii():
        return _ASCII_ESCAPES.get(char, char)
    if char in _LETTERS:
        return _LETTERS[char]
    if char in _MATH:
        return "{\\ensuremath{\\" + _MATH[char] + "}}"
    if char in _SUPERSCRIPTS:
        return "{\\ensuremath{^{" + _SUPERSCRIPTS[char] + "}}}"
    if char in _SUBSCRIPTS:
        return "{\\ensuremath{_{" + _SUBSCRIPTS[char] + "}}}"
    if unicodedata.category(char) == "Zs":
        return " "
    if unicodedata.category(char) in ("Cf", "Mn"):
        return ""
    compat = unicodedata.normalize("NFKD", char)
    if compat != char and char not in _APPROXIMATE:
        # Ligatures, full-width and other compatibility forms: their plain letters are exact.
        return "".join(_encode_char(part, approximated) for part in _decomposed_clusters(compat))
    approximated.append(char)
    if char in _APPROXIMATE:
        return "".join(_ASCII_ESCAPES.get(part, part) for part in _APPROXIMATE[char])
    return "?"


# Words never worth protecting even when a listing names them.
_COMMON = {"a", "an", "and", "the", "of", "in", "on", "for", "to", "with", "is", "are", "by", "at", "via"}
_LEAD = re.compile(r"\W*")
_PLURAL_ACRONYM = re.compile(r"^([A-Z0-9][A-Z0-9-]*[A-Z0-9])s$")


def needs_protection(word: str, names: Collection[str] = ()) -> bool:
    """Whether a sentence-case style would wrongly lower-case ``word``.

    Acronyms and inner capitals (``BERT``, ``GPT-4``, ``MobileLLM``, ``7B``), single
    capital letters other than the article ``A``, and model names the survey lists.
    """
    if any(char.isupper() for char in word[1:]):
        return True
    if len(word) == 1:
        return word.isupper() and word != "A"
    return word in names and word.lower() not in _COMMON


def protect_title(title: str, names: Collection[str] = ()) -> Encoded:
    """Encode a plain-text title, bracing the words whose capitals must survive."""
    approximated: list[str] = []
    words = []
    for word in clean(title).split(" "):
        lead, core, trail = _split_word(word)
        encoded = [encode(part) for part in (lead, core, trail)]
        for part in encoded:
            approximated.extend(part.approximated)
        lead_tex, core_tex, trail_tex = (part.latex for part in encoded)
        if core and needs_protection(core, names):
            plural = _PLURAL_ACRONYM.match(core)
            core_tex = "{" + encode(plural.group(1)).latex + "}s" if plural else "{" + core_tex + "}"
        words.append(lead_tex + core_tex + trail_tex)
    return Encoded(" ".join(words), tuple(approximated))


def _split_word(word: str) -> tuple[str, str, str]:
    """``word`` as its leading punctuation, its core and its trailing punctuation.

    Found by two scans rather than one pattern: ``^(\\W*)(.*?)(\\W*)$`` backtracks
    quadratically on a word like ``a!!!...!a``, which a remote title may be.
    """
    lead = _LEAD.match(word).group()  # type: ignore[union-attr]
    end = len(word)
    while end > len(lead) and _LEAD.fullmatch(word[end - 1]):
        end -= 1
    return lead, word[len(lead) : end], word[end:]


def braces_balanced(latex: str) -> bool:
    """Whether BibTeX, which counts every brace (escaped or not), sees balanced braces."""
    depth = 0
    # Only the braces matter: visiting them alone keeps this cheap on every field of a large file.
    for brace in _BRACES.findall(latex):
        depth += 1 if brace == "{" else -1
        if depth < 0:
            return False
    return depth == 0


_BRACES = re.compile(r"[{}]")


@functools.lru_cache(maxsize=1)
def _converter() -> object:
    # pylatexenc is slow to set up and to run: built once, used only on the few
    # fields that matching, keys and CSL-JSON need from user-written LaTeX.
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    symbols = {
        "textbraceleft": "{",
        "textbraceright": "}",
        "textless": "<",
        "textgreater": ">",
        "textbar": "|",
        "textasciicircum": "^",
        "textasciitilde": "~",
        "textbackslash": "\\",
        "textunderscore": "_",
        "textquotedbl": '"',
        "lbrack": "[",
        "rbrack": "]",
    }
    context = get_default_latex_context_db().filter_context(keep_categories=None)
    context.add_context_category(
        "slmbib-symbols",
        prepend=True,
        macros=[MacroTextSpec(name, text) for name, text in symbols.items()],
    )
    return LatexNodes2Text(latex_context=context, math_mode="text", strict_latex_spaces=True)


# The LaTeX that most .bib fields hold: braces, accents on a letter, letter macros
# and escaped specials.  Decoded here it costs microseconds; pylatexenc takes about a
# millisecond a field, which made merging 10,000 entries take seconds.
_LETTER_MACROS = {latex.strip("{}\\"): char for char, latex in _LETTERS.items() if latex.startswith("{\\")}
_ACCENT_MARKS = {macro: mark for mark, macro in _ACCENTS.items()}
_SIMPLE_LATEX = re.compile(
    r"""\\(?P<symbol_accent>[`'^~=."])(?:\{(?P<braced>[A-Za-z])\}|(?P<bare>[A-Za-z]))
      | \\(?P<letter_accent>[uvHrdcb])\{(?P<argument>[A-Za-z])\}
      # A control word ends at a non-letter (any script's) and swallows the white space
      # after it, unless that holds two line breaks in a row: a paragraph, which stays a
      # space.  pylatexenc's rule, which decodes the rest: both give the same text.
      | \\(?P<letter>[A-Za-z]+)(?![^\W\d_])(?:(?:[^\S\n]|\n(?!\n))*(?!\s))?
      | \\(?P<escaped>[&%$#_{}])
      | [{}]""",
    re.VERBOSE,
)
# What the simple decoding does not cover, left over once its tokens are removed:
# other commands, math, comments, ties and the ligatures -- `` '' !` ?`.
_NOT_SIMPLE = re.compile(r"[\\$%~]|--|``|''|!`|\?`")


def _decode_simple(found: re.Match[str]) -> str:
    accent = found.group("symbol_accent") or found.group("letter_accent")
    if accent:
        base = found.group("braced") or found.group("bare") or found.group("argument")
        return base + _ACCENT_MARKS[accent]
    if found.group("letter"):
        return _LETTER_MACROS[found.group("letter")]
    return found.group("escaped") or ""


def _is_simple(latex: str) -> bool:
    def known(found: re.Match[str]) -> str:
        letter = found.group("letter")
        return "\\" if letter and letter not in _LETTER_MACROS else " "

    return not _NOT_SIMPLE.search(_SIMPLE_LATEX.sub(known, latex))


# Merge, keys and the writer each read the same title and names: each text is decoded once.
@functools.lru_cache(maxsize=2**17)
def to_text(latex: str) -> str:
    """Plain text for LaTeX a user wrote: macros decoded, braces dropped, spaces collapsed.

    Common LaTeX is decoded directly; anything else by pylatexenc, with the same result.
    """
    if not any(char in latex for char in "\\{}$~"):
        return clean(latex)
    latex = _LOGO.sub(lambda found: _LOGOS[found.group(1)], latex)
    if _is_simple(latex):
        return clean(_SIMPLE_LATEX.sub(_decode_simple, latex))
    return _decode_by_pylatexenc(latex)


# The TeX logos, which pylatexenc does not know and drops: ``The \LaTeX{} Companion``.
_LOGOS = {"TeX": "TeX", "LaTeX": "LaTeX", "LaTeXe": "LaTeX2e", "BibTeX": "BibTeX", "XeTeX": "XeTeX"}
_LOGOS |= {
    "LuaTeX": "LuaTeX",
    "ConTeXt": "ConTeXt",
    "AmS": "AMS",
    "AmSTeX": "AMS-TeX",
    "METAFONT": "METAFONT",
}
_LOGO = re.compile(r"\\(" + "|".join(sorted(_LOGOS, key=len, reverse=True)) + r")(?![A-Za-z])(?:\{\})?")


# What pylatexenc decodes is kept apart from to_text's own cache, which the short texts of a large
# file may have turned over: pylatexenc takes a millisecond a text.
@functools.lru_cache(maxsize=2**16)
def _decode_by_pylatexenc(latex: str) -> str:
    return clean(next(_decoded_apart(latex)))


def _decoded_apart(latex: str) -> Iterator[str]:
    """pylatexenc's text for ``latex``, decoded in a generator's frame.

    pylatexenc keeps the end-of-text exception it catches in a local of a frame
    on that exception's own traceback: a reference cycle, which holds every
    calling frame and its locals (a merge's records, all of them) until the
    cycle collector runs, and at a large import that was only at exit, seconds
    later.  A suspended generator's frame has no caller, so the cycle ends here.
    """
    yield _converter().latex_to_text(latex, latex_context=_parser_context())  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=1)
def _parser_context() -> object:
    # Left to itself, pylatexenc builds its parser's macro table anew for every text: a
    # quarter of its time on a large .bib.  The table is read-only; one serves every text.
    from pylatexenc.latexwalker import get_default_latex_context_db

    return get_default_latex_context_db()


def ascii_fold(text: str) -> str:
    """ASCII approximation of plain text: accents dropped, ``ß`` as ``ss``, others removed."""
    if text.isascii():
        return text
    # Mapped and dropped by C string methods, not character by character: every title
    # of a large .bib is folded for matching.
    folded = unicodedata.normalize("NFKD", text).translate(_FOLD_TABLE)
    return folded.encode("ascii", "ignore").decode("ascii")
