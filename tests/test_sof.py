"""The summary of findings on the shipped review: rows per effect claim with PICO, counted
studies and designs, certainty with its reasons, the wording the evidence supports; recorded
effects; CSV, Markdown and HTML exports; `tracker sof`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tests.conftest import cli_env
from tracker import db, queries, sof
from tracker.cli import app
from tracker.models import Citation, EvidenceLink
from tracker.services import evidence
from tracker.services.access import Actor
from tracker.vocabulary import Role

SLUG = "ketamine-therapy-for-pain-management"
SAFE = "generally considered safe"
MakeActor = Callable[[Engine, Role], Actor]


def _rows(engine: Engine, **kwargs: int) -> list[queries.SofRow]:
    with db.reading(engine) as session:
        return queries.summary_of_findings(
            session, queries.resolve_document(session, SLUG).id, **kwargs)


def test_each_effect_claim_with_counted_studies_has_a_row(shipped_engine: Engine) -> None:
    rows = _rows(shipped_engine)
    assert rows and all(r.studies >= 1 and r.designs for r in rows)
    safe = next(r for r in rows if SAFE in r.sentence)
    assert safe.outcome.startswith("adverse events")
    assert safe.wording_verdict == "overstated" and safe.allowed_wording != safe.sentence
    with db.reading(shipped_engine) as session:
        counted = session.scalar(
            select(func.count(func.distinct(EvidenceLink.citation_id)))
            .join(Citation, Citation.id == EvidenceLink.citation_id)
            .where(EvidenceLink.claim_id == safe.claim_id, Citation.verified.is_(True),
                   Citation.retracted.is_(False), EvidenceLink.stance != "background"))
    assert safe.studies == counted
    assert safe.footnotes
    if safe.certainty == "not-assessed":
        assert safe.footnotes[0].startswith("not assessed: ")
    else:
        assert any(n.startswith("risk of bias") for n in safe.footnotes)
    parts = [r for r in rows if r.claim != r.sentence]
    assert parts, "the parts of split sentences have rows of their own"


def test_recorded_effects_and_participants_show(shipped_engine: Engine,
                                                make_actor: MakeActor) -> None:
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    row = next(r for r in _rows(shipped_engine) if SAFE in r.sentence)
    with db.reading(shipped_engine) as session:
        link_id = session.scalar(
            select(EvidenceLink.id).join(Citation, Citation.id == EvidenceLink.citation_id)
            .where(EvidenceLink.claim_id == row.claim_id, Citation.verified.is_(True),
                   EvidenceLink.stance != "background", EvidenceLink.participants.is_(None),
                   EvidenceLink.effect_measure.is_(None))
            .limit(1))
    assert link_id is not None
    before = [e.text.split(" [")[0] for e in row.relative]
    with db.writing(shipped_engine) as session:
        evidence.update_link(session, reviewer, link_id, effect={
            "effect_measure": "RR", "effect_estimate": 1.8, "effect_ci_low": 1.2,
            "effect_ci_high": 2.7, "participants": 120, "effect_outcome": "adverse events"})
    [after] = _rows(shipped_engine, claim_id=row.claim_id)
    assert sorted(e.text.split(" [")[0] for e in after.relative) == sorted(
        [*before, "RR 1.8 (95 % CI 1.2 to 2.7)"])
    assert after.participants == (row.participants or 0) + 120
    assert after.participants_reported == row.participants_reported + 1
    assert str(after.participants) in sof.to_csv([after])


def test_the_exports(shipped_engine: Engine) -> None:
    rows = _rows(shipped_engine)
    table = list(csv.reader(io.StringIO(sof.to_csv(rows))))
    assert table[0][:3] == ["claim", "What the article says", "Population"]
    assert len(table) == len(rows) + 1
    markdown = sof.to_markdown(rows, "the article")
    assert markdown.count("\n| ") >= len(rows) and "[^1]:" in markdown
    assert "gives no medical advice" in markdown
    html = sof.to_html(rows, "a <b>title</b>")
    assert "a &lt;b&gt;title&lt;/b&gt;" in html and "@page { size: A4" in html
    assert html.count('<tr id="claim-') == len(rows)


def test_cli_sof(shipped_engine: Engine, tmp_path: object) -> None:
    runner = CliRunner()
    env = cli_env(shipped_engine)
    as_json = runner.invoke(app, ["sof", "--json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    assert any(SAFE in r["sentence"] for r in json.loads(as_json.output))
    text = runner.invoke(app, ["sof"], env=env)
    assert text.exit_code == 0 and "P: " in text.output and "certainty" in text.output
    html = runner.invoke(app, ["sof", "--format", "html"], env=env)
    assert html.output.startswith("<!DOCTYPE html>")
