"""`slmbib import FILE.bib`: LaTeX kept as written, failures reported by line, nothing half-imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slmbib.errors import InputErrors
from slmbib.names import person
from slmbib.reading.bibread import import_bib, parse_bib, read_bibtex
from slmbib.store import load_records
from slmbib.writing.export import export_bibliography

from .bibcorpus import bibliography, lost_fields, read_entries
from .workspace import run, snapshot

MAINTAINER_BIB = r"""% A maintainer's own bibliography.
@string{icml = "International Conference on Machine Learning"}

@inproceedings{liu2024mobilellm,
  title     = {{MobileLLM}: Optimizing Sub-billion Parameter Language Models for On-Device Use Cases},
  author    = {Liu, Zechun and Zhao, Changsheng and Iandola, Forrest and Lai, Chen and Tian, Yuandong
               and others},
  booktitle = icml,
  year      = 2024,
  month     = jul,
  eprint    = {2402.14905},
  archivePrefix = {arXiv},
}

@article{gu2023mamba,
  title = {Mamba: Linear-Time Sequence Modeling with Selective State Spaces \& 100\% {SSM}s},
  author = {Gu, Albert and Dao, Tri},
  journal = {arXiv preprint arXiv:2312.00752},
  year = {2023},
}

@misc{godel1931,
  title = {{\"U}ber formal unentscheidbare S{\"a}tze},
  author = {G{\"o}del, Kurt and \c{C}elik, Ay\c{s}e},
  howpublished = {\url{https://example.org/g_odel}},
  year = {1931},
}
"""


@pytest.fixture
def mine(project: Path) -> Path:
    path = project / "mine.bib"
    path.write_text(MAINTAINER_BIB, encoding="utf-8")
    return path


def test_entries_merge_into_refs_with_their_latex_as_written(mine: Path) -> None:
    project = mine.parent
    listed_key = load_records(project / "refs")["arxiv-2402.14905"].key
    code, _, err = run("import", "mine.bib")
    assert code == 0, err
    assert "mine.bib: 3 entries read" in err and "records: 2 created, 1 updated" in err
    records = load_records(project / "refs")
    mobilellm = records["arxiv-2402.14905"]
    # The entry's key, unless an export pinned one first (then the entry's becomes an alias).
    assert mobilellm.key == (listed_key or "liu2024mobilellm")
    assert mobilellm.provenance("title") == "bib"
    assert mobilellm.get("title").startswith("{MobileLLM}: Optimizing")
    assert mobilellm.get("booktitle") == "International Conference on Machine Learning"
    assert mobilellm.get("authors_truncated") is True and len(mobilellm.get("authors")) == 5
    assert len(mobilellm.listings) == 3  # still the three rows of the lists
    mamba = next(r for r in records.values() if r.key == "gu2023mamba")
    assert mamba.identifiers == {"arxiv": "2312.00752"} and mamba.get("entry_type") == "preprint"
    godel = next(r for r in records.values() if r.key == "godel1931")
    assert godel.get("authors") == [r"G{\"o}del, Kurt", r"\c{C}elik, Ay\c{s}e"]

    code, out, _ = run("export", "-")
    assert (
        r"title = {Mamba: Linear-Time Sequence Modeling with Selective State Spaces \& 100\% {SSM}s}" in out
    )
    assert r"author = {G{\"o}del, Kurt and \c{C}elik, Ay\c{s}e}" in out
    assert r"howpublished = {\url{https://example.org/g_odel}}" in out
    assert f"@inproceedings{{{mobilellm.key}," in out and "month = jul," in out
    assert "Tian, Yuandong and others}" in out


@pytest.mark.usefixtures("mine")
def test_reimporting_changes_nothing(project: Path) -> None:
    run("import", "mine.bib")
    before = snapshot(project / "refs")
    code, _, err = run("import", "mine.bib")
    assert code == 0 and "records: 0 created, 0 updated" in err
    assert snapshot(project / "refs") == before


@pytest.mark.usefixtures("mine")
def test_an_existing_key_is_kept_and_the_entry_key_becomes_an_alias(project: Path) -> None:
    run("export", "survey.bib")  # pins MobileLLM's key first
    pinned = load_records(project / "refs")["arxiv-2402.14905"].key
    code, _, err = run("import", "mine.bib")
    assert code == 0 and f"merged: liu2024mobilellm -> {pinned}" in err
    mobilellm = load_records(project / "refs")["arxiv-2402.14905"]
    assert mobilellm.key == pinned and mobilellm.aliases == ("liu2024mobilellm",)


BROKEN = r"""@article{ok2024,
  title = {Fine},
  year = 2024,
}

@article{bad title = {x},
}

@article{ok2024,
  title = {Same key again},
}

@misc{brace2024, title = {Not \} balanced}}

@misc{undefined2024, title = {Fine too}, journal = nosuchstring}

@misc{bad key, title = {x}}
"""


@pytest.mark.usefixtures("mine")
def test_every_problem_is_reported_by_line_and_the_rest_is_imported(project: Path) -> None:
    (project / "broken.bib").write_text(BROKEN, encoding="utf-8")
    code, _, err = run("import", "broken.bib", "mine.bib")
    assert code == 0, err
    lines = err.splitlines()
    reported = [line for line in lines if line.startswith("broken.bib:") and "entries read" not in line]
    assert [line.split(": ", 1)[0] for line in reported] == [
        "broken.bib:6",
        "broken.bib:13",
        "broken.bib:15",
        "broken.bib:17",
        "broken.bib:9",
    ]
    assert "expected ',' after the key" in reported[0]
    assert "BibTeX counts the brace of '\\}' too" in reported[1]
    assert "journal uses an undefined @string 'nosuchstring'" in reported[2]
    assert "key 'ok2024' is used twice (first at broken.bib:1): skipped" in reported[4]
    assert "broken.bib: 3 entries read" in err and "mine.bib: 3 entries read" in err
    keys = {record.key for record in load_records(project / "refs").values()}
    assert {"ok2024", "undefined2024", "gu2023mamba"} <= keys


def test_a_file_that_is_not_utf8_names_its_line(project: Path) -> None:
    (project / "latin1.bib").write_bytes(b"@misc{a,\n title = {G\xf6del}}\n")
    with pytest.raises(InputErrors, match=r"latin1.bib:2: not UTF-8"):
        import_bib(project / "refs", [project / "latin1.bib"])


def test_a_key_already_taken_by_another_paper_is_refused(project: Path) -> None:
    run("export", "survey.bib")
    pinned = load_records(project / "refs")["arxiv-2402.14905"].key
    (project / "clash.bib").write_text(f"@misc{{{pinned}, title = {{Another Paper Entirely Here}}}}\n")
    code, _, err = run("import", "clash.bib")
    assert code == 1
    assert err.startswith(f"Error: clash.bib:1: citation key '{pinned}' is also claimed by record")


def test_a_key_clash_of_two_entries_made_one_names_the_entry_the_record_was_made_from(project: Path) -> None:
    """The entries are new records, not yet named: the first given survives and is named in the error."""
    run("export", "survey.bib")
    pinned = load_records(project / "refs")["arxiv-2402.14905"].key
    entry = "title = {A Paper Only This File Has}, eprint = {2501.00001}"
    (project / "clash.bib").write_text(f"@misc{{zfirst, {entry}}}\n\n@misc{{{pinned}, {entry}}}\n")
    code, _, err = run("import", "clash.bib")
    assert code == 1
    assert err.startswith(f"Error: clash.bib:1: citation key '{pinned}' is also claimed by record"), err


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list('@{}=,"\\ \n#%abc1')), max_size=120))
def test_any_bib_text_gives_entries_or_line_numbered_problems(tmp_path: Path, text: str) -> None:
    path = tmp_path / "any.bib"
    path.write_text(text, encoding="utf-8")
    entries, problems = parse_bib(path)
    for problem in map(str, problems):
        assert problem.startswith(f"{path}:") and "\n" not in problem
    for line, record in entries:
        assert 1 <= line <= text.count("\n") + 1 and record.key


# -- issue 15: each way an imported .bib lost what it said ------------------------------------------


def _exports(folder: Path, text: str) -> dict[str, str]:
    """``text`` imported into a fresh refs/ and exported in each format."""
    folder.mkdir(exist_ok=True)
    bib = folder / "in.bib"
    bib.write_text(text, encoding="utf-8")
    refs = folder / "refs"
    import_bib(refs, [bib])
    return {fmt: export_bibliography(refs, None, fmt=fmt).text for fmt in ("bibtex", "biblatex", "csl-json")}


def _entries(text: str) -> dict[str, dict[str, str]]:
    return {key: fields for key, fields in read_entries(text).items()}


def test_item1_chapters_sharing_their_books_doi_stay_apart(tmp_path: Path) -> None:
    out = _exports(
        tmp_path,
        "@incollection{one, title = {First Chapter}, author = {Ann Alpha}, booktitle = {The Book},"
        " pages = {1--10}, year = 2020, doi = {10.1000/book}}\n"
        "@incollection{two, title = {Second Chapter}, author = {Bob Beta}, booktitle = {The Book},"
        " pages = {11--20}, year = 2020, doi = {10.1000/book}}\n"
        "@book{book, title = {The Book}, editor = {Eve Editor}, year = 2020, doi = {10.1000/book},"
        " publisher = {P}}\n",
    )
    entries = _entries(out["bibtex"])
    assert entries["one"]["title"] == "First Chapter" and entries["one"]["pages"] == "1--10"
    assert entries["two"]["author"] == "Bob Beta" and entries["two"]["pages"] == "11--20"
    assert entries["book"]["@type"] == "book"


def test_item2_a_users_url_is_kept_without_a_doi(tmp_path: Path) -> None:
    out = _exports(
        tmp_path, "@misc{w, title = {A Page}, url = {https://example.org/some/page}, year = 2020}\n"
    )
    assert _entries(out["bibtex"])["w"]["url"] == "https://example.org/some/page"


def test_item3_the_tilde_accent_in_a_name_is_kept(tmp_path: Path) -> None:
    out = _exports(
        tmp_path, "@article{m, title = {T}, author = {Mu\\~{n}oz, Juan}, journal = {J}, year = 2000}\n"
    )
    assert _entries(out["bibtex"])["m"]["author"] == "Mu\\~{n}oz, Juan"
    assert '"family": "Muñoz"' in out["csl-json"]
    assert person("Mu\\~{n}oz, Juan", latex=True).family == "Mu\\~{n}oz"


def test_item4_the_preamble_is_written_before_the_entries(tmp_path: Path) -> None:
    out = _exports(
        tmp_path,
        '@preamble{"\\newcommand{\\noopsort}[1]{}"}\n@book{b, title = {{\\noopsort{a}}B}, year = 2000}\n',
    )
    for fmt in ("bibtex", "biblatex"):
        assert out[fmt].index("@preamble{{\\newcommand{\\noopsort}[1]{}}}") < out[fmt].index("@book{b,")


_TYPES = r"""@book{book, author = {A A}, title = {Book}, publisher = {P}, year = 2000,
  address = {Here}, series = {S}}
@incollection{incollection, author = {A A}, title = {Chapter}, booktitle = {Book},
  publisher = {P}, year = 2000, editor = {E E}}
@inbook{inbook, author = {A A}, title = {Book}, chapter = {3}, publisher = {P}, year = 2000}
@phdthesis{phd, author = {A A}, title = {Thesis about \LaTeX}, school = {MIT}, year = 2000}
@mastersthesis{ma, author = {A A}, title = {Thesis Two}, school = {MIT}, year = 2000}
@techreport{tr, author = {A A}, title = {Report}, institution = {Inst}, number = {7}, year = 2000}
@proceedings{proc, editor = {E E and F F}, title = {Proceedings of Things}, year = 2000,
  isbn = {978-3-16-148410-0}}
@manual{man, title = {Manual}, organization = {Org}, year = 2000}
@unpublished{unp, author = {A A}, title = {Draft}, note = {In preparation}, year = 2000}
@report{rep, author = {A A}, title = {Biblatex Report}, institution = {Inst},
  type = {techreport}, date = {2000}}
@thesis{mathesis, author = {A A}, title = {Biblatex Thesis}, institution = {Uni},
  type = {mathesis}, date = {2000}}
@online{web, author = {A A}, title = {Web Page}, url = {https://example.org/}, date = {2000-05-06}}
"""


def test_item5_6_every_type_and_its_names_are_kept(tmp_path: Path) -> None:
    out = _exports(tmp_path, _TYPES)
    bibtex, biblatex = _entries(out["bibtex"]), _entries(out["biblatex"])
    written = {key: fields["@type"] for key, fields in bibtex.items()}
    assert written == {
        **{"book": "book", "incollection": "incollection", "inbook": "inbook", "phd": "phdthesis"},
        **{"ma": "mastersthesis", "tr": "techreport", "proc": "proceedings", "man": "manual"},
        **{"unp": "unpublished", "rep": "techreport", "mathesis": "mastersthesis", "web": "misc"},
    }
    assert {key: fields["@type"] for key, fields in biblatex.items()}["web"] == "online"
    assert bibtex["proc"]["editor"] == "E E and F F" and bibtex["incollection"]["editor"] == "E E"
    assert bibtex["mathesis"]["school"] == "Uni" and bibtex["web"]["year"] == "2000"
    assert bibtex["book"]["address"] == "Here" and bibtex["proc"]["isbn"] == "978-3-16-148410-0"
    assert "Thesis about \\LaTeX" in out["bibtex"]


def test_item7_a_crossref_is_kept_and_its_parent_written_after_the_child(tmp_path: Path) -> None:
    out = _exports(
        tmp_path,
        "@proceedings{aaa, title = {Proceedings of Things}, editor = {E E}, year = 2000, publisher = {P}}\n"
        "@inproceedings{zzz, author = {A A}, title = {A Paper}, crossref = {aaa}, pages = {1--2}}\n",
    )
    assert _entries(out["bibtex"])["zzz"]["crossref"] == "aaa"
    assert out["bibtex"].index("@inproceedings{zzz,") < out["bibtex"].index("@proceedings{aaa,")


def test_item8_12_13_bibtex_reads_strings_repeated_fields_and_counted_braces(tmp_path: Path) -> None:
    bib = tmp_path / "rules.bib"
    bib.write_text(
        '@string{pub = "Big"}\n'
        '@book{k, title = pub # " Publisher " # {Book}, Title = {Second},'
        " note = {x \\\\{ y}}, year = 2001}\n",
        encoding="utf-8",
    )
    entries, problems = parse_bib(bib)
    fields = dict(entries[0][1].get("bib_fields"))
    assert fields == {"title": "Big Publisher Book", "note": "x \\\\{ y}", "year": "2001"}
    assert list(map(str, problems)) == [f"{bib}:2: Title given twice: the first is kept, as BibTeX does"]


def test_item9_10_11_old_years_published_eprints_and_full_dates(tmp_path: Path) -> None:
    out = _exports(
        tmp_path,
        "@book{old, author = {Isaac Newton}, title = {Principia}, year = 1687,"
        " publisher = {Royal Society}}\n"
        "@article{pub, author = {A A}, title = {Published}, journaltitle = {J. Things},"
        " eprint = {2101.00001}, eprinttype = {arxiv}, date = {2021-03-04}}\n",
    )
    bibtex, biblatex = _entries(out["bibtex"]), _entries(out["biblatex"])
    assert bibtex["old"]["@type"] == "book" and bibtex["old"]["year"] == "1687"
    assert bibtex["pub"]["@type"] == "article" and bibtex["pub"]["journal"] == "J. Things"
    assert (bibtex["pub"]["year"], bibtex["pub"]["month"]) == ("2021", "mar")
    assert biblatex["pub"]["date"] == "2021-03-04"
    assert '"date-parts": [\n        [\n          2021,\n          3,\n          4' in out["csl-json"]


def test_item14_csl_json_keeps_logos_pages_urls_and_publishers(tmp_path: Path) -> None:
    out = _exports(
        tmp_path,
        "@phdthesis{t, author = {A A}, title = {On \\TeX}, school = {MIT}, year = 1999, pages = {1--5}}\n"
        "@techreport{r, author = {B B}, title = {Rep}, institution = {Inst}, year = 2000,"
        " howpublished = {\\url{https://example.org/r}}}\n",
    )
    items = {item["id"]: item for item in json.loads(out["csl-json"])}
    assert items["t"]["title"] == "On TeX" and items["t"]["page"] == "1-5"
    assert items["t"]["type"] == "thesis" and items["t"]["publisher"] == "MIT"
    assert items["r"]["publisher"] == "Inst" and items["r"]["URL"] == "https://example.org/r"
    assert "container-title" not in items["t"] and "container-title" not in items["r"]


def test_item15_export_import_export_is_byte_stable(tmp_path: Path) -> None:
    first = _exports(tmp_path / "one", _TYPES)["bibtex"]
    second = _exports(tmp_path / "two", first)["bibtex"]
    assert second == first


def test_item16_merged_away_keys_stay_citable_and_years_keep_titles_apart(tmp_path: Path) -> None:
    out = _exports(
        tmp_path,
        "@article{a1972, author = {A A}, title = {One Title Here}, journal = {J}, year = 1972}\n"
        "@article{a1975, author = {A A}, title = {One Title Here}, journal = {J}, year = 1975}\n"
        "@article{dup, author = {A A}, title = {One Title Here}, journal = {J}, year = 1975, volume = {3}}\n",
    )
    bibtex, biblatex = _entries(out["bibtex"]), _entries(out["biblatex"])
    assert set(bibtex) == {"a1972", "a1975", "dup"}
    assert bibtex["a1975"] == bibtex["dup"] and bibtex["a1975"]["volume"] == "3"
    assert set(biblatex) == {"a1972", "a1975"} and biblatex["a1975"]["ids"] == "dup"


def test_item17_a_labelled_doi_is_cleaned(tmp_path: Path) -> None:
    bib = tmp_path / "doi.bib"
    bib.write_text("@article{d, title = {T}, doi = {DOI: 10.1234/abc.5}}\n", encoding="utf-8")
    ((_, record),) = parse_bib(bib)[0]
    assert record.identifiers["doi"] == "10.1234/abc.5"


def test_item19_a_missing_comma_is_named(tmp_path: Path) -> None:
    bib = tmp_path / "comma.bib"
    bib.write_text(
        "@article{c,\n  title = {T}\n  year = {2000}\n}\n@misc{ok, title = {Fine}}\n", encoding="utf-8"
    )
    entries, problems = parse_bib(bib)
    assert list(map(str, problems)) == [
        f"{bib}:3: expected ',' or '}}' after the value of title, found 'y' (a missing comma?)"
    ]
    assert [record.key for _, record in entries] == ["ok"]


def test_bare_specials_are_escaped_and_reported(tmp_path: Path) -> None:
    bib = tmp_path / "bare.bib"
    bib.write_text(
        "@misc{b, title = {R&D at 100% #1}, howpublished = {\\url{https://x.org/a%20b#c}}}\n",
        encoding="utf-8",
    )
    ((_, record),) = parse_bib(bib)[0]
    fields = dict(record.get("bib_fields"))
    assert fields["title"] == "R\\&D at 100\\% \\#1"
    assert fields["howpublished"] == "\\url{https://x.org/a%20b#c}"
    assert list(map(str, parse_bib(bib)[1])) == [f"{bib}:1: b: title: bare & % # written escaped"]


_EVERY_COMMON_FIELD = r"""@inproceedings{lee2024tiny,
  author = {Lee, Ada and M{\"u}ller, Bo and Mu\~{n}oz, Cy},
  editor = {Editor, Ed and Other, Oz},
  title = {Tiny Models Think Big: {LLM}s on Phones},
  booktitle = {Proceedings of the 62nd Annual Meeting of the ACL},
  series = {ACL '24},
  volume = {1},
  number = {7},
  pages = {101--115},
  numpages = {15},
  year = {2024},
  month = aug,
  address = {Bangkok, Thailand},
  location = {Bangkok},
  publisher = {Association for Computational Linguistics},
  organization = {ACL},
  isbn = {979-8-89176-094-3},
  issn = {0736-587X},
  doi = {10.18653/v1/2024.acl-long.7},
  url = {https://aclanthology.org/2024.acl-long.7},
  eprint = {2401.01234},
  archiveprefix = {arXiv},
  primaryclass = {cs.CL},
  keywords = {small models, distillation},
  note = {Oral},
  abstract = {We show that tiny models think big.},
  language = {english},
}
@article{chen2023small,
  author = {Chen, Bo and others},
  title = {Small Is Enough},
  journal = {Transactions of Small Things},
  volume = {12},
  number = {3},
  pages = {1--20},
  year = {2023},
  month = {March},
  publisher = {ACM},
  address = {New York, NY, USA},
  issn = {2157-6904},
  doi = {10.1145/3768165},
  url = {https://dl.acm.org/doi/10.1145/3768165},
  urldate = {2024-05-01},
  note = {Extended version},
  keywords = {survey},
}
"""


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_a_bib_with_every_common_field_keeps_them_through_export_and_import_again(
    tmp_path: Path, fmt: str
) -> None:
    source = tmp_path / "every.bib"
    source.write_text(_EVERY_COMMON_FIELD, encoding="utf-8")
    exported, reported, merged = bibliography(source, fmt)
    assert reported == [] and merged == set()
    assert lost_fields(_EVERY_COMMON_FIELD, exported, fmt, merged) == []
    again = tmp_path / f"again.{fmt}.bib"
    again.write_text(exported, encoding="utf-8")
    assert lost_fields(_EVERY_COMMON_FIELD, bibliography(again, fmt)[0], fmt, merged) == []


@pytest.mark.parametrize(
    ("text", "fields", "error"),
    [
        ('@article{k, title\n  =\n {x} , author= "A"}', [("title", "x"), ("author", "A")], None),
        ("@article{k, title {x}}", None, "expected '=' after title, found '{'"),
        ("@article{k, = {x}}", None, "expected a field name, found '='"),
        ('@article{k, ti"tle = {x}}', None, "expected '=' after ti, found '\"'"),
    ],
    ids=["spaces and line breaks around =", "no =", "no name", "a quote in the name"],
)
def test_a_field_name_and_its_equals_sign(
    text: str, fields: list[tuple[str, str]] | None, error: str | None
) -> None:
    parsed = read_bibtex(text + "\n@misc{next, title = {Read on}}")
    read = {entry.key: entry.fields for entry in parsed.entries}
    assert read.get("k") == fields
    assert [message for _, message in parsed.errors] == ([error] if error else [])
    assert read["next"] == [("title", "Read on")]  # a broken entry costs only itself
