"""Where a document stands: coverage of its claims, its open questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tracker.cli.application import app
from tracker.cli.options import DocumentOpt, JsonFlag
from tracker.cli.output import _plural, _print_json, _table
from tracker.cli.session import _read
from tracker.lazy import lazy_module

if TYPE_CHECKING:
    from tracker import queries
else:  # imported when a command first uses it (start-up time is benchmarked)
    queries = lazy_module("tracker.queries")


@app.command()
def coverage(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """How well the article is supported: claims by status, certainty, section and category."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        result = {
            "document": doc.slug,
            "coverage": queries.coverage(session, doc.id),
            "by_section": queries.coverage_by_section(session, doc.id),
            "by_category": queries.coverage_by_category(session, doc.id),
            "flags": queries.flag_summary(session, doc.id),
            "questions": queries.questions_by_status(session, doc.id),
            "claims": [
                {"id": c.id, "status": c.status, "certainty": c.certainty,
                 "explanation": c.explanation, "open_flags": c.open_flags, "text": c.text}
                for c in queries.claims(session, queries.ClaimFilter(
                    document_id=doc.id, include_parts=False))
            ],
        }
    if as_json:
        _print_json(result)
        return
    cov: queries.Coverage = result["coverage"]  # type: ignore[assignment]
    typer.echo(f"{doc.slug}: {_plural(cov.claims, 'claim')} — "
               + ", ".join(f"{n} {s}" for s, n in cov.by_status.items())
               + f"; {_plural(cov.open_flags, 'open flag')}")
    typer.echo("certainty (effect claims): "
               + ", ".join(f"{n} {c}" for c, n in cov.by_certainty.items())
               + "; standing (descriptive claims): "
               + ", ".join(f"{n} {s}" for s, n in cov.by_standing.items()))
    headers = ["section", "claims", *queries.STATUSES]
    _table(headers, [(r.group, r.total, r.supported, r.contested, r.contradicted,
                      r.insufficient, r.no_evidence_found, r.not_reviewed)
                     for r in result["by_section"]])  # type: ignore[attr-defined]


@app.command()
def questions(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """Open research questions with the claims they come from and the evidence on them."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.questions(session, doc.id)
    if as_json:
        _print_json(rows)
        return
    for q in rows:
        typer.echo(f"[{q.priority}] {q.slug} — {q.status}: {q.title}")
        typer.echo(f"    claims {', '.join(f'#{c}' for c in q.claims) or '-'}; "
                   f"evidence: {', '.join(k for k, *_ in q.evidence) or '-'}")
