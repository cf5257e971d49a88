"""The fast paths of slmbib.latex give exactly what the slow, general code gives.

``to_text`` decodes the LaTeX most .bib fields hold itself and leaves the rest
to pylatexenc; ``clean`` and ``braces_balanced`` skip work on ordinary text.
Each is checked against the general definition on generated text, and the
common forms are checked not to reach pylatexenc at all.
"""

from __future__ import annotations

import gc
import re
import unicodedata
import uuid
import weakref

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from slmbib import latex, names
from slmbib.latex import braces_balanced, clean, to_text

# Pieces of real .bib fields, and the pieces that make LaTeX hard: other commands,
# math, ties, comments, ligatures, paragraph breaks, letters of other scripts.
_PIECES = [
    *("a", "B", "s", "i", "x", "1", " ", "  ", ",", ".", "-", "--", "'", "`", "!", "?", "é", "Ł"),
    *("{", "}", "{", "}", "~", "$", "%", "\n", "\n\n", "\t", "\u00a0", "\x01", "\\\\", "\\ "),
    *("\\&", "\\%", "\\$", "\\#", "\\_", "\\{", "\\}"),
    *("\\'", '\\"', "\\`", "\\^", "\\~", "\\=", "\\."),
    *("\\u", "\\v", "\\H", "\\c", "\\r", "\\d", "\\b", "\\k"),
    *("\\L", "\\l", "\\o", "\\O", "\\ss", "\\ae", "\\AA", "\\OE", "\\i", "\\j", "\\textbf", "\\emph"),
]
latex_soup = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=10).map("".join)


def pylatexenc_text(text: str) -> str:
    """What to_text gave before it had a fast path: pylatexenc on anything with markup."""
    if not any(char in text for char in "\\{}$~"):
        return clean(text)
    return clean(latex._converter().latex_to_text(text))  # type: ignore[attr-defined]


@settings(max_examples=3000, deadline=None)
@given(latex_soup)
def test_to_text_equals_pylatexenc(text: str) -> None:
    assert to_text(text) == pylatexenc_text(text)


@pytest.mark.parametrize(
    ("written", "text"),
    [
        ('M{\\"u}ller', "Müller"),
        ("{\\L}ukasz", "Łukasz"),
        ("\\L ukasz", "Łukasz"),
        ("Jos\\'e", "José"),
        ("Jos{\\'e}", "José"),
        ("{\\c{C}}a{\\u{g}}lar G{\\\"u}l{\\c{c}}ehre", "Çağlar Gülçehre"),
        ("Stra{\\ss}e", "Straße"),
        ("{\\O}yvind", "Øyvind"),
        ("{BERT}: Pre-training of Deep {T}ransformers", "BERT: Pre-training of Deep Transformers"),
        ("Theory \\& Practice in 50\\% Fewer Steps", "Theory & Practice in 50% Fewer Steps"),
        ("{{Qwen}} {LLM}s\n  at Scale", "Qwen LLMs at Scale"),
    ],
)  # fmt: skip
def test_common_latex_is_decoded_without_pylatexenc(written: str, text: str) -> None:
    before = latex._decode_by_pylatexenc.cache_info()
    assert to_text(written) == text
    after = latex._decode_by_pylatexenc.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)


def test_other_latex_still_goes_to_pylatexenc() -> None:
    assert to_text("Sparse $\\ell_1$ {\\em Models} -- Revisited") == pylatexenc_text(
        "Sparse $\\ell_1$ {\\em Models} -- Revisited"
    )
    assert to_text("A~B") == "A B"  # a tie is a non-breaking space, then plain space


def test_decoding_by_pylatexenc_keeps_no_caller_alive() -> None:
    """pylatexenc makes a reference cycle of the exception it catches at the end of a text.

    Reached from a caller's frame, the cycle would hold the caller's locals (a merge's
    records) until the cycle collector runs: here, with it off, the caller's data must go
    when the caller returns.
    """

    class Data:
        pass

    def caller(text: str) -> tuple[weakref.ref[Data], str]:
        data = Data()
        return weakref.ref(data), to_text(text)

    # A text no earlier test decoded: the caches must not answer it.
    text = f"Sparse $\\ell_1$ {{\\em Models}} {uuid.uuid4().hex}"
    collecting = gc.isenabled()
    gc.disable()
    try:
        gone, decoded = caller(text)
        assert gone() is None
    finally:
        if collecting:
            gc.enable()
    assert decoded == pylatexenc_text(text)


def reference_clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if char.isspace() else char for char in text if char.isprintable() or char.isspace())
    return re.sub(r"\s+", " ", text).strip()


#: Text clean() can keep as it is, and text it must change: any text rarely has two spaces in a row.
_PRINTABLE = "ae \u0301\u00e9"
_NOT_PRINTABLE = "\t\n\r\x00\x1b\x7f\u00a0\u2003\u2028\ufeff\u200b"


@settings(max_examples=3000, deadline=None)
@given(st.text() | st.text(alphabet=_PRINTABLE) | st.text(alphabet=_PRINTABLE + _NOT_PRINTABLE))
def test_clean_equals_its_definition(text: str) -> None:
    assert clean(text) == reference_clean(text)


def reference_balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="{}\\ab "))
def test_braces_balanced_equals_its_definition(text: str) -> None:
    assert braces_balanced(text) == reference_balanced(text)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aAnd \t\n\u00a0\u2003,.\\~"))))
def test_names_without_braces_split_as_with_the_brace_aware_scan(text: str) -> None:
    assert text.split() == names._words_outside_braces(text)


def reference_ascii_fold(text: str) -> str:
    kept = []
    for char in unicodedata.normalize("NFKD", text):
        if char.isascii():
            kept.append(char)
        elif char in latex._FOLD_EXTRA:
            kept.append(latex._FOLD_EXTRA[char])
    return "".join(kept)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ ßæÆœŒøØłŁıȷþÞđĸ©€«ǿéÅﬁ①²\u0301\u00a0-"))) | st.text())
def test_ascii_fold_equals_its_definition(text: str) -> None:
    assert latex.ascii_fold(text) == reference_ascii_fold(text)


_NAME_WORDS = ["Ada", "Lovelace", "van", "der", "de", "la", "Jr.", "III", "O'Neil", "Ødegaard", "ǅemal"]
_NAME_WORDS += ["émile", "1st", "-", "J.", "Yu-Xiang", "ß", "Łukasz", "von", ",", ",", " ", "  ", "~"]
# Braces that are not special characters, escapes outside braces, and what is left to bibtexparser.
_NAME_WORDS += ["{van der Maaten}", "{BERT}", "a{b}c", "{{Nested}}", "{a {b {c {d}}}}", "{", "}", "\\"]
_NAME_WORDS += ["\\{", "{\\'E}lodie", 'M{\\"u}ller', '{\\"u}ber', '\\"u', "\\L ukasz"]
bibtex_names = st.lists(st.sampled_from(_NAME_WORDS), max_size=9).map(" ".join)


def _special_inside_plain_group(name: str) -> bool:
    """A brace group not opened by a backslash that holds one that is: ``{ M{\\"u}ller }``."""
    depth, plain_open = 0, False
    for index, char in enumerate(name):
        if char == "{":
            if depth == 0:
                plain_open = name[index + 1 : index + 2] != "\\"
            elif plain_open and name[index + 1 : index + 2] == "\\":
                return True
            depth += 1
        elif char == "}" and depth:
            depth -= 1
    return False


@settings(max_examples=3000, deadline=None)
@given(bibtex_names)
def test_names_split_as_bibtexparser_splits_them(name: str) -> None:
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    # bibtexparser takes the case of such a word from the special character inside it; BibTeX
    # reads no letter at brace level 0 there, so the word has no case (pinned below).
    assume(not _special_inside_plain_group(name))
    parts = parse_single_name_into_parts(name, strict=False)
    assert names.name_parts(name) == (parts.first, parts.von, parts.last, parts.jr)


def test_a_plain_brace_group_has_no_case_even_around_a_special_character() -> None:
    assert names.name_parts('Ada { M{\\"u}ller } Ada') == (["Ada", '{ M{\\"u}ller }'], [], ["Ada"], [])


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [
        # bibtexparser 2.1 reads these first names as "von" parts, and the whole name as a family name.
        ("{\\L}ukasz M. Kaiser", "Kaiser", "{\\L}ukasz M."),
        ('{\\c{C}}a{\\u{g}}lar V. G{\\"u}l{\\c{c}}ehre', 'G{\\"u}l{\\c{c}}ehre', "{\\c{C}}a{\\u{g}}lar V."),
        ("{\\DJ}or{\\dj}e Q. Cho", "Cho", "{\\DJ}or{\\dj}e Q."),
        ("{\\O}yvind N. Tafjord", "Tafjord", "{\\O}yvind N."),
        # A lower-case special character is a lower-case word, as in BibTeX.
        ("Jean {\\'e}mile de la Fontaine", "{\\'e}mile de la Fontaine", "Jean"),
        ("Ludwig van Beethoven", "van Beethoven", "Ludwig"),
    ],
)
def test_special_characters_take_their_letters_case(name: str, family: str, given: str) -> None:
    who = names.person(name, latex=True)
    assert (who.family, who.given) == (family, given)


def test_names_from_plain_text_split_the_same_way() -> None:
    who = names.person("Łukasz M. Kaiser")
    assert (who.family, who.given, who.last) == ("Kaiser", "{\\L}ukasz M.", "Kaiser")
