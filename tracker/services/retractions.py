"""Retraction notices flowing to claims: match the Retraction Watch database's notices
(`tracker.retractions`) to citations by DOI and PMID, record each on its citation, mark a
retracted citation retracted (it stops counting), regrade the claims citing them, and raise an
editor flag on every claim whose verdict changed. One transaction; a notice already recorded
(the same citation and Record ID) is left as it is, so a re-check of the same file changes
nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.limits import recorded_path
from tracker.models import Citation, Claim, EvidenceLink, Flag, RetractionNotice
from tracker.retractions import Notice, NoticeFile
from tracker.services.access import Actor, authorize, record
from tracker.services.evidence import regrade
from tracker.services.flags import raise_flags
from tracker.vocabulary import FlagKind, FlagState, NoticeNature

__all__ = ["NoticeMatch", "RetractionReport", "check_retractions"]

CHUNK = 2000


@dataclass(frozen=True, slots=True)
class NoticeMatch:
    """A notice recorded on a citation."""

    citation_key: str
    record_id: str
    nature: str
    matched_on: str
    line: int


@dataclass(slots=True)
class RetractionReport:
    source: str
    rows: int = 0
    #: notices recorded now
    recorded: list[NoticeMatch] = field(default_factory=list)
    #: notices matching a citation that were recorded before
    already: int = 0
    #: citations newly marked retracted
    retracted: list[str] = field(default_factory=list)
    #: (claim id, status before, status after) of claims whose verdict changed (each flagged)
    changed: list[tuple[int, str, str]] = field(default_factory=list)
    unmatched: int = 0
    unmatchable: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> dict[str, int]:
        return {"rows": self.rows, "recorded": len(self.recorded), "already": self.already,
                "retracted": len(self.retracted), "claims_changed": len(self.changed),
                "unmatched": self.unmatched, "unmatchable": self.unmatchable,
                "problems": len(self.problems)}


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _matching(session: Session, notices: Sequence[Notice]) -> dict[str, list[Citation]]:
    """Citations by "doi:..." and "pmid:..." for the notices' papers (set-based look-ups)."""
    dois = sorted({n.paper_doi for n in notices if n.paper_doi})
    pmids = sorted({n.paper_pmid for n in notices if n.paper_pmid})
    found: dict[str, list[Citation]] = {}
    for column, values, prefix in ((Citation.doi, dois, "doi"), (Citation.pmid, pmids, "pmid")):
        for chunk in _chunks(values):
            for citation in session.scalars(select(Citation).where(column.in_(chunk))):
                value = citation.doi if prefix == "doi" else citation.pmid
                found.setdefault(f"{prefix}:{value}", []).append(citation)
    return found


def _note(notice: Notice) -> str:
    when = notice.notice_date.isoformat() if notice.notice_date else "undated"
    where = f"doi:{notice.notice_doi}" if notice.notice_doi else (
        f"PMID {notice.notice_pmid}" if notice.notice_pmid else "no notice identifier")
    reason = f": {notice.reason}" if notice.reason else ""
    return f"Retraction Watch record {notice.record_id}, {when}, {where}{reason}"


def check_retractions(session: Session, actor: Actor, notices: NoticeFile, *,
                      dry_run: bool = False) -> RetractionReport:
    """Record the file's notices on the citations they are about (see the module docstring).
    With `dry_run`, report what would change and write nothing (the caller rolls back)."""
    authorize(actor, "citations.check-retractions")
    report = RetractionReport(source=notices.source, rows=notices.rows,
                              unmatchable=notices.unmatchable, problems=list(notices.problems),
                              dry_run=dry_run)
    by_identifier = _matching(session, notices.notices)
    matched_ids = sorted({c.id for cs in by_identifier.values() for c in cs})
    stored: set[tuple[int, str]] = set()
    for chunk in _chunks([str(i) for i in matched_ids]):
        stored.update(session.execute(select(
            RetractionNotice.citation_id, RetractionNotice.record_id).where(
            RetractionNotice.citation_id.in_([int(i) for i in chunk]))).all())
    newly_retracted: list[Citation] = []
    for notice in notices.notices:
        citations: dict[int, tuple[Citation, str]] = {}
        for prefix, value in (("pmid", notice.paper_pmid), ("doi", notice.paper_doi)):
            for citation in by_identifier.get(f"{prefix}:{value}", []) if value else []:
                citations[citation.id] = (citation, prefix)
        if not citations:
            report.unmatched += 1
            continue
        for citation, matched_on in citations.values():
            if (citation.id, notice.record_id) in stored:
                report.already += 1
                continue
            stored.add((citation.id, notice.record_id))
            report.recorded.append(NoticeMatch(citation.key, notice.record_id,
                                               notice.nature.value, matched_on, notice.line))
            if not dry_run:
                session.add(RetractionNotice(
                    citation_id=citation.id, record_id=notice.record_id,
                    nature=notice.nature.value, notice_date=notice.notice_date,
                    notice_doi=notice.notice_doi, notice_pmid=notice.notice_pmid,
                    reason=notice.reason, matched_on=matched_on,
                    source_file=recorded_path(notices.source), recorded_by_id=actor.id))
            if notice.nature is NoticeNature.RETRACTION and not citation.retracted:
                report.retracted.append(citation.key)
                if not dry_run:
                    citation.retracted = True
                    citation.retraction_note = _note(notice)
                    newly_retracted.append(citation)
    if dry_run or not report.recorded:
        return report
    session.flush()
    _regrade_and_flag(session, actor, newly_retracted, report)
    record(session, actor, "citations.check-retractions", "citation", None,
           f"checked {notices.source} against the citations: {len(report.recorded)} notices "
           f"recorded, {len(report.retracted)} citations retracted, {len(report.changed)} "
           "claims changed verdict (flagged)",
           after={**report.summary(), "retracted_keys": report.retracted[:200]})
    return report


def _regrade_and_flag(session: Session, actor: Actor, retracted: Sequence[Citation],
                      report: RetractionReport) -> None:
    """Regrade every claim citing a newly retracted citation; flag those whose verdict
    changed (unless an open flag of the kind is there already)."""
    if not retracted:
        return
    ids = [c.id for c in retracted]
    claim_ids = sorted(set(session.scalars(select(EvidenceLink.claim_id).where(
        EvidenceLink.citation_id.in_(ids)))))
    if not claim_ids:
        return
    parents = set(session.scalars(select(Claim.parent_id).where(
        Claim.id.in_(claim_ids), Claim.parent_id.is_not(None))))
    watched = sorted(set(claim_ids) | {p for p in parents if p is not None})
    before = dict(session.execute(select(Claim.id, Claim.status).where(
        Claim.id.in_(watched))).all())
    regrade(session, claim_ids)
    after = session.execute(select(Claim.id, Claim.status, Claim.retired).where(
        Claim.id.in_(watched))).all()
    changed = [(cid, before.get(cid) or "", status) for cid, status, retired in after
               if not retired and before.get(cid) != status]
    report.changed = changed
    if not changed:
        return
    flagged = set(session.scalars(select(Flag.claim_id).where(
        Flag.claim_id.in_([c for c, _, _ in changed]), Flag.kind == FlagKind.OTHER.value,
        Flag.state == FlagState.OPEN.value)))
    keys = ", ".join(sorted(c.key for c in retracted)[:10])
    for claim_id, old, new in changed:
        if claim_id in flagged:
            continue
        raise_flags(session, actor, [claim_id], FlagKind.OTHER,
                    f"verdict changed from {old} to {new}: cited evidence retracted "
                    f"(Retraction Watch; {keys}) - re-review the claim")

