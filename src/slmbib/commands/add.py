"""``slmbib add``: put papers into a section of a list, from their ids, URLs, titles or names.

Contract for one paper given by identifier (:func:`add_paper`):

* The paper is named by an arXiv id (``2402.14905``, ``arXiv:2402.14905v2``),
  a DOI (``10.18653/v1/2024.acl-long.1``, ``doi:...``) or a URL from which
  :func:`identify.identify` reads a paper identifier; anything else is refused
  before ``refs/`` is touched, and so is a section no list in ``refs/`` has.
* The record is the one ``refs/`` has for that paper (same identity as the
  import merges by) or a new one.  It gets a listing in SECTION of the list
  that has that section (``list_source`` chooses when several do), after the
  section's last row, with the paper link in the column where the section's
  rows keep theirs.  A paper listed in the section already is not placed twice.
* Then that record alone is synced.  Unless a name is given, the listing's
  name becomes the paper's title (in a table, the part before a ``:``, which
  is the method's name: ``MobileLLM: Optimizing ...``), and its year the
  paper's year when the section's rows show years.  When the sync cannot
  resolve the paper, the record stays placed under the identifier as written
  and a later ``slmbib sync`` completes it.
* ``refs/`` is written under its lock, atomically; ``slmbib render`` then
  writes the new row into the list.

Contract for a checklist, one paper a line (:func:`read_checklist`,
:func:`check_papers`, :func:`add_found`):

* A line is cleaned of what people put around a title (bullets, numbers,
  check boxes, ``+``/``-`` markers, BibTeX braces, surrounding quotes,
  trailing ``.,;:``); a line left empty is skipped.  A cleaned line is an
  identifier (anything :func:`paper_link` reads), a title (three words or
  more) or a name (fewer: ``QLoRA``).
* Each line is, in this order: **listed** when a record with a row names the
  same paper (an identifier, the normalised title, or the listed name: the
  import's identity rules, no network); **repeated** when an earlier line
  names the same paper; **found** for an identifier, or for a title S2's
  title match gives and :func:`resolve.judge_title_match` confirms (as sync
  does), or a name S2's relevance search gives and
  :func:`resolve.judge_name_matches` confirms; else **ambiguous** (the
  candidates are named) or **not found**.  A paper found by title or name is
  checked again against the records and the earlier lines by its ids.
* S2 is asked once per title or name, paced, and the answers cached as sync
  caches them (also under the found papers' ids, so that the sync of a placed
  paper asks S2 nothing more); a dry run writes neither ``refs/`` nor the cache.
* :func:`add_found` places the found papers in one section, as
  :func:`add_paper` places one, and syncs them in one run.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..enriching import s2
from ..enriching.answers import Paper
from ..enriching.resolve import MIN_TITLE_WORDS, Lookup, judge_name_matches, judge_title_match, s2_fields
from ..enriching.syncing import SyncOptions, SyncResult, sync
from ..enriching.syncing.fetch import ask_by_text, open_cache, s2_client, store_answers
from ..enriching.syncing.plan import is_stale
from ..errors import InputErrors, SlmbibError
from ..identity import clean_doi, new_record_id, normalise_title, parse_arxiv_id
from ..merge import identity_keys, listed_name_key
from ..models import Link, LinkRole, ListedLink, Listing, Provenance, Record, Value
from ..reading.identify import Identified, column_roles, identify, url_role
from ..reading.listimport import project_root
from ..reading.readme import read_document, scan_text
from ..store import load_records, locked, require_refs, save_records
from ..survey import load_own, save_own

#: What a checklist line may start with: bullets, ``+``/``-`` markers, numbers, check boxes.
_MARKERS = re.compile(r"^(?:\s*(?:[-+*\u2022\u2013]|\d+[.)]|\[[ xX]?\])(?=\s|$))+\s*")
_TRAILING = re.compile(r"[\s.,;:]+$")
_QUOTES = (('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("\u2018", "\u2019"))
#: ``progress(done, total, message)``: lines settled so far, lines to check, the line just settled.
Progress = Callable[[int, int, str], None]
STATUSES = ("listed", "repeated", "found", "ambiguous", "not_found")


@dataclass
class AddResult:
    record_id: str
    created: bool
    #: False when the paper was listed in the section already.
    placed: bool
    source: str
    section: str
    name: str
    #: The record's sync status afterwards: ``resolved``, ``not_found``, ``ambiguous``, ``unavailable``.
    status: str = ""
    sync: SyncResult = field(default_factory=SyncResult)


def paper_link(text: str) -> Identified:
    """The paper link an arXiv id, DOI or URL stands for; raises SlmbibError for anything else."""
    written = text.strip()
    arxiv = parse_arxiv_id(written)
    doi = clean_doi(written)
    if arxiv:
        url = f"https://arxiv.org/abs/{arxiv.id}"
    elif doi:
        url = f"https://doi.org/{doi}"
    else:
        url = written
    found = identify(url)
    if not (found.usable and found.role == LinkRole.PAPER and found.identifiers):
        raise SlmbibError(
            f"{text!r} is no arXiv id, DOI or paper URL with an identifier"
            " (arXiv, DOI, ACL Anthology, OpenReview, PMLR)"
        )
    return found


def add_paper(
    refs: Path,
    paper: str,
    section: str,
    *,
    name: str = "",
    list_source: str = "",
    options: SyncOptions | None = None,
) -> AddResult:
    """Create or reuse the record of ``paper``, place it in ``section``, sync it: see the module contract."""
    (result,) = _add(refs, [(paper_link(paper), name, paper.strip())], section, list_source, options)
    return result


def section_list(refs: Path, section: str, list_source: str = "") -> str:
    """The list whose ``section`` papers go in; raises SlmbibError when none or several could be meant."""
    require_refs(refs)
    records = load_records(refs)
    in_section = [x for r in records.values() for x in r.listings if x.section == section]
    return _list_of(section, in_section, list_source, records.values())


def _add(
    refs: Path,
    papers: Sequence[tuple[Identified, str, str]],
    section: str,
    list_source: str,
    options: SyncOptions | None,
) -> list[AddResult]:
    """Place each ``(link, name, as written)`` in ``section`` (see the module contract), then sync them."""
    probes = [
        Record(id="", identifiers=dict(link.identifiers), links=(Link(link.url, LinkRole.PAPER),))
        for link, _, _ in papers
    ]
    results = []
    with locked(refs):
        records = load_records(refs)
        in_section = [x for r in records.values() for x in r.listings if x.section == section]
        source = _list_of(section, in_section, list_source, records.values())
        mine = [x for x in in_section if x.source == source]
        line, column = max(x.line for x in mine), _paper_column(mine)
        for probe, (link, name, written) in zip(probes, papers, strict=True):
            existing = _same_paper(probe, records.values())
            record = existing or replace(probe, id=new_record_id(probe, set(records)))
            result = AddResult(record.id, existing is None, False, source, section, name or written)
            if not any(x in mine for x in record.listings):
                line += 1
                listing = Listing(
                    source=source,
                    line=line,
                    section=section,
                    name=result.name,
                    links=(ListedLink(column, link.url),),
                )
                links = record.links if probe.links[0] in record.links else (*record.links, *probe.links)
                record = replace(record, listings=(*record.listings, listing), links=links)
                mine.append(listing)
                result.placed = True
            records[record.id] = record
            results.append(result)
        save_records(refs, [records[r.record_id] for r in results if r.placed])
    # sync takes the lock itself.
    only = tuple(dict.fromkeys(r.record_id for r in results))
    synced = sync(refs, replace(options or SyncOptions(), only=only))
    table = _is_table(refs, source, section)
    for probe, result, (_, name, _) in zip(probes, results, papers, strict=True):
        result.sync = synced
        _finish(refs, probe, result, named=bool(name), table=table, years=any(x.year for x in mine))
    return results


def add_own(refs: Path, paper: str, options: SyncOptions | None = None) -> tuple[str, bool, SyncResult]:
    """Make ``paper`` one of the list's own works (or find it among them) and sync it.

    Returns its record id, whether it was created, and the sync's result.
    """
    link = paper_link(paper)
    probe = Record(id="", identifiers=dict(link.identifiers), links=(Link(link.url, LinkRole.PAPER),))
    with locked(refs):
        works = load_own(refs)
        existing = _same_paper(probe, works.values())
        record = existing or replace(probe, id=new_record_id(probe, {*works, *load_records(refs)}))
        save_own(refs, [record])
    return record.id, existing is None, sync(refs, replace(options or SyncOptions(), only=(record.id,)))


def _list_of(section: str, listings: Sequence[Listing], chosen: str, records: Iterable[Record]) -> str:
    """The list whose ``section`` the paper goes in."""
    sources = sorted({x.source for x in listings})
    if chosen in sources or (not chosen and len(sources) == 1):
        return chosen or sources[0]
    if not chosen and sources:
        raise SlmbibError(
            f"section {section!r} is in several lists ({', '.join(sources)}): name one with --list"
        )
    known = sorted({x.section for r in records for x in r.listings if not chosen or x.source == chosen})
    # People name a section by its last heading, or nearly: look there too.
    last = {path.rsplit(" > ", 1)[-1]: path for path in known}
    close = [path for path in known if section.lower() in path.lower()][:3] or [
        last.get(match, match)
        for match in difflib.get_close_matches(section, [*known, *last], n=3, cutoff=0.6)
    ]
    where = f" of {chosen}" if chosen else ""
    hint = f"; did you mean {' or '.join(repr(s) for s in close)}?" if close else ""
    raise SlmbibError(f"no section {section!r} in the lists{where} that refs/ knows{hint}")


def _same_paper(probe: Record, records: Iterable[Record]) -> Record | None:
    keys = identity_keys(probe)
    return next((record for record in records if identity_keys(record) & keys), None)


def _paper_column(listings: Sequence[Listing]) -> str:
    """Where the section's rows keep their paper links: the column most of them use."""
    columns = Counter(
        link.column for listing in listings for link in listing.links if url_role(link.url) == LinkRole.PAPER
    )
    if columns:
        return columns.most_common(1)[0][0]
    asking = [
        link.column for x in listings for link in x.links if LinkRole.PAPER in column_roles(link.column)
    ]
    return asking[0] if asking else "Paper"


def _is_table(refs: Path, source: str, section: str) -> bool:
    """Whether ``section`` of the list ``source`` is a table (else a numbered list of titles)."""
    try:
        text = read_document(project_root(refs) / source, source)
    except InputErrors:
        return True  # the list is not here to look at; tables are what render writes
    # By its paper rows: a section may hold a legend table beside its list of papers.
    kinds = {row.kind for row in scan_text(text, source).rows if row.section == section}
    return "table" in kinds or not kinds


def _finish(refs: Path, probe: Record, result: AddResult, *, named: bool, table: bool, years: bool) -> None:
    """Name and date the new listing from what the sync found; note the record's id and status."""
    with locked(refs):
        records = load_records(refs)
        # The sync may have merged the record into another that turned out to be the same paper.
        record = _same_paper(probe, records.values())
        if record is None:
            return
        result.record_id, result.status = record.id, record.sync.status if record.sync else ""
        title = (
            str(record.get("title") or "")
            if record.provenance("title") not in (None, Provenance.README)
            else ""
        )
        year = record.get("year") if record.provenance("year") not in (None, Provenance.README) else None
        if not result.placed:
            return
        listings = []
        for listing in record.listings:
            if (listing.source, listing.section) == (result.source, result.section):
                if title and not named:
                    listing = replace(listing, name=title.split(":")[0].strip() if table else title)
                if year and years and not listing.year:
                    listing = replace(listing, year=str(year))
                result.name = listing.name
            listings.append(listing)
        save_records(refs, [replace(record, listings=tuple(listings))])


# -- checklists --------------------------------------------------------------------------------


@dataclass
class Line:
    """One paper of a checklist and what became of it."""

    number: int
    text: str
    #: The text cleaned of markers, braces and trailing punctuation: what is looked up.
    query: str
    status: str = ""
    #: The record the line names (listed), or would give (found).
    record_id: str = ""
    #: ``file:line`` of the record's row (listed), or the earlier line it repeats (repeated).
    where: str = ""
    #: Why it is not found or ambiguous (candidates named), or what was found.
    detail: str = ""
    #: The paper link a found line is placed by.
    link: Identified | None = None
    #: S2's paper, when found by title or name.
    paper: Paper | None = None
    #: The earlier line a repeated one names again.
    repeats: Line | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"line": self.number, "text": self.text, "status": self.status}
        data.update(record=self.record_id or None, where=self.where or None, detail=self.detail)
        if self.paper is not None:
            values, _ = s2_fields(self.paper)
            data.update(
                title=values.get("title"),
                authors=values.get("authors", []),
                year=values.get("year"),
                identifiers=dict(self.paper.identifiers),
            )
        elif self.link is not None:
            data["identifiers"] = dict(self.link.identifiers)
        return data

    def describe(self) -> str:
        """``status: text`` and what the status refers to, for a one-line report."""
        said = f"{self.status.replace('_', ' ')}: {self.query!r}"
        refers = " ".join(part for part in (self.record_id, f"at {self.where}" if self.where else "") if part)
        return "; ".join(part for part in (said, refers, self.detail) if part)


def clean_line(text: str) -> str:
    """A checklist line without its bullet or number, BibTeX braces, quotes and trailing punctuation;
    '' for a Markdown heading (``# To add``), which names no paper."""
    if re.match(r"\s*#+\s", text):
        return ""
    text = _MARKERS.sub("", text.strip())
    text = re.sub(r"\\([&%$#_{}])", r"\1", text)  # BibTeX's escapes: \& is &
    text = _TRAILING.sub("", text.replace("{", "").replace("}", "")).strip()
    for opening, closing in _QUOTES:
        if len(text) > 1 and text[0] == opening and text[-1] == closing:
            text = _TRAILING.sub("", text[1:-1]).strip()
    return " ".join(text.split())


def read_checklist(path: Path) -> list[tuple[int, str]]:
    """``(line number, text)`` of each line of ``path`` that names something once cleaned (a rule
    ``---`` or a bare bullet does not)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SlmbibError(f"{path}: cannot read the checklist: {exc}") from None
    return [
        (number, line.rstrip("\r\n"))
        for number, line in enumerate(text.splitlines(), 1)
        if normalise_title(clean_line(line))
    ]


def _probe(line: Line) -> tuple[str, Record]:
    """What kind of line it is (``id``, ``title``, ``name``, ``url``) and a record standing for it."""
    try:
        link = paper_link(line.query)
    except SlmbibError:
        link = None
    if link is not None:
        line.link = link
        return "id", Record(
            id="", identifiers=dict(link.identifiers), links=(Link(link.url, LinkRole.PAPER),)
        )
    if re.match(r"https?://", line.query):
        return "url", Record(id="")
    if len(normalise_title(line.query).split()) >= MIN_TITLE_WORDS:
        return "title", Record(id="", fields={"title": Value(line.query, Provenance.README)})
    return "name", Record(id="", listings=(Listing(source="", line=0, section="", name=line.query),))


def _listed(name: str) -> set[str]:
    """The key of a listed name (``Alpaca 7B`` is ``Alpaca``), none for a name of no letters."""
    folded = listed_name_key(name)
    return {f"listed:{folded}"} if folded else set()


def _keys(kind: str, line: Line, probe: Record) -> set[str]:
    """The identity keys a line is compared by: the import's, and unless it is an identifier, the
    listed name's (``BitNet b1.58`` is a row's name, though it reads as three words)."""
    keys = identity_keys(probe) if kind != "name" else set()
    return keys if kind == "id" else keys | _listed(line.query)


class _Known:
    """The records of ``refs/`` that have a row, by every identity key, and the lines seen so far."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.records: dict[str, Record] = {}
        for record in records:
            if record.listings:
                names = set().union(*(_listed(x.name) for x in record.listings))
                self.records.update(dict.fromkeys(identity_keys(record) | names, record))
        self.lines: dict[str, Line] = {}

    def settle(self, line: Line, keys: set[str]) -> bool:
        """Mark ``line`` listed or repeated if a key says so; else remember its keys.  Whether it was."""
        record = next((self.records[k] for k in sorted(keys) if k in self.records), None)
        earlier = next((self.lines[k] for k in sorted(keys) if k in self.lines), None)
        if record is not None:
            row = record.listings[0]
            line.status, line.record_id, line.where = "listed", record.id, f"{row.source}:{row.line}"
        elif earlier is not None and earlier.number < line.number:
            line.status, line.where, line.detail, line.repeats = (
                "repeated",
                f"line {earlier.number}",
                "",
                earlier,
            )
        else:
            if earlier is not None:
                # Identifiers are settled before titles are asked: a later line named the paper first.
                earlier.status, earlier.where, earlier.detail = "repeated", f"line {line.number}", ""
                earlier.repeats = line
                self.lines.update([(key, line) for key, seen in self.lines.items() if seen is earlier])
            self.lines.update(dict.fromkeys(keys, line))
            return False
        return True


def check_papers(
    refs: Path,
    entries: Sequence[tuple[int, str]],
    options: SyncOptions | None = None,
    progress: Progress | None = None,
) -> list[Line]:
    """Classify each ``(line number, text)``: see the module contract.  Writes nothing to ``refs/``."""
    options = options or SyncOptions()
    records = load_records(refs)
    known = _Known(records.values())
    lines = [Line(number, text, clean_line(text)) for number, text in entries]
    asking: list[tuple[Line, str, Record]] = []
    for line in lines:
        kind, probe = _probe(line)
        if not normalise_title(line.query):
            line.status, line.detail = "not_found", "nothing to look up"
        elif kind == "url":
            line.status, line.detail = (
                "not_found",
                "not an arXiv, DOI, ACL Anthology, OpenReview or PMLR link",
            )
        elif not known.settle(line, _keys(kind, line, probe)):
            if kind == "id":
                line.status, line.detail = "found", "by its identifier"
            else:
                asking.append((line, kind, probe))
    if progress is not None:
        progress(len(lines) - len(asking), len(lines), "checked against refs/")
    if asking:
        _ask(refs, asking, known, options, len(lines), progress)
    taken = set(records)
    for line in lines:
        if line.status == "found" and not line.record_id and line.link is not None:
            # The record it becomes: one refs/ has without a row (from a .bib, say), or a new one.
            probe = Record(
                id="", identifiers=dict(line.link.identifiers), links=(Link(line.link.url, LinkRole.PAPER),)
            )
            existing = _same_paper(probe, records.values())
            line.record_id = existing.id if existing else new_record_id(probe, taken)
            taken.add(line.record_id)
    _refer(lines)
    return lines


def _refer(lines: Sequence[Line]) -> None:
    """A repeated line refers to the record of the line it repeats."""
    for line in lines:
        if line.repeats is not None:
            line.record_id = line.repeats.record_id


def _ask(
    refs: Path,
    asking: Sequence[tuple[Line, str, Record]],
    known: _Known,
    options: SyncOptions,
    total: int,
    progress: Progress | None,
) -> None:
    """Ask S2 for each title and name (the cache first) and judge its answer as sync does."""
    started = time.time()
    with (
        contextlib.closing(open_cache(refs, options)) as cache,
        contextlib.closing(s2_client(options)) as client,
    ):
        done = total - len(asking)
        for line, kind, probe in asking:
            if kind == "title":
                key = s2.title_key(normalise_title(line.query))
            else:
                key = s2.name_key(normalise_title(line.query), None)
            service = s2.SERVICE if kind == "title" else s2.SEARCH
            cached = cache.get(service, key)
            if cached is not None and not is_stale(cached, options, started):
                answer = cached.answer
            else:
                service, answer = ask_by_text(client, key, probe)
                store_answers(cache, service, {key: answer})
            _judge(line, kind, probe, answer, known)
            done += 1
            if progress is not None:
                progress(done, total, f"line {line.number}: {line.status.replace('_', ' ')}")
        if not options.dry_run:
            # The sync of the papers placed asks S2 with a client of its own: it starts no sooner than
            # this one's next request would have.
            client.http.pacer.wait()


def _judge(line: Line, kind: str, probe: Record, answer: Any, known: _Known) -> None:
    if kind == "title":
        verdict = (
            judge_title_match(probe, answer)
            if answer is not None
            else Lookup("not_found", reason="S2 has no title match")
        )
    else:
        verdict = judge_name_matches(probe, answer)
    if verdict.state != "found" or not isinstance(verdict.answer, Paper):
        line.status, line.detail = verdict.state, verdict.reason
        return
    paper = verdict.answer
    ids = paper.identifiers
    written = (
        ids.get("arxiv")
        or ids.get("doi")
        or (f"https://aclanthology.org/{ids['acl']}" if "acl" in ids else "")
    )
    try:
        line.link = paper_link(written)
    except SlmbibError:
        line.status = "not_found"
        line.detail = f"S2's paper {paper.title!r} has no arXiv id, DOI or ACL id to list it by"
        return
    line.paper = paper
    found = Record(
        id="", identifiers={**ids, **line.link.identifiers}, links=(Link(line.link.url, LinkRole.PAPER),)
    )
    values, _ = s2_fields(paper)
    title = str(values.get("title", ""))
    if known.settle(line, identity_keys(found)):
        return
    # A row named as the paper's title begins ("QLoRA" for "QLoRA: Efficient ...") whose own link S2
    # does not know (ACM's 10.5555 DOIs) may be this paper: the maintainer decides, not a duplicate.
    heading = _listed(title.split(":")[0]) if ":" in title else set()
    row = next((known.records[key] for key in heading if key in known.records), None)
    if row is not None:
        at = row.listings[0]
        line.status, line.record_id, line.where = "ambiguous", row.id, f"{at.source}:{at.line}"
        line.detail = (
            f"S2's {title!r} may be the row {at.name!r} already listed (`slmbib sync {row.id}` tells)"
        )
        return
    authors = values.get("authors", [])
    named = ", ".join(authors[:3]) + (", et al." if len(authors) > 3 else "")
    what = [repr(title)]
    if "arxiv" in ids:
        what.append(f"arXiv {ids['arxiv']}")
    if "doi" in values:  # a publisher's DOI; arXiv's own is its id again
        what.append(f"DOI {values['doi']}")
    line.status, line.detail = (
        "found",
        ", ".join(part for part in [*what, named, str(values.get("year", ""))] if part),
    )


def add_found(
    refs: Path,
    lines: Sequence[Line],
    section: str,
    *,
    list_source: str = "",
    options: SyncOptions | None = None,
) -> list[AddResult]:
    """Place every found line's paper in ``section`` and sync them; the lines learn their record ids."""
    found = [line for line in lines if line.status == "found" and line.link is not None]
    if not found:
        return []
    papers = [(line.link, "", line.query) for line in found if line.link is not None]
    results = _add(refs, papers, section, list_source, options)
    for line, result in zip(found, results, strict=True):
        line.record_id = result.record_id
    _refer(lines)
    return results
