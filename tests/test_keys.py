"""Citation keys: the rule, clash suffixes, safety, and that a pinned key never moves."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slmbib.errors import KeyClashError, UnknownRecordError
from slmbib.models import Listing, Record, Value
from slmbib.writing.keys import assign_keys, base_key, check_key, check_pinned, rekey


def _paper(
    record_id: str, title: str = "", authors: tuple[str, ...] = (), year: int = 2024, **extra: object
) -> Record:
    fields = {"year": Value(year, "s2")}
    if title:
        fields["title"] = Value(title, "s2")
    if authors:
        fields["authors"] = Value(list(authors), "s2")
    line = int(extra.pop("line", 1))  # type: ignore[call-overload]
    name = str(extra.pop("name", title or record_id))
    listing = Listing("refs/lists/a.md", line, "List", name, str(year))
    return Record(id=record_id, listings=(listing,), fields=fields, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("record", "key"),
    [
        (
            _paper("a", "MobileLLM: Optimizing Sub-billion Parameter Models", ("Zechun Liu",)),
            "liu2024mobilellm",
        ),
        (_paper("b", "Attention Is All You Need", ("Ashish Vaswani",), 2017), "vaswani2017attention"),
        (
            _paper("c", "On the Dangers of Stochastic Parrots", ("Emily M. Bender",), 2021),
            "bender2021dangers",
        ),
        (_paper("d", "Über formale Systeme", ("Kurt Gödel",), 1931), "godel1931uber"),
        (_paper("e", "Learning", ("Łukasz Kaiser",)), "kaiser2024learning"),
        (_paper("f", "Music", ("Ludwig van Beethoven",)), "beethoven2024music"),
        (_paper("g", "LLM-Pruner: Structural Pruning", ("Xinyin Ma",), 2023), "ma2023llmpruner"),
        # Never synced: the listed name stands in for both the title and the author.
        (_paper("h", name="MobileLLM"), "mobilellm2024"),
        (_paper("i", name="Qwen 1.5", year=2023), "qwen2023"),
        (_paper("j", "GPT-4 Technical Report", ("OpenAI",), 2023), "openai2023gpt4"),
    ],
)
def test_key_rule(record: Record, key: str) -> None:
    assert base_key(record) == key


def test_clashes_get_suffixes_in_survey_order() -> None:
    first = _paper("z-first", "Deep Learning", ("Yann LeCun",), line=1)
    second = _paper("a-second", "Deep learning again", ("Yann LeCun",), line=2)
    third = _paper("m-third", "Deep nets", ("Yann LeCun",), line=3)
    keyed, given = assign_keys({r.id: r for r in (third, second, first)})
    assert [keyed[r].key for r in ("z-first", "a-second", "m-third")] == [
        "lecun2024deep",
        "lecun2024deepa",
        "lecun2024deepb",
    ]
    assert [change.record_id for change in given] == ["z-first", "a-second", "m-third"]


def test_pinned_keys_and_aliases_are_never_reused() -> None:
    old = replace(_paper("old", "Other"), key="Lecun2024Deep", aliases=("lecun2024deepa",))
    new = _paper("new", "Deep Learning", ("Yann LeCun",))
    keyed, _ = assign_keys({"old": old, "new": new})
    assert keyed["old"] == old
    assert keyed["new"].key == "lecun2024deepb"


@pytest.mark.parametrize("key", ["lin2024mobilellm", "DBLP:conf/nips/VaswaniSPUJGKP17", "a-b_c.d+e"])
def test_safe_keys(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key", ["", "a b", "a,b", "a{b", "a}b", "a%b", "a#b", "a'b", 'a"b', "a=b", "müller", "-x"]
)
def test_unsafe_keys(key: str) -> None:
    with pytest.raises(KeyClashError, match="unsafe citation key"):
        check_key(key)


def test_a_key_claimed_twice_is_refused() -> None:
    one = replace(_paper("one"), key="same")
    two = replace(_paper("two"), key="other", aliases=("SAME",))
    with pytest.raises(KeyClashError, match="also claimed by record 'one'"):
        check_pinned([one, two])


def test_rekey_changes_the_key_and_keeps_the_old_one_as_alias() -> None:
    record = replace(_paper("a", "MobileLLM: Small Models", ("Zechun Liu",)), key="mobilellm2024")
    keyed, changes = rekey({"a": record}, ["mobilellm2024"])
    assert (changes[0].old, changes[0].new) == ("mobilellm2024", "liu2024mobilellm")
    assert keyed["a"].key == "liu2024mobilellm" and keyed["a"].aliases == ("mobilellm2024",)
    # Nothing to do when the key already follows the rule.
    assert rekey(keyed, ["a"])[1] == []
    with pytest.raises(UnknownRecordError, match="no record has the id or citation key"):
        rekey(keyed, ["nobody"])


_names = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=30)
_records = st.lists(
    st.builds(
        lambda title, authors, year, line: (title, authors, year, line),
        _names,
        st.lists(_names, max_size=3),
        st.integers(1900, 2030),
        st.integers(1, 50),
    ),
    max_size=12,
)


def _build(specs: list[tuple[str, list[str], int, int]]) -> dict[str, Record]:
    return {
        f"r{i}": _paper(f"r{i}", title, tuple(authors), year, line=line, name=title or f"n{i}")
        for i, (title, authors, year, line) in enumerate(specs)
    }


@settings(max_examples=60, deadline=None)
@given(_records, _records)
def test_keys_are_safe_unique_and_never_change(specs: list, later: list) -> None:
    records = _build(specs)
    keyed, _ = assign_keys(records)
    keys = [record.key for record in keyed.values()]
    assert all(re.fullmatch(r"[a-z][a-z0-9]*", key) for key in keys)
    assert len({key.lower() for key in keys}) == len(keys)
    assert assign_keys(keyed) == (keyed, [])
    # A later sync rewrites titles, authors and years, and new papers arrive: pinned keys stay.
    changed = {
        record_id: replace(record, fields=_build([spec])["r0"].fields)
        for (record_id, record), spec in zip(keyed.items(), later, strict=False)
    }
    newcomers = {
        f"new{record_id}": replace(record, id=f"new{record_id}")
        for record_id, record in _build(later).items()
    }
    rekeyed, given = assign_keys({**keyed, **changed, **newcomers})
    assert all(rekeyed[record_id].key == record.key for record_id, record in keyed.items())
    assert {change.record_id for change in given} == set(newcomers)
