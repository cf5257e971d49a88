"""``slmbib check``: the mistakes of a paper list, one finding per problem, at its line.

Contract:

* :func:`check_lists` reads each list with the list reader (the same rows that
  ``slmbib import`` reads) and returns every :class:`Finding`, sorted by file,
  line and code.  A line the reader cannot read is a finding too; the other
  rows are still checked.
* Every finding has a stable code from :data:`CODES`, and each code one
  severity.  ``error`` is kept for what is certainly a mistake in the list (a
  placeholder link, a link copied from another row, a paper link in the wrong
  column, mis-encoded text), so that a CI job may fail on it; ``warning`` is
  what a maintainer should look at; ``info`` is style.
* Checks that need the papers themselves (the year, the title, whether the
  services know an identifier) read the records of ``refs/`` that
  ``slmbib sync`` filled; a row is matched to its record by the paper's
  identity (:func:`merge.identity_keys`), so the list need not be the one
  imported.  Values the list itself gave (provenance ``readme``) prove nothing
  and are not compared.
* A finding is dropped when its code is ignored globally or by a comment
  ``<!-- slmbib: ignore CODE[, CODE] -->`` on its line, or alone on the line
  above.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputErrors, UsageError
from ..identity import arxiv_year, family_name, name_key, normalise_title, paper_url_key, year_in
from ..merge import conflict, identity_keys, listed_name_key
from ..models import LinkRole, Provenance, Record
from ..names import author_list
from ..reading.identify import column_roles, identify, place_links, url_role
from ..reading.listimport import record_from_row
from ..reading.readme import Row, nothing_read, read_document, scan_text, split_lines
from ..store import load_records

SEVERITIES = ("error", "warning", "info")
JSON_FORMAT = "slmbib-findings"
JSON_VERSION = 1


@dataclass(frozen=True)
class Code:
    severity: str
    summary: str


#: Every finding code, its severity and what it means.  Codes are never renamed or reused.
CODES: dict[str, Code] = {
    "unreadable-line": Code(
        "error", "link markup the list reader cannot read as a link, or an unreadable file"
    ),
    "placeholder-link": Code("error", "a link with no usable URL: `(URL)`, `()`, `(#)`"),
    "local-link": Code("error", "a link to localhost or a private address"),
    "copied-links": Code("error", "a row carries a link that names another row's work"),
    "misplaced-paper-link": Code("error", "the paper link sits in another column; the paper column is empty"),
    "mis-encoded-text": Code("error", "text decoded in the wrong encoding (mojibake)"),
    "shared-links": Code("warning", "rows naming different works share a paper or model link, or all links"),
    "misplaced-link": Code("warning", "a code, model or data link in another column; its own is empty"),
    "stray-paper-link": Code("warning", "a paper link outside the paper column, which has one already"),
    "not-a-paper-link": Code("warning", "a code, model or dataset link under the paper column"),
    "anonymous-code-link": Code("warning", "an anonymous review mirror as code link"),
    "duplicate-row": Code("warning", "one paper listed twice under one name in one section"),
    "year-mismatch": Code("warning", "the row's year is neither the paper's year nor its arXiv year"),
    "unknown-identifier": Code("warning", "no service the sync asked knows the row's identifier"),
    "title-mismatch": Code("warning", "the listed name is far from the paper's title: is the link right?"),
    "bad-ignore": Code("warning", "an ignore comment names an unknown code"),
    "ignored-cells": Code("warning", "text in cells beyond the table header's columns, which Markdown drops"),
    "incomplete-item": Code(
        "info", "a paper item without a title, authors or a paper link the reader can tell"
    ),
    "shared-paper": Code("info", "rows with different names in one section cite one paper"),
    "listed-elsewhere": Code("info", "the paper is listed in another section of the file too"),
    "pinned-arxiv-version": Code("info", "an arXiv link pinned to a version (`v2`)"),
    "tracking-query": Code("info", "a tracking query string (`?tab=readme-ov-file`, `utm_*`)"),
}

_PROBLEM_CODES = {"broken-markup": "unreadable-line", "ignored-cells": "ignored-cells"}
_IGNORE = re.compile(r"<!--\s*slmbib:\s*ignore\s+(?P<codes>.*?)\s*-->")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_ANONYMOUS_MIRRORS = ("anonymous.4open.science",)
_SIZE = re.compile(r"^\d+(\.\d+)?[bmk]?$")
# Words too common in model names and URLs to tell one work from another.
_GENERIC = frozenset(
    {"the", "and", "for", "with", "via", "from", "based", "chat", "instruct"}
    | {"llm", "llms", "slm", "slms", "model", "models", "language", "large", "small"}
)
_EARLIER_KEPT = 8
#: How many rows apart a copy may sit from the row it was copied from.
_COPY_REACH = 2
#: How alike two family names are when one family grew from the other (WizardLM, WizardMath).
_KIN_RATIO = 0.8


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    severity: str
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.code}: {self.message}"


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    @property
    def exit_code(self) -> int:
        return 1 if self.count("error") else 0

    def summary(self) -> str:
        counts = ", ".join(_counted(self.count(severity), severity) for severity in SEVERITIES)
        return f"{counts} in {_counted(self.files, 'file')}"


def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 or noun == "info" else f"{number} {noun}s"


def finding(path: str, line: int, code: str, message: str) -> Finding:
    return Finding(path, line, CODES[code].severity, code, message)


def check_lists(paths: Sequence[Path], refs: Path | None = None, ignore: Collection[str] = ()) -> CheckResult:
    """Check every list in ``paths``; ``refs`` gives synced records for the after-sync checks."""
    unknown = sorted(set(ignore) - CODES.keys())
    if unknown:
        raise UsageError(f"unknown code {unknown[0]!r}")
    index = _RecordIndex(load_records(refs).values() if refs is not None else ())
    result = CheckResult(files=len(paths))
    for path in paths:
        found = [f for f in _check_file(path, str(path), index) if f.code not in ignore]
        result.findings.extend(sorted(found, key=lambda f: (f.line, SEVERITIES.index(f.severity), f.code)))
    return result


def _check_file(path: Path, shown: str, index: _RecordIndex) -> list[Finding]:
    try:
        text = read_document(path, shown)
    except InputErrors as exc:
        return [finding(shown, p.line, "unreadable-line", p.message) for p in exc.problems]
    scan = scan_text(text, shown)
    findings = [finding(shown, p.error.line, _PROBLEM_CODES[p.kind], p.error.message) for p in scan.problems]
    if not scan.rows:
        empty = nothing_read(text, shown)
        findings.append(finding(shown, empty.line, "unreadable-line", empty.message))
    provisional = {row.line: record_from_row(row)[0] for row in scan.rows}
    for row in scan.rows:
        findings.extend(_link_findings(row))
        if row.missing:
            message = f"{row.name!r}: no {', no '.join(row.missing)} read"
            findings.append(finding(row.source, row.line, "incomplete-item", message))
        findings.extend(_column_findings(row))
        findings.extend(
            finding(row.source, row.line, "mis-encoded-text", f"{r.before!r} should read {r.after!r}")
            for r in row.repairs
        )
        record = index.find(provisional[row.line])
        if record is not None:
            findings.extend(_synced_findings(row, provisional[row.line], record))
    findings.extend(_copy_findings(scan.rows))
    findings.extend(_duplicate_findings(scan.rows, provisional))
    return _without_ignored(findings, split_lines(text), shown)


def _where(column: str) -> str:
    return f"under {column!r}" if column else "in the item"


def _link_findings(row: Row) -> Iterable[Finding]:
    for link in row.links:
        column = link.column or link.label
        found = identify(link.url, link.label, link.column)
        if not found.usable:
            what = f"placeholder link {link.url!r}" if link.url.strip() else "empty link"
            yield finding(row.source, row.line, "placeholder-link", f"{what} {_where(column)}")
            continue
        host = urlsplit(found.url).hostname or ""
        if _is_local(host):
            yield finding(
                row.source, row.line, "local-link", f"{found.url} {_where(column)} works on one machine"
            )
        if host in _ANONYMOUS_MIRRORS:
            yield finding(
                row.source,
                row.line,
                "anonymous-code-link",
                f"{found.url} is an anonymous review mirror; link the public repository",
            )
        if found.arxiv_version:
            yield finding(
                row.source,
                row.line,
                "pinned-arxiv-version",
                f"{link.url} is pinned to version {found.arxiv_version}; unpinned, it shows the latest",
            )
        if found.original:
            yield finding(row.source, row.line, "tracking-query", f"{found.original} -> {found.url}")


def _is_local(host: str) -> bool:
    if host in _LOCAL_NAMES or host.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_unspecified or address.is_link_local


def _column_findings(row: Row) -> Iterable[Finding]:
    """What :func:`place_links` would move, and links the paper column should not hold."""
    if not row.columns:
        return
    targets = place_links(row.columns, [(link.column, link.url) for link in row.links], row.cells.keys())
    paper_columns = [column for column in row.columns[1:] if LinkRole.PAPER in column_roles(column)]
    for link, target in zip(row.links, targets, strict=True):
        role = url_role(link.url)
        in_paper_column = LinkRole.PAPER in column_roles(link.column)
        if target != link.column and role == LinkRole.PAPER:
            message = f"the paper link {link.url} is under {link.column!r}; the {target!r} column is empty"
            yield finding(row.source, row.line, "misplaced-paper-link", message)
        elif target != link.column:
            message = f"{role} link {link.url} is under {link.column!r}; its column {target!r} is empty"
            yield finding(row.source, row.line, "misplaced-link", message)
        elif role == LinkRole.PAPER and paper_columns and not in_paper_column:
            message = f"paper link {link.url} is under {link.column!r}, not under {paper_columns[0]!r}"
            yield finding(row.source, row.line, "stray-paper-link", message)
        elif role in (LinkRole.CODE, LinkRole.MODEL, LinkRole.DATA) and in_paper_column:
            message = f"{role} link {link.url} is under {link.column!r}: it is not a paper"
            yield finding(row.source, row.line, "not-a-paper-link", message)


def _words(text: str) -> list[str]:
    return normalise_title(text).split()


def _family(row: Row) -> str:
    """What rows of one model family share: ``Phi-3`` and ``Phi-3.5`` are both ``phi``.

    A list item's name is its title, which starts with the method's name as often as not
    (``MindLLM: Pre-training ...``): a family that is too wide misses a copy, one too
    narrow would call a paper's own rows copies of each other.
    """
    found = re.search(r"[a-z]+", " ".join(_words(row.name)))
    return found.group(0) if found else ""


def _name_words(name: str) -> list[str]:
    """The words of a listed name that could tell its work apart: no sizes, no common words."""
    return [w for w in _words(name) if len(w) >= 3 and not _SIZE.match(w) and w not in _GENERIC]


def _names(url: str, row: Row) -> bool:
    """Whether the path of ``url`` spells a word of the row's name (``apple/OpenELM`` for OpenELM)."""
    path = "".join(_words(urlsplit(url).path))
    return any(word in path for word in _name_words(row.name))


def _usable_urls(row: Row) -> dict[str, str]:
    """The row's usable links by comparable key, each with its normalised URL."""
    urls = {}
    for link in row.links:
        found = identify(link.url, link.label, link.column)
        if found.usable:
            urls[paper_url_key(found.url)] = found.url
    return urls


def _copy_findings(rows: Sequence[Row]) -> Iterable[Finding]:
    """Rows of different works that share links: a row copied and not edited."""
    urls = {row.line: _usable_urls(row) for row in rows}
    holders: dict[str, list[Row]] = {}
    for row in rows:
        for key in urls[row.line]:
            holders.setdefault(key, []).append(row)
    shared: dict[tuple[int, int], list[str]] = {}
    by_line = {row.line: row for row in rows}
    for key, group in holders.items():
        # Each row is set beside the earliest row of another family only, so that a link shared by
        # n rows costs n comparisons, not n squared.  That row is the first row of one of the first
        # two families to hold the link: the first if the row is of another family, else the second.
        firsts: list[tuple[str, Row]] = []
        for row in group:
            family = _family(row)
            other = next((first for name, first in firsts if name != family), None)
            if other is not None:
                shared.setdefault((other.line, row.line), []).append(key)
            if len(firsts) < 2 and all(name != family for name, _ in firsts):
                firsts.append((family, row))
    position = {row.line: index for index, row in enumerate(rows)}
    for (first_line, second_line), keys in sorted(shared.items()):
        first, second = by_line[first_line], by_line[second_line]
        shared_urls = [urls[first_line][key] for key in keys]
        if _kindred(first, second):
            continue
        # A copy is made from a row nearby: a link shared with a row far off is a shared framework
        # or dataset (DeepSpeed, vLLM), not a row copied and left unedited; and rows of one paper
        # (the same arXiv id under two titles) copied nothing.
        nearby = (
            first.section == second.section and position[second_line] - position[first_line] <= _COPY_REACH
        )
        copied = _copied(first, second, shared_urls) if nearby and not _one_paper(first, second) else None
        if copied is not None:
            copy, owner = copied
            owned = [url for url in shared_urls if _names(url, owner) and not _names(url, copy)]
            message = (
                f"{', '.join(owned)} belongs to {owner.name!r} (line {owner.line}), not to {copy.name!r}"
            )
            yield finding(copy.source, copy.line, "copied-links", message)
        elif urls[first_line].keys() == urls[second_line].keys() or any(
            url_role(url) in (LinkRole.PAPER, LinkRole.MODEL) for url in shared_urls
        ):
            message = (
                f"{second.name!r} shares {', '.join(shared_urls)} with {first.name!r} (line {first.line})"
            )
            yield finding(second.source, second.line, "shared-links", message)


def _one_paper(first: Row, second: Row) -> bool:
    """Whether two rows carry one paper identifier."""
    own = {(k, v) for link in first.links for k, v in identify(link.url).identifiers.items()}
    return bool(own & {(k, v) for link in second.links for k, v in identify(link.url).identifiers.items()})


def _kindred(first: Row, second: Row) -> bool:
    """Family names one grew from the other (Mistral and Mixtral, WizardLM and WizardMath)."""
    a, b = _family(first), _family(second)
    return bool(a and b) and a[0] == b[0] and SequenceMatcher(None, a, b).ratio() >= _KIN_RATIO


def _copied(first: Row, second: Row, shared_urls: list[str]) -> tuple[Row, Row] | None:
    """(copy, owner) when a shared link names one row's work and not the other's."""
    for url in shared_urls:
        if _names(url, first) and not _names(url, second):
            return second, first
        if _names(url, second) and not _names(url, first):
            return first, second
    return None


def _duplicate_findings(rows: Sequence[Row], provisional: dict[int, Record]) -> Iterable[Finding]:
    """Rows naming a paper an earlier row of the file names already."""
    # The first rows per key, in the file and in each section: enough to pass over the few that
    # conflict, and bounded, so that a key a thousand rows share costs no thousand comparisons each.
    seen: dict[str, list[Row]] = {}
    seen_here: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        record = provisional[row.line]
        keys = sorted(identity_keys(record))
        candidates = {
            r.line: r for key in keys for r in (*seen_here.get((key, row.section), ()), *seen.get(key, ()))
        }
        earlier = [r for r in candidates.values() if not conflict(provisional[r.line], record)]
        for key in keys:
            for bucket in (seen.setdefault(key, []), seen_here.setdefault((key, row.section), [])):
                if len(bucket) < _EARLIER_KEPT:
                    bucket.append(row)
        same_section = [r for r in earlier if r.section == row.section]
        if same_section:
            first = min(same_section, key=lambda r: r.line)
            if listed_name_key(first.name) == listed_name_key(row.name):
                yield finding(
                    row.source, row.line, "duplicate-row", f"{row.name!r} is listed at line {first.line}"
                )
            else:
                message = f"{row.name!r} cites the paper of {first.name!r} (line {first.line})"
                yield finding(row.source, row.line, "shared-paper", message)
        elif earlier:
            first = min(earlier, key=lambda r: r.line)
            message = f"{row.name!r} is listed in {first.section!r} too (line {first.line})"
            yield finding(row.source, row.line, "listed-elsewhere", message)


class _RecordIndex:
    """The records of refs/ by identity key, to find the paper a row names."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.records: dict[str, Record] = {}
        self.by_key: dict[str, set[str]] = {}
        for record in records:
            self.records[record.id] = record
            for key in identity_keys(record):
                self.by_key.setdefault(key, set()).add(record.id)

    def find(self, provisional: Record) -> Record | None:
        ids: set[str] = set()
        for key in identity_keys(provisional):
            ids |= self.by_key.get(key, set())
        return self.records[ids.pop()] if len(ids) == 1 else None


def _synced_findings(row: Row, provisional: Record, record: Record) -> Iterable[Finding]:
    if record.sync is not None and record.sync.status == "not_found" and provisional.identifiers:
        ids = ", ".join(f"{kind} {value}" for kind, value in provisional.identifiers.items())
        reason = record.sync.reason
        message = f"no service knows {ids}" + (f" ({reason})" if reason else "")
        yield finding(row.source, row.line, "unknown-identifier", message)
    year_source = record.provenance("year")
    written = year_in(row.year)
    if written is not None and year_source not in (None, Provenance.README):
        paper_year = str(record.get("year"))
        accepted = {paper_year, str(arxiv_year(record.identifiers.get("arxiv", "")))}
        if str(written) not in accepted:
            message = f"year {written} here, the paper's is {paper_year} ({year_source})"
            yield finding(row.source, row.line, "year-mismatch", message)
    title_source = record.provenance("title")
    title = str(record.get("title") or "")
    if title and title_source not in (None, Provenance.README) and not _close_to_title(row, title, record):
        message = f"{row.name!r} is far from the paper's title {title!r} ({title_source}): is the link right?"
        yield finding(row.source, row.line, "title-mismatch", message)


def _close_to_title(row: Row, title: str, record: Record) -> bool:
    """Whether a listed name could name the paper ``title``.

    A list item gives the title itself, so the two must read alike.  A table
    gives a model or method name: some word of it must be in the title (as a
    word, a prefix or the title's initials, ``AWQ``), or ``X et al.`` must name
    an author.
    """
    if row.kind == "list":
        return SequenceMatcher(None, " ".join(_words(row.name)), " ".join(_words(title))).ratio() >= 0.7
    words = _name_words(row.name)
    if "et" in _words(row.name) and "al" in _words(row.name):
        latex = record.provenance("authors") == Provenance.BIB
        surnames = {
            name_key(family_name(str(author), latex=latex)) for author in author_list(record.get("authors"))
        }
        if set(_words(row.name)) & surnames:
            return True
    if not words:
        return True  # nothing in the name to compare
    title_words = _words(title)
    squashed = "".join(title_words)
    initials = "".join(word[0] for word in title_words)
    return any(
        word in squashed or word in initials or any(_same_stem(word, other) for other in title_words)
        for word in words
    )


def _same_stem(first: str, second: str) -> bool:
    """``ranker`` ~ ``ranking``: a shared beginning of at least 4 letters and most of the shorter word."""
    common = 0
    for a, b in zip(first, second):  # noqa: B905 - the shorter word bounds the shared beginning
        if a != b:
            break
        common += 1
    return common >= max(4, 0.6 * min(len(first), len(second)))


def _without_ignored(findings: list[Finding], lines: list[str], shown: str) -> list[Finding]:
    ignored: dict[int, set[str]] = {}
    bad: list[Finding] = []
    for number, line in enumerate(lines, start=1):
        for match in _IGNORE.finditer(line):
            codes = {code for code in re.split(r"[\s,]+", match.group("codes")) if code}
            bad.extend(
                finding(shown, number, "bad-ignore", f"no code {code!r} to ignore")
                for code in sorted(codes - CODES.keys())
            )
            ignored.setdefault(number, set()).update(codes)
            if line.strip() == match.group(0):
                ignored.setdefault(number + 1, set()).update(codes)
    kept = [f for f in findings if f.code not in ignored.get(f.line, ())]
    return kept + bad


def as_text(result: CheckResult) -> str:
    return "".join(f"{f}\n" for f in result.findings)


def as_json(result: CheckResult) -> str:
    document = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "counts": {severity: result.count(severity) for severity in SEVERITIES},
        "findings": [asdict(f) for f in result.findings],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape(text: str, properties: bool = False) -> str:
    """Escape as GitHub workflow commands require; property values escape ``:`` and ``,`` too."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if properties else text


def as_github(result: CheckResult) -> str:
    """Workflow commands that GitHub Actions shows as annotations on the file and line."""
    out = []
    for f in result.findings:
        where = f"file={_escape(f.path, True)}" + (f",line={f.line}" if f.line else "")
        out.append(
            f"::{_GITHUB_LEVEL[f.severity]} {where},title={_escape(f.code, True)}::{_escape(f.message)}\n"
        )
    return "".join(out)


FORMATS = {"text": as_text, "json": as_json, "github": as_github}
