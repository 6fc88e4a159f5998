"""Retraction notices from the Retraction Watch CSV flowing to citations and claims (issue 19)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tests.conftest import ROOT, cli_env
from tests.helpers import claim_id, do_import, link, row, source
from tracker import db, queries, retractions
from tracker.cli import app
from tracker.errors import PermissionDenied
from tracker.models import Citation, Flag, RetractionNotice
from tracker.services import retractions as service
from tracker.services.access import Actor
from tracker.vocabulary import FlagKind, NoticeNature, Role

MakeActor = Callable[[Engine, Role], Actor]
FIXTURE = ROOT / "tests" / "fixtures" / "formats" / "retractions.csv"
HEADER = FIXTURE.read_text(encoding="utf-8").splitlines()[0]


def check(engine: Engine, actor: Actor, text: str, **options: bool
          ) -> service.RetractionReport:
    notices = retractions.parse_notices(text, "notices.csv")
    with db.writing(engine) as session:
        return service.check_retractions(session, actor, notices, **options)


def the_same_papers(engine: Engine) -> None:
    do_import(engine, source("same.bib"), source("same.ris"), source("same.nbib"),
              source("same.json"))


# --- reading the file ------------------------------------------------------------------------


def test_the_crossref_layout_is_read_with_natures_dates_and_missing_identifiers() -> None:
    read = retractions.read_notice_file(FIXTURE)
    assert read.rows == 4 and not read.problems
    alpha, beta, gamma, _other = read.notices
    assert (alpha.nature, alpha.notice_date, alpha.paper_doi, alpha.paper_pmid) == (
        NoticeNature.RETRACTION, date(2024, 3, 15), "10.5555/test.alpha", "90000001")
    assert (beta.nature, beta.paper_doi, beta.notice_pmid) == (
        NoticeNature.EXPRESSION_OF_CONCERN, None, None)  # "unavailable" and "0" are none
    assert gamma.nature is NoticeNature.CORRECTION and gamma.paper_pmid is None
    assert alpha.reason.startswith("+Falsification/Fabrication of Data")


def test_a_file_in_another_layout_is_refused_naming_the_missing_columns() -> None:
    with pytest.raises(retractions.NoticeFileError, match="no column Record ID"):
        retractions.parse_notices("DOI,Title\n10.1/x,T\n", "other.csv")


def test_rows_with_an_unknown_nature_or_date_are_problems_with_their_line() -> None:
    text = "\n".join([HEADER, *FIXTURE.read_text("utf-8").splitlines()[1:3]]) + "\n"
    text = text.replace(",Retraction,", ",Withdrawn,").replace("1/10/2023 0:00", "soon")
    read = retractions.parse_notices(text, "x.csv")
    assert [(line, column) for line, column, _ in read.problems] == [
        (2, "RetractionNature"), (3, "RetractionDate")]
    assert not read.notices


# --- recording, retracting, regrading, flagging ----------------------------------------------


def test_notices_are_recorded_on_the_matching_citations(engine: Engine,
                                                        make_actor: MakeActor) -> None:
    the_same_papers(engine)
    admin = make_actor(engine, Role.ADMIN)
    report = check(engine, admin, FIXTURE.read_text("utf-8"))
    assert sorted((m.citation_key, m.nature) for m in report.recorded) == [
        ("alpha2021", "retraction"), ("beta2019", "expression-of-concern"),
        ("gamma2018", "correction")]
    assert report.retracted == ["alpha2021"] and report.unmatched == 1
    with db.reading(engine) as session:
        retracted = dict(session.execute(select(Citation.key, Citation.retracted)).all())
        assert retracted == {"alpha2021": True, "beta2019": False, "gamma2018": False}
        alpha = queries.citation_detail(session, "alpha2021")
        assert alpha.retraction_note is not None and "10.5555/test.alpha.retraction" in (
            alpha.retraction_note)
        beta = queries.citation_detail(session, "beta2019")
        assert [(n.nature, n.matched_on, n.notice_doi) for n in beta.notices] == [
            ("expression-of-concern", "pmid", "10.5555/test.beta.eoc")]
    again = check(engine, admin, FIXTURE.read_text("utf-8"))
    assert not again.recorded and again.already == 3 and not again.retracted
    with db.reading(engine) as session:
        assert session.scalar(select(func.count()).select_from(RetractionNotice)) == 3


def test_a_retraction_regrades_and_flags_every_claim_whose_verdict_changed(
        library: Engine, make_actor: MakeActor) -> None:  # noqa: F811
    reviewer, admin = make_actor(library, Role.REVIEWER), make_actor(library, Role.ADMIN)
    claim = claim_id(library, "Opioid-Sparing Effects")
    link(library, reviewer, claim, "laskowski2011")
    assert row(library, claim).status == "supported"
    csv_text = (f"{HEADER}\n1,T,,,,,,,,,1/2/2025 0:00,10.5555/hypothetical,0,1/1/2011 0:00,"
                "10.1007/s12630-011-9560-0,0,Retraction,+Hypothetical notice written for this "
                "test;,No,\n")
    dry = check(library, admin, csv_text, dry_run=True)
    assert dry.retracted == ["laskowski2011"] and row(library, claim).status == "supported"
    report = check(library, admin, csv_text)
    assert report.changed == [(claim, "supported", "insufficient")]
    assert row(library, claim).status == "insufficient"
    with db.reading(library) as session:
        flag = session.scalar(select(Flag).where(Flag.claim_id == claim))
        assert flag is not None and flag.kind == FlagKind.OTHER.value
        assert "supported to insufficient" in flag.reason and "laskowski2011" in flag.reason
        notices = queries.claim_detail(session, claim).notices
        assert [(n.citation_key, n.nature) for n in notices] == [("laskowski2011", "retraction")]


def test_only_admins_check_retractions(engine: Engine, make_actor: MakeActor) -> None:
    the_same_papers(engine)
    with pytest.raises(PermissionDenied):
        check(engine, make_actor(engine, Role.EDITOR), FIXTURE.read_text("utf-8"))
    with db.reading(engine) as session:
        assert session.scalar(select(func.count()).select_from(RetractionNotice)) == 0


def test_cli_check_retractions_reports_as_json(engine: Engine, make_actor: MakeActor,
                                              tmp_path: Path) -> None:
    the_same_papers(engine)
    admin = make_actor(engine, Role.ADMIN)
    result = CliRunner().invoke(app, ["citations", "check-retractions", str(FIXTURE),
                                      "--json"], env=cli_env(engine, admin.username))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"]["recorded"] == 3
    shown = CliRunner().invoke(app, ["citations", "show", "beta2019"],
                               env=cli_env(engine))
    assert "notice: expression-of-concern (2023-01-10, Retraction Watch 90002" in shown.output
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["citations", "check-retractions", str(bad)],
                                 env=cli_env(engine, admin.username))
    assert refused.exit_code == 2 and "not the Retraction Watch CSV layout" in refused.output
