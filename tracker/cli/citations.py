"""The reference library: import, list, search, show, design, verification, retractions."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracker import db
from tracker.cli.application import _commands, app
from tracker.cli.options import MAX_ID, AsUser, JsonFlag
from tracker.cli.output import _print_json, _table
from tracker.cli.session import _acting, _read, _write
from tracker.errors import InvalidInput
from tracker.lazy import lazy_function, lazy_module
from tracker.vocabulary import StudyDesign

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from tracker import bibtex, finder, formats, queries, retractions
    from tracker.formats.assessed import identifier_links
    from tracker.services import citations
    from tracker.services import retractions as retractions_service
    from tracker.services.access import Actor
    from tracker.text import import_summary
else:  # imported when a command first uses it (start-up time is benchmarked)
    bibtex = lazy_module("tracker.bibtex")
    citations = lazy_module("tracker.services.citations")
    finder = lazy_module("tracker.finder")
    formats = lazy_module("tracker.formats")
    identifier_links = lazy_function("tracker.formats.assessed", "identifier_links")
    import_summary = lazy_function("tracker.text", "import_summary")
    queries = lazy_module("tracker.queries")
    retractions = lazy_module("tracker.retractions")
    retractions_service = lazy_module("tracker.services.retractions")


class ReferenceFormat(StrEnum):
    """`tracker.formats.FORMATS`, or detected from the file."""

    AUTO = "auto"
    BIBTEX = "bibtex"
    RIS = "ris"
    PUBMED = "pubmed"
    CSL_JSON = "csl-json"


# --- citations -------------------------------------------------------------------------------

citations_app = _commands("The reference library.")
app.add_typer(citations_app, name="citations")


@app.command("import-bib")
def import_bib(
    files: Annotated[list[Path], typer.Argument(
        help="BibTeX, RIS, PubMed (MEDLINE/.nbib) or CSL-JSON files")],
    strict: Annotated[bool, typer.Option("--strict", help="any problem: import nothing")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report, write nothing")] = False,
    encoding: Annotated[str | None, typer.Option(
        help="the files' encoding when they are not UTF-8 (latin-1, latin-2, latin-9, "
             "cp1252, ...); default: detected")] = None,
    fmt: Annotated[ReferenceFormat, typer.Option(
        "--format", help="the files' format; auto: by suffix (.bib .ris .nbib .json), else "
                         "by the first line")] = ReferenceFormat.AUTO,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Import citations from BibTeX, RIS, PubMed MEDLINE (.nbib) or CSL-JSON (Zotero,
    EndNote, Covidence, Rayyan, PubMed, journal pages) through one pipeline. Exit 1 when
    --strict refused the import because of a problem; 2 when a file is refused whole."""
    sources = []
    for path in files:  # read and parse before the write transaction: no lock held meanwhile
        try:
            decoded = bibtex.decode_bib_file(path, encoding)
        except bibtex.BibFileError as exc:
            raise InvalidInput(str(exc)) from None
        given = (formats.detect_format(path.name, decoded.text)
                 if fmt is ReferenceFormat.AUTO else fmt.value)
        sources.append(citations.BibSource(str(path), decoded.text, decoded, given))
    show_progress = sys.stderr.isatty() and not as_json
    with _acting(as_user) as acting, _progress(show_progress) as progress:
        with db.reading(acting.engine) as session:
            actor = acting.actor(session, write=False)
            assert actor is not None
            parsed = citations.parse_import(session, actor, sources, progress)
        with db.writing(acting.engine) as session:
            actor = acting.actor(session)
            assert actor is not None
            report = citations.import_bibtex(session, actor, parsed, strict=strict,
                                             dry_run=dry_run, progress=progress)
    if as_json:
        _print_json({"summary": report.summary(), **dataclasses.asdict(report)})
    else:
        _print_import(report)
    if report.problems and (strict or dry_run):
        raise typer.Exit(1 if strict else 0)


@contextmanager
def _progress(enabled: bool) -> Iterator[citations.Progress | None]:
    if not enabled:
        yield None
        return
    state: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "-" * (width - filled)
        typer.echo(f"\r{stage:<9} [{bar}] {done}/{total}".ljust(60), err=True, nl=False)
        state["shown"] = True

    yield update
    if state:
        typer.echo("\r" + " " * 60 + "\r", err=True, nl=False)


def _print_import(report: citations.ImportReport) -> None:
    typer.echo(import_summary(report))
    for m in report.merged:
        typer.echo(f"  merged {m.key} into {m.into} (same {m.matched_on}): filled "
                   f"{', '.join(m.filled)}")
    for m in report.merged + report.unchanged:
        for name, kept, ignored in m.conflicts:
            typer.echo(f"  conflict {m.into}.{name}: kept {kept!r}, ignored {ignored!r} "
                       f"({m.source}:{m.line})")
    for mf in report.merged_in_files:
        typer.echo(f"  duplicate {mf.merged_key} (line {mf.line}) merged into {mf.kept_key} "
                   f"(same {mf.matched_on})")
    for old, new in report.renamed:
        typer.echo(f"  key {old} already used by another citation: imported as {new}")
    for note in report.encodings:
        typer.echo(f"  encoding {note.source}: {note.note}")
    for warning in report.warnings:
        typer.echo(f"  warning {warning}")
    for problem in report.problems:
        typer.echo(f"  {problem}", err=True)
    if report.strict and report.problems:
        typer.echo("nothing imported (--strict)", err=True)


@citations_app.command("list")
def citations_list(
    search: Annotated[str | None, typer.Option(
        help="words in key, title, authors, DOI or PMID (each must match)")] = None,
    design: Annotated[StudyDesign | None, typer.Option(help="study design")] = None,
    verified: Annotated[bool | None, typer.Option("--verified/--unverified",
                                                  help="only (un)verified")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_ID, help="at most this many")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """List citations (most-linked first)."""
    with _read() as session:
        where = queries.CitationFilter(search=search, verified=verified,
                                       design=design.value if design else None)
        rows = queries.citations(session, where, limit=limit)
    if as_json:
        _print_json(rows)
        return
    _table(["key", "year", "design", "level", "verified", "links", "title"],
           [(r.key, r.year, r.design, r.level, "yes" if r.verified else "no", r.links, r.title)
            for r in rows], wrap=70)


@citations_app.command("search")
def citations_search(
    words: Annotated[list[str], typer.Argument(help='words; "quoted phrase" as a phrase')],
    limit: Annotated[int, typer.Option(min=1, max=MAX_ID, help="at most this many")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Find citations with every word (in the title, abstract, keywords or finding, or the
    key, authors, DOI or PMID); an argument with spaces, or a "quoted phrase", as a phrase."""
    citations_list(search=finder.arguments_as_search(words), design=None, verified=None,
                   limit=limit, as_json=as_json)


@citations_app.command("show")
def citations_show(key: str, as_json: JsonFlag = False) -> None:
    """One citation with its metadata, verification and the claims it is linked to."""
    with _read() as session:
        detail = queries.citation_detail(session, key)
    if as_json:
        _print_json(detail)
        return
    r = detail.row
    typer.echo(f"{r.key}  [{r.design or 'design unknown'} — {detail.design_reason}]")
    typer.echo(f"{r.authors} ({r.year}). {r.title}. {r.container or ''}")
    for label, value in (("DOI", r.doi), ("PMID", r.pmid), ("URL", detail.url)):
        if value:
            typer.echo(f"{label}: {value}")
    for label, address in identifier_links(r.doi, r.pmid, detail.extra.get("pmcid")):
        typer.echo(f"  {label}: {address}")
    note = f" — {detail.verification_note}" if detail.verification_note else ""
    typer.echo(f"verified: {'yes' if r.verified else 'no'}{note}")
    if r.retracted:
        typer.echo(f"RETRACTED: {detail.retraction_note}")
    for notice in detail.notices:
        when = notice.notice_date.isoformat() if notice.notice_date else "undated"
        where = f" doi:{notice.notice_doi}" if notice.notice_doi else ""
        typer.echo(f"notice: {notice.nature} ({when}, Retraction Watch {notice.record_id}"
                   f"{where}) {notice.reason}")
    if detail.extra.get("finding"):
        typer.echo(f"finding: {detail.extra['finding']}")
    if detail.appraisal is not None:
        a = detail.appraisal
        typer.echo(f"appraisal: {a.tool} overall {a.overall}"
                   + (f", pools {a.pools}" if a.pools else "")
                   + f" — {a.appraised_by}, {a.appraised_at:%Y-%m-%d}")
        for ident, judgement, reason in a.domains:
            typer.echo(f"  {ident:<3} {judgement:<14} {reason}")
    elif detail.tool:
        typer.echo(f"appraisal: not assessed (needs {detail.tool})")
    for claim_id, stance, text in detail.claims:
        typer.echo(f"  #{claim_id} {stance}: {text[:90]}")


def _change_citation(key: str, as_user: str | None,
                     change: Callable[[Session, Actor, int], object]) -> None:
    """Run `change` on the citation with `key`, in one write acting for `as_user`."""
    with _write(as_user) as (session, actor):
        change(session, actor, citations.citation_by_key(session, key).id)


@citations_app.command("design")
def citations_design(key: str, design: StudyDesign, as_user: AsUser = None) -> None:
    """Confirm or correct a citation's study design (reviewers)."""
    _change_citation(key, as_user, lambda session, actor, citation_id: citations.set_design(
        session, actor, citation_id, design))
    typer.echo(f"{key}: design {design.value} (confirmed)")


@citations_app.command("verify")
def citations_verify(
    key: str,
    note: Annotated[str, typer.Option(help="where the metadata was confirmed")],
    unverified: Annotated[bool, typer.Option("--unverified", help="mark as NOT verified")] = False,
    as_user: AsUser = None,
) -> None:
    """Mark a citation verified (metadata confirmed in a source) or unverified."""
    _change_citation(key, as_user, lambda session, actor, citation_id:
                     citations.set_verification(session, actor, citation_id, not unverified,
                                                note))
    typer.echo(f"{key}: {'unverified' if unverified else 'verified'}")


@citations_app.command("retract")
def citations_retract(
    key: str,
    notice: Annotated[str, typer.Option(help="the retraction notice (DOI or URL)")],
    undo: Annotated[bool, typer.Option("--undo", help="remove the retraction mark")] = False,
    as_user: AsUser = None,
) -> None:
    """Mark a citation retracted (editors); retracted studies never count as evidence."""
    _change_citation(key, as_user, lambda session, actor, citation_id:
                     citations.set_retracted(session, actor, citation_id, not undo, notice))
    typer.echo(f"{key}: {'no longer retracted' if undo else 'retracted'}")


@citations_app.command("check-retractions")
def citations_check_retractions(
    file: Annotated[Path, typer.Argument(
        help="the Retraction Watch database as CSV (the layout Crossref publishes)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report, write nothing")] = False,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Match retraction notices (retractions, expressions of concern, corrections) to the
    citations by DOI and PMID (admins): record each on its citation, mark retractions (they
    stop counting), regrade, and flag every claim whose verdict changed."""
    try:
        notices = retractions.read_notice_file(file)
    except retractions.NoticeFileError as exc:
        raise InvalidInput(str(exc)) from None
    with _write(as_user) as (session, actor):
        report = retractions_service.check_retractions(session, actor, notices,
                                                       dry_run=dry_run)
    if as_json:
        _print_json({"summary": report.summary(), **dataclasses.asdict(report)})
        return
    verb = "would record" if dry_run else "recorded"
    typer.echo(f"{verb} {len(report.recorded)} notices ({report.already} recorded before; "
               f"{report.unmatched} about papers not in the library, of {report.rows} rows); "
               f"{len(report.retracted)} citations retracted; {len(report.changed)} claims "
               "changed verdict and were flagged")
    for match in report.recorded:
        typer.echo(f"  {match.citation_key}: {match.nature} (Retraction Watch "
                   f"{match.record_id}, same {match.matched_on}, line {match.line})")
    for claim_id, before, after in report.changed:
        typer.echo(f"  claim #{claim_id}: {before} → {after} (flagged)")
    for line, column, message in report.problems:
        typer.echo(f"  {file}: {line}: {column}: {message}", err=True)
