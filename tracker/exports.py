"""What the tracker holds, written out: BibTeX, RIS, CSL-JSON, CSV, JSON (with evidence links
as CiTO terms), and an annotated Markdown report of an article for editors to send round."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from tracker import formats, queries
from tracker.formats import annotation, assessed, cito, fhir
from tracker.jsonready import plain as plain
from tracker.queries.records import export_records
from tracker.scorecard import Scorecard
from tracker.text import WORD_JOINER as WORD_JOINER
from tracker.text import escape_markdown
from tracker.vocabulary import STATUS_LABELS_BY_VALUE as STATUS_MARK
from tracker.vocabulary import Instrument

if TYPE_CHECKING:  # BibTeX (bibtexparser) is imported by the exports that write it
    from tracker import bibtex

FORMATS = ("bibtex", "ris", "csl-json", "csv", "json", "report", "annotations", "cito",
           "fhir")
#: The formats about a document's claims (the others are the reference library).
CLAIM_FORMATS = ("report", "annotations", "cito", "fhir")
DISCLAIMER = ("Evidence Tracker records published evidence for the claims of an article. "
              "It gives no medical advice.")


def export(session: Session, fmt: str, *, document_slug: str | None = None,
           linked_only: bool = False) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    from tracker import bibtex
    if fmt == "report":
        return report(session, queries.resolve_document(session, document_slug).id)
    if fmt in CLAIM_FORMATS:
        return claim_export(session, fmt, queries.resolve_document(session, document_slug).id)
    document_id = None
    if linked_only or fmt == "json":
        document_id = queries.resolve_document(session, document_slug).id
    records = export_records(session, document_id=document_id if linked_only else None)
    if fmt == "bibtex":
        return bibtex.to_bibtex(records)
    if fmt == "ris":
        return formats.to_ris(records)
    if fmt == "csl-json":
        return formats.to_csl_json(records)
    if fmt == "csv":
        return bibtex.to_csv(records)
    assert document_id is not None
    return _json(session, document_id, records)


def _json(session: Session, document_id: int, records: list[bibtex.CitationRecord]) -> str:
    rows = queries.claims(session, queries.ClaimFilter(document_id=document_id))
    links = queries.evidence(session, [r.id for r in rows])
    payload: dict[str, Any] = {
        "format": "evidence-tracker/1",
        "exported_at": datetime.now(UTC).isoformat(),
        "notice": DISCLAIMER,
        "document": plain(next(d for d in queries.documents(session) if d.id == document_id)),
        "coverage": plain(queries.coverage(session, document_id)),
        "claims": [plain(r) for r in rows],
        "evidence_links": [
            {"id": e.link_id, "claim": e.claim_id, "citation": e.citation_key,
             "stance": e.stance, "cito": e.cito, "locator": e.locator, "note": e.note,
             "judgements": e.judgements, "by": e.created_by, "at": e.created_at.isoformat()}
            for e in links
        ],
        "flags": [plain(f) for f in queries.flags(
            session, queries.FlagFilter(document_id=document_id))],
        "questions": [plain(q) for q in queries.questions(session, document_id)],
        # both instruments, each criterion with its rating, who rated it (rules or an editor)
        "scorecard": queries.scorecard(session, document_id).as_dict(),
        "citations": json.loads(_records_json(records)),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def assessed_claims(session: Session, document_id: int
                    ) -> tuple[assessed.Article, list[assessed.AssessedClaim]]:
    """A document's live claims with their verdicts, spans and studies, as plain data for
    the Web Annotation, CiTO and FHIR writers (`tracker.formats`)."""
    anchors = queries.claim_anchors(session, document_id)
    rows = [r for r in queries.claims(session, queries.ClaimFilter(document_id=document_id))
            if not r.retired]
    links = queries.evidence(session, [r.id for r in rows])
    keys = {link.citation_key for link in links}
    records = {r.key: r for r in export_records(session, document_id=document_id)
               if r.key in keys}
    body = queries.body_judgements(session, [r.id for r in rows])
    by_claim: dict[int, list[assessed.Study]] = {}
    for link in links:
        record = records.get(link.citation_key)
        by_claim.setdefault(link.claim_id, []).append(assessed.Study(
            key=link.citation_key, title=link.citation_title, year=link.year,
            authors=link.authors, doi=record.doi if record else None,
            pmid=record.pmid if record else None,
            pmcid=record.extra.get("pmcid") if record else None, stance=link.stance,
            cito=link.cito, verified=link.verified, retracted=link.retracted,
            design=link.design, effect=dict(link.effect)))
    address = anchors.source_url or f"urn:evidence-tracker:document:{anchors.slug}"
    article = assessed.Article(anchors.slug, anchors.title, address, anchors.source_text,
                               anchors.language)
    claims = [assessed.AssessedClaim(
        id=r.id, text=r.text, section=tuple(r.section), status=r.status,
        certainty=r.certainty, explanation=r.explanation, track=r.track,
        span=anchors.spans.get(r.id), studies=tuple(by_claim.get(r.id, ())),
        body=tuple(body.get(r.id, ()))) for r in rows]
    return article, claims


def claim_export(session: Session, fmt: str, document_id: int) -> str:
    """A document's claims as Web Annotations (JSON-LD), CiTO (Turtle) or FHIR (JSON)."""
    if fmt == "report":
        return report(session, document_id)
    article, claims = assessed_claims(session, document_id)
    now = datetime.now(UTC)
    if fmt == "annotations":
        collection = annotation.annotation_collection(article, claims, now)
        return json.dumps(collection, ensure_ascii=False, indent=2) + "\n"
    if fmt == "cito":
        return cito.to_turtle(article, claims)
    if fmt == "fhir":
        return fhir.evidence_bundle(claims, now).model_dump_json(indent=2) + "\n"
    raise ValueError(f"unknown claim export format {fmt!r}")


def _records_json(records: list[bibtex.CitationRecord]) -> str:
    from tracker import bibtex

    return bibtex.to_json(records)


def _inert(value: str) -> str:
    from tracker import bibtex

    return bibtex._inert_cell(value)


def _escape(text: str) -> str:
    """Markdown-inert text on one line that still reads as plain text (`tracker.text`)."""
    return escape_markdown(text, strict=False)


def report(session: Session, document_id: int) -> str:
    """The article, claim by claim, with status, certainty, explanation and numbered references."""
    view = queries.article_view(session, document_id)
    cov = queries.coverage(session, document_id)
    lines = [
        f"# Evidence report: {_escape(view.document.title)}",
        "",
        f"*{DISCLAIMER}*",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from `{_escape(view.document.slug)}`. "
        f"{cov.claims} claims: " + ", ".join(f"{n} {s}" for s, n in cov.by_status.items())
        + f"; {cov.open_flags} open flags.",
        "",
    ]

    def claim_lines(items: list[queries.ArticleClaim]) -> None:
        for item in items:
            c = item.claim
            refs = "".join(f"[{n}]" for n in item.markers)
            certainty = (f", certainty {c.certainty}" if c.certainty
                         else f", {c.standing}" if c.standing else "")
            flags = f" — open flags: {', '.join(c.open_flags)}" if c.open_flags else ""
            lines.append(f"- {_escape(c.text)} {refs}".rstrip())
            lines.append(f"  - **{STATUS_MARK[c.status]}**{certainty}: {_escape(c.explanation)}"
                         f"{flags}")
        lines.append("")

    if view.introduction:
        lines += ["## Introduction", ""]
        claim_lines(view.introduction)
    for section in view.sections:
        if not section.claims and section.kind != "heading":
            continue
        lines += [f"{'#' * (section.level + 1)} {_escape(section.title)}", ""]
        if section.claims:
            claim_lines(section.claims)
    lines += scorecard_lines(queries.scorecard(session, document_id))
    lines += ["## References", ""]
    lines += [f"{n}. {_escape(text)} [{_escape(key)}]" for n, key, text in view.references]
    return "\n".join(lines) + "\n"


def scorecard_lines(card: Scorecard) -> list[str]:
    """The report's scorecard: each criterion of both instruments with its rating, who rated
    it ("rules": a proposal no editor has confirmed yet) and why; then the red-flag language."""
    lines = ["## Article scorecard", "",
             "HealthNewsReview.org's ten criteria (satisfactory / not satisfactory / not "
             "applicable) and DISCERN's sixteen questions (1 no – 5 yes; Charnock et al. 1999). "
             "Ratings by *rules* are proposals from the tracker's data; an editor confirms or "
             "overrides each.", ""]
    for instrument in Instrument:
        lines += [f"### {'HealthNewsReview.org' if instrument is Instrument.HNR else 'DISCERN'}",
                  ""]
        for item in card.of(instrument):
            rating = (item.rating or "unrated").replace("-", " ") \
                if instrument is Instrument.HNR else (item.rating or "unrated")
            who = f" ({_escape(item.rated_by)})" if item.rated_by else ""
            lines.append(f"- **{item.criterion.label}** {_escape(item.criterion.question)} "
                         f"**{rating}**{who}: {_escape(item.reason)}")
            if item.overridden and item.proposal.rating:
                lines.append(f"  - the rules propose {item.proposal.rating}: "
                             f"{_escape(item.proposal.reason)}")
        lines.append("")
    lines += ["### Red-flag language", ""]
    lines += [f"- *{_escape(f.term)}*: {_escape(f.sentence)}" for f in card.red_flags] or [
        "- none found"]
    return lines + [""]


# --- agreement statistics of dual review -----------------------------------------------------

AGREEMENT_COLUMNS = tuple(f.name for f in dataclasses.fields(queries.AgreementRow))


def agreement_csv(rows: Sequence[queries.AgreementRow]) -> str:
    """The agreement statistics (`queries.agreement`) as CSV, one row per measure and scope,
    numbers as computed (kappas to 4 decimals, percentages to 1)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AGREEMENT_COLUMNS)
    for row in rows:
        cells = []
        for name in AGREEMENT_COLUMNS:
            value = getattr(row, name)
            if value is None:
                cells.append("")
            elif isinstance(value, float):
                cells.append(f"{value:.1f}" if name == "percent" else f"{value:.4f}")
            elif isinstance(value, int):
                cells.append(str(value))
            else:  # a cell a spreadsheet would run as a formula is kept as text
                cells.append(_inert(str(value)))
        writer.writerow(cells)
    return buffer.getvalue()


def agreement_json(rows: Sequence[queries.AgreementRow], document: str | None) -> str:
    """The agreement statistics as JSON, with what they are computed from."""
    payload = {
        "format": "evidence-tracker-agreement/1",
        "exported_at": datetime.now(UTC).isoformat(),
        "document": document,
        "method": ("Percentage agreement and Cohen's kappa over the items both reviewers "
                   "entered; weighted kappa (linear, quadratic) on ordered scales; 95 % CIs "
                   "from the large-sample standard error of Fleiss, Cohen and Everitt (1969)"),
        "rows": [plain(r) for r in rows],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
