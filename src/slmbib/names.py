"""BibTeX names: author lists split at ``and``, one name split into its parts, and written back.

Contract:

* :func:`split_names` splits a BibTeX name list at ``and`` outside braces;
  :func:`author_list` and :func:`first_author` read an ``authors`` value of
  either form (a list of names, or one ``A and B`` string).
* :func:`person` splits one name the way BibTeX does (bibtexparser's splitter,
  run on the encoded name so that escaped braces cannot mislead it) and
  :func:`bibtex_name` writes it back as ``Family, Jr, Given``;
  :func:`written_bibtex_name` keeps a name a user wrote when BibTeX reads it as it is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .latex import braces_balanced, clean, encode

_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
# A last word that makes a listed author an organisation, written as one unsplit name.
_ORGANISATION_WORDS = {"Team", "Group", "Lab", "Labs", "Consortium", "Collaboration", "Inc.", "AI"}


@dataclass(frozen=True)
class Person:
    """An author's name as BibTeX sees it; every part is LaTeX."""

    family: str
    given: str = ""
    suffix: str = ""
    #: The last name without particles (``Beethoven`` for ``van Beethoven``), as LaTeX.
    last: str = ""


def person(name: str, latex: bool = False) -> Person:
    """Split ``name`` (``Given Family`` or ``Family, Given``) into BibTeX's parts.

    ``latex`` says the name is LaTeX a user wrote (kept as written); otherwise it is
    plain text, encoded first.
    """
    written = clean(name)
    if latex and braces_balanced(written):
        source = written
    else:
        source = _encode_name(written)
        words = written.split(" ")
        if "," not in written and (len(words) == 1 or words[-1] in _ORGANISATION_WORDS):
            # Mononyms and organisations: one last name, never split into given/family.
            source = "{" + source + "}" if len(words) > 1 else source
            return Person(family=source, last=source)
    first, von, last, jr = name_parts(source)
    return Person(
        family=" ".join([*von, *last]),
        given=" ".join(first),
        suffix=" ".join(jr),
        last=" ".join(last),
    )


# A brace group, nested up to three deep, and a name's tokens: words (separated, as
# bibtexparser separates them, by spaces, ties and line ends outside braces) and commas.
_GROUP = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_NAME_TOKEN = re.compile(rf"(?:[^ ~\r\n\t,{{}}]|{_GROUP})+|,")
_NAME_SEPARATORS = re.compile(r"[ ~\r\n\t]*")
_TOP_GROUP = re.compile(_GROUP)
# BibTeX's foreign letters: a special character made of one of them has its case.
_FOREIGN_LETTERS = frozenset({"i", "j", "oe", "OE", "ae", "AE", "aa", "AA", "o", "O", "l", "L", "ss"})
_SPECIAL = re.compile(r"\{\\([A-Za-z]+|.)(.*)\}", re.DOTALL)
_Words = list[str]


# ``\~`` is the tilde accent (``Mu\~{n}oz``), not a tie between two words: hidden while a name is split.
_TILDE_ACCENT = "\\~"
_HIDDEN_TILDE = "\ue000"


def name_parts(source: str) -> tuple[_Words, _Words, _Words, _Words]:
    """The (first, von, last, jr) words of a BibTeX name; see :func:`_name_parts`."""
    if _TILDE_ACCENT not in source:
        return _name_parts(source)
    parts = _name_parts(source.replace(_TILDE_ACCENT, "\\" + _HIDDEN_TILDE))
    restore = [[word.replace(_HIDDEN_TILDE, "~") for word in words] for words in parts]
    return restore[0], restore[1], restore[2], restore[3]


def _name_parts(source: str) -> tuple[_Words, _Words, _Words, _Words]:
    """The (first, von, last, jr) words of a BibTeX name.

    Which words go where depends only on the comma-separated sections and on each
    word's case.  The words and their cases are found here, and bibtexparser's
    character-by-character splitter runs once per *shape* (``A, A a A``) instead of
    once per name: a large .bib has hundreds of thousands.  The case of a word that
    starts with a special character (``{\\L}ukasz``, ``{\\c{C}}a{\\u{g}}lar``) is
    BibTeX's, which bibtexparser 2.1 gets wrong (it makes ``{\\L}ukasz M. Kaiser`` a
    family name).  Names it could misread otherwise (escaped braces, a backslash
    outside braces, deeper nesting) go to bibtexparser whole.
    """
    if ("{" in source or "}" in source or "\\" in source) and (
        "\\{" in source
        or "\\}" in source
        or "\\" in _TOP_GROUP.sub("", source)
        or _NAME_SEPARATORS.fullmatch(_NAME_TOKEN.sub("", source)) is None
    ):
        return _bibtexparser_parts(source)
    sections: list[_Words] = [[]]
    for token in _NAME_TOKEN.findall(source):
        if token != ",":
            sections[-1].append(token)
        elif len(sections) < 3:  # a fourth section is bibtexparser's error case: it keeps three
            sections.append([])
    shape = ", ".join(" ".join(_case_of(word) for word in section) for section in sections)
    first, von, last, jr = _shape_counts(shape)
    if not sections[-1]:
        sections.pop()  # a trailing comma, dropped as bibtexparser drops it
    if len(sections) <= 1:
        words = sections[0] if sections else []
        return words[:first], words[first : first + von], words[first + von :], []
    # "von Last, First" and "von Last, Jr, First": the last section is first, a middle one jr.
    return (
        sections[-1][:first],
        sections[0][:von],
        sections[0][von : von + last],
        sections[1][:jr] if len(sections) == 3 else [],
    )


@functools.lru_cache(maxsize=4096)
def _case_of(word: str) -> str:
    """A one-letter word of ``word``'s case: ``A``, ``a``, or ``1`` for none.

    The first letter outside braces decides.  A group that is not a special
    character (``{BERT}``) has no case; a special character (``{\'E}``) has its
    foreign letter's case, else that of its first letter after the command, else
    BibTeX's default, upper.
    """
    position = 0
    while position < len(word):
        group = _TOP_GROUP.match(word, position)
        if group is None:
            if word[position].isalpha():
                return "A" if word[position].isupper() else "a"
            position += 1
            continue
        special = _SPECIAL.fullmatch(group.group())
        if special is not None:
            command, rest = special.groups()
            if command in _FOREIGN_LETTERS:
                return "A" if command[0].isupper() else "a"
            letter = next((char for char in rest if char.isalpha()), "A")
            return "A" if letter.isupper() else "a"
        position = group.end()
    return "1"


@functools.lru_cache(maxsize=1024)
def _shape_counts(shape: str) -> tuple[int, int, int, int]:
    first, von, last, jr = _bibtexparser_parts(shape)
    return len(first), len(von), len(last), len(jr)


def _bibtexparser_parts(source: str) -> tuple[_Words, _Words, _Words, _Words]:
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    parts = parse_single_name_into_parts(source, strict=False)
    return parts.first, parts.von, parts.last, parts.jr


def _encode_name(name: str) -> str:
    """LaTeX for a plain-text name that BibTeX splits as its author meant."""
    words = name.split(" ")
    if "," not in name and len(words) > 2 and words[-1].lower() in _SUFFIXES:
        name = " ".join(words[:-1]) + ", " + words[-1]
    left, comma, right = name.partition(",")
    if comma and "," not in right:
        if right.strip().lower() in _SUFFIXES:
            # ``Given Family, Jr.`` is not a BibTeX form: reorder to ``Family, Jr., Given``.
            given_family = _encode_words(left)
            parts = given_family.rsplit(" ", 1)
            if len(parts) == 2:
                return f"{parts[1]}, {_encode_words(right)}, {parts[0]}"
            return f"{given_family}, {_encode_words(right)}"
        return f"{_encode_words(left)}, {_encode_words(right)}"
    return _encode_words(name)


def _encode_words(text: str) -> str:
    words = []
    for word in text.strip().split(" "):
        if word.lower() in ("and", "others"):
            # ``and`` would split the name in two and ``others`` would read as "et al.".
            words.append("{" + word + "}")
        else:
            words.append(encode(word).latex.replace(",", "{,}"))
    return " ".join(word for word in words if word)


def split_names(value: str) -> list[str]:
    """The names of a BibTeX name list: split at ``and`` outside braces, as BibTeX does.

    bibtexparser 2.1's ``split_multiple_persons_names`` drops the first two
    characters of a name that starts with a command (``and \\c{C}elik``).
    """
    # Without braces every space is at depth 0: the words are str.split()'s, found in C
    # rather than character by character (a long author list has thousands of characters).
    tokens = value.split() if "{" not in value and "}" not in value else _words_outside_braces(value)
    names: list[list[str]] = [[]]
    for token in tokens:
        if token.lower() == "and" and names[-1]:
            names.append([])
        else:
            names[-1].append(token)
    return [" ".join(name) for name in names if name]


def _words_outside_braces(value: str) -> list[str]:
    tokens: list[str] = []
    current: list[str] = []
    depth = 0
    for char in value:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        if char.isspace() and depth == 0:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def author_list(value: object) -> list[str]:
    """The names of an ``authors`` value: a list of names, or one string in BibTeX's ``A and B`` form."""
    if isinstance(value, str):
        return split_names(value)
    return list(_listed_names(value))


def first_author(value: object) -> str:
    """The first name of an ``authors`` value (see :func:`author_list`), '' if it has none.

    Without copying a list of thousands of names: merging asks for each record's first author.
    """
    if isinstance(value, str):
        return next(iter(split_names(value)), "")
    return next(_listed_names(value), "")


def _listed_names(value: object) -> Iterator[str]:
    if isinstance(value, (list, tuple)):
        return (str(name) for name in value if str(name).strip())
    return iter(())


def bibtex_name(who: Person) -> str:
    """``von Last, Jr, First`` with empty parts left out."""
    return ", ".join(part for part in (who.family, who.suffix, who.given) if part)


def written_bibtex_name(name: str) -> str | None:
    """A name a user wrote in a ``.bib``, cleaned, if BibTeX reads it as it is; else None.

    BibTeX splits such a name itself, so it is written as read: splitting it
    only to join the same parts again cost a sixth of exporting a large file.
    It must have balanced braces and at most two commas outside them (a third
    is BibTeX's error).
    """
    written = clean(name)
    if not written or not braces_balanced(written):
        return None
    commas = written.count(",") if "{" not in written else _TOP_GROUP.sub("", written).count(",")
    if commas > 2 or written.startswith(",") or written.endswith(","):
        return None
    return written
