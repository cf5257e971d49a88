"""Plain text to LaTeX: escaped, ASCII only, balanced, and read back to the same text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slmbib.latex import ascii_fold, braces_balanced, encode, protect_title, to_text
from slmbib.names import bibtex_name, person, split_names

# Every command the encoder may write: text symbols, accents, letters, math.  Nothing else
# (\input, \write18, \def, ...) can come out of it, whatever the input.
ALLOWED_COMMANDS = {
    *("textbackslash", "textbraceleft", "textbraceright", "textasciitilde", "textasciicircum"),
    *("ensuremath", "ldots", "textexclamdown", "textquestiondown", "lbrack", "rbrack"),
    *("L", "l", "O", "o", "ss", "AE", "ae", "OE", "oe", "AA", "aa", "i", "j"),
    *("v", "u", "H", "c", "d", "b", "r"),
    *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"),
    *("mu", "nu", "xi", "pi", "rho", "varsigma", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"),
    *("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"),
    *("vartheta", "varphi", "varpi", "varrho", "times", "div", "pm", "mp", "cdot", "rightarrow"),
    *("leftarrow", "leftrightarrow", "Rightarrow", "Leftarrow", "Leftrightarrow", "uparrow", "downarrow"),
    *("leq", "geq", "neq", "approx", "equiv", "sim", "infty", "in", "notin", "partial", "nabla", "sum"),
    *("prod", "int", "surd", "forall", "exists", "emptyset", "cap", "cup", "subset", "subseteq", "ell"),
    *("circ", "oplus", "otimes", "dagger", "ddagger", "S", "P", "bullet", "prime"),
}
_COMMAND = re.compile(r"\\([A-Za-z]+)")


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("50% & #1", r"50\% \& \#1"),
        ("a_b $5", r"a\_b \ensuremath{\$}5"),
        (r"\input{x}", r"\textbackslash{}input\textbraceleft{}x\textbraceright{}"),
        ("~^", r"\textasciitilde{}\textasciicircum{}"),
        ("a<b>c|d", r"a\ensuremath{<}b\ensuremath{>}c\ensuremath{|}d"),
        ("Łukasz Gödel", r"{\L}ukasz G{\"o}del"),
        ("Müller naïve Núñez", r"M{\"u}ller na{\"i}ve N{\'u}{\~n}ez"),
        ("Dvořák Çelik", r"Dvo{\v{r}}{\'a}k {\c{C}}elik"),
        ("line\nbreak\ttab  spaces", "line break tab spaces"),
        ("\u03b1 \u2264 3\u00d7", r"{\ensuremath{\alpha}} {\ensuremath{\leq}} 3{\ensuremath{\times}}"),
    ],
)
def test_encoding(text: str, latex: str) -> None:
    assert encode(text).latex == latex
    assert encode(text).approximated == ()


@pytest.mark.parametrize(
    ("text", "latex", "approximated"),
    [
        # Two accents on one letter: biber would decode the nested macros into broken UTF-8.
        ("Nguyễn", r"Nguy{\^e}n", ("ễ",)),
        # Ogonek and Đ exist only in T1 fonts.
        ("Dąbrowski Đặng", r"Dabrowski D{\u{a}}ng", ("ą", "Đ", "ặ")),
        ("中文", "??", ("中", "文")),
    ],
)
def test_characters_pdflatex_cannot_draw_are_approximated(
    text: str, latex: str, approximated: tuple[str, ...]
) -> None:
    assert encode(text) == type(encode(text))(latex, approximated)


@given(st.text())
def test_any_text_encodes_to_safe_ascii(text: str) -> None:
    latex = encode(text).latex
    assert latex.isascii()
    assert braces_balanced(latex)
    assert "\n" not in latex
    assert set(_COMMAND.findall(latex)) <= ALLOWED_COMMANDS
    # Comment, parameter, alignment and subscript characters only ever come escaped.
    assert not re.search(r"(?<!\\)[%#&_]", latex)


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)))
def test_printable_ascii_reads_back_unchanged(text: str) -> None:
    assert to_text(encode(text).latex) == " ".join(text.split())


@given(st.text(alphabet="ÀÁÂÄÇÈÉÊËÍÎÏÑÓÔÖÚÜàáâäçèéêëíîïñóôöúüýÿčěřšžŁłøßæœåĞğİŞş abc"))
def test_accented_letters_read_back_unchanged(text: str) -> None:
    encoded = encode(text)
    assert encoded.approximated == ()
    assert to_text(encoded.latex) == " ".join(text.split())


@pytest.mark.parametrize(
    ("title", "latex"),
    [
        ("BERT: Pre-training of Deep Transformers", "{BERT}: Pre-training of Deep Transformers"),
        ("Small LLMs are weak", "Small {LLM}s are weak"),
        ("Qwen Technical Report", "{Qwen} Technical Report"),
        ("MobileLLM for On-Device Use", "{MobileLLM} for {On-Device} Use"),
        ("A Survey of GPT-4 and 7B models", "A Survey of {GPT-4} and {7B} models"),
        ("Scaling (LoRA) to Part B", "Scaling ({LoRA}) to Part {B}"),
    ],
)
def test_title_capitals_are_protected(title: str, latex: str) -> None:
    assert protect_title(title, {"Qwen"}).latex == latex


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Łukasz Kaiser", r"Kaiser, {\L}ukasz"),
        ("Ludwig van Beethoven", "van Beethoven, Ludwig"),
        ("Martin Luther King Jr.", "King, Jr., Martin Luther"),
        ("Smith, John", "Smith, John"),
        ("Tom and Jerry", "Jerry, Tom {and}"),
        ("others", "{others}"),
        ("Gemma Team", "{Gemma Team}"),
        ("Plato", "Plato"),
        ("a, b, c", "a{,} b{,} c"),
        ("Lone } Brace", r"\textbraceright{} Brace, Lone"),
    ],
)
def test_names_are_written_family_first(name: str, written: str) -> None:
    assert bibtex_name(person(name)) == written


def test_name_lists_split_at_and_outside_braces() -> None:
    assert split_names(r"A and \c{C}elik, B and {Barnes and Noble} AND  C\L ukasz") == [
        "A",
        r"\c{C}elik, B",
        "{Barnes and Noble}",
        r"C\L ukasz",
    ]


def test_names_a_user_wrote_in_latex_are_kept() -> None:
    who = person(r"M{\"u}ller, Hans", latex=True)
    assert bibtex_name(who) == r"M{\"u}ller, Hans"
    assert to_text(who.last) == "Müller"


def test_ascii_fold() -> None:
    assert ascii_fold("Łukasz Gödel Søren Straße Dąbrowski") == "Lukasz Godel Soren Strasse Dabrowski"
