"""Evidence links, grading through the service layer, flags, questions, roles, audit and
optimistic locking — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.conftest import ARTICLE, SEED
from tests.helpers import cid, claim_id, link, row
from tracker import db, queries
from tracker.errors import Conflict, InvalidInput, PermissionDenied
from tracker.models import AuditEvent, Citation, Claim, EvidenceLink
from tracker.revision import revision_of
from tracker.services import articles, citations, evidence, flags, questions, review, users
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import FlagKind, FlagState, Priority, QuestionStatus, Role, Stance

MakeActor = Callable[[Engine, Role], Actor]
MULTIPLE_RCTS = "Multiple randomized controlled trials have shown"
REVIEWS_CONFIRM = "Comprehensive reviews of the available evidence confirm"


# --- grading rules on the article's own sentences ----------------------------------------------


def test_multiple_rcts_needs_two_supporting_rcts(library: Engine, make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, MULTIPLE_RCTS)
    link(library, reviewer, claim, "sigtermans2009")
    one = row(library, claim)
    assert one.status == "insufficient"
    assert "needs at least 2 supporting RCTs" in one.explanation
    assert 'the sentence says "Multiple randomized controlled trials"' in one.explanation
    link(library, reviewer, claim, "schwartzman2009")
    assert row(library, claim).status == "supported"
    link(library, reviewer, claim, "pickering2020", Stance.CONTRADICTS)
    contested = row(library, claim)
    assert contested.status == "contested"
    assert contested.certainty == "not-assessed"
    assert contested.explanation.startswith(
        "contested — not yet appraised: 2 RCTs support, 1 RCT contradicts")
    assert "inconsistency" in contested.explanation


def test_reviews_confirm_needs_a_systematic_review(library: Engine,
                                                   make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, REVIEWS_CONFIRM)
    link(library, reviewer, claim, "sigtermans2009", imprecision="serious")
    assert row(library, claim).status == "insufficient"
    link(library, reviewer, claim, "guimaraespereira2022", imprecision="serious")
    supported = row(library, claim)
    assert supported.status == "supported"
    assert supported.certainty == "not-assessed"  # never high (or moderate) unappraised


def test_unverified_evidence_is_listed_not_counted(library: Engine,
                                                   make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, "Ketamine infusions have shown efficacy")
    link(library, reviewer, claim, "mangnus2022crps")
    result = row(library, claim)
    assert result.status == "insufficient"
    assert "1 unverified not counted (to check: mangnus2022crps)" in result.explanation


def test_retraction_regrades_the_claims_citing_it(library: Engine,
                                                  make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    editor = make_actor(library, Role.EDITOR)
    claim = claim_id(library, "Opioid-Sparing Effects")
    link(library, reviewer, claim, "laskowski2011")
    assert row(library, claim).status == "supported"
    with db.writing(library) as session:
        citations.set_retracted(session, editor, cid(library, "laskowski2011"), True,
                                "hypothetical notice for the test")
    assert row(library, claim).status == "insufficient"


def test_split_sentence_takes_the_weakest_part(library: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(library, Role.EDITOR)
    claim = claim_id(library, "cancer-related pain, refractory migraines")
    with db.writing(library) as session:
        parts = evidence.split_claim(session, editor, claim,
                                     ["cancer-related pain", "post-surgical pain"], "two drugs")
    link(library, editor, parts[1], "laskowski2011")
    whole = row(library, claim)
    assert whole.status == "not-reviewed"
    assert whole.certainty is None  # a part without certainty: the sentence has none
    assert "parts — cancer-related pain not-reviewed; post-surgical pain supported" in \
        whole.explanation
    with db.writing(library) as session, pytest.raises(InvalidInput, match="not in the sentence"):
        evidence.split_claim(session, editor, claim, ["cancer", "dentistry"], "typo")


def test_override_requirement_with_a_reason(library: Engine, make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    editor = make_actor(library, Role.EDITOR)
    claim = claim_id(library, "Intravenous (IV) ketamine infusion is the most common method")
    link(library, reviewer, claim, "cohen2018chronic")
    assert row(library, claim).status == "supported"
    assert row(library, claim).standing == "established"  # a descriptive claim
    with db.writing(library) as session, pytest.raises(InvalidInput, match="reason"):
        evidence.override_requirement(session, editor, claim, 1, ["rct"], "  ")
    from tracker.vocabulary import StudyDesign
    with db.writing(library) as session:
        evidence.override_requirement(session, editor, claim, 1, [StudyDesign.COHORT],
                                      "route frequencies need utilisation data")
    overridden = row(library, claim)
    assert overridden.status == "insufficient"
    assert "editor override: route frequencies need utilisation data" in overridden.explanation


def test_sign_off_goes_stale_when_the_status_moves(library: Engine,
                                                   make_actor: MakeActor) -> None:
    editor = make_actor(library, Role.EDITOR)
    claim = claim_id(library, "Opioid-Sparing Effects")
    with db.writing(library) as session:
        assert evidence.sign_off(session, editor, claim) == "not-reviewed"
    with db.reading(library) as session:
        assert queries.coverage(session).signed_off == 1
    link(library, editor, claim, "wang2016")
    with db.reading(library) as session:
        assert queries.coverage(session).signed_off == 0
        detail = queries.claim_detail(session, claim)
        assert detail.signed_off_status == "not-reviewed" and detail.claim.status == "supported"


# --- flags and the queue --------------------------------------------------------------------------


def test_linking_evidence_never_closes_a_flag(library: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(library, Role.EDITOR)
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, "Opioid-Sparing Effects")
    with db.reading(library) as session:
        assert claim in [c.id for c in queries.queue(session)]
    with db.writing(library) as session:
        raised = flags.raise_flag(session, editor, claim, FlagKind.UNSUPPORTED, "no citation")
    with db.reading(library) as session:
        assert claim not in [c.id for c in queries.queue(session)]
    link(library, reviewer, claim, "wang2016")
    with db.reading(library) as session:
        [flag] = queries.flags(session, queries.FlagFilter(claim_id=claim))
        assert flag.state == "open" and flag.new_evidence == 1
    with db.writing(library) as session:
        flags.close_flag(session, editor, raised.id, FlagState.RESOLVED, "two meta-analyses")
    with db.reading(library) as session:
        [flag] = queries.flags(session, queries.FlagFilter(claim_id=claim))
        assert (flag.state, flag.closed_by, flag.resolution) == (
            "resolved", editor.username, "two meta-analyses")
    with db.writing(library) as session, pytest.raises(Conflict, match="already resolved"):
        flags.close_flag(session, editor, raised.id, FlagState.DISMISSED, "again")


def test_bulk_flags_in_one_transaction(library: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(library, Role.EDITOR)
    with db.reading(library) as session:
        proposed = [c.id for c in queries.queue(session)][:5]
    with db.writing(library) as session:
        raised = flags.raise_flags(session, editor, proposed, FlagKind.UNSUPPORTED, "no source")
    assert len(raised) == 5
    with db.writing(library) as session, pytest.raises(Conflict, match="already has an open"):
        flags.raise_flags(session, editor, proposed[:1] + [claim_id(library, "Opioid-Sparing")],
                          FlagKind.UNSUPPORTED, "again")
    with db.reading(library) as session:  # the failed bulk flag wrote nothing
        assert len(queries.flags(session, queries.FlagFilter(state="open"))) == 5


def test_open_questions(library: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(library, Role.EDITOR)
    doc_claim = claim_id(library, "Current investigations focus on optimizing dosing regimens")
    with db.writing(library) as session:
        document = queries.resolve_document(session, SEED)
        q = questions.add_question(session, editor, document.id, "dosing", "Which dose?",
                                   priority=Priority.HIGH, claim_ids=[doc_claim])
        assert questions.address_question(session, editor, q.id, cid(library, "cohen2018chronic"),
                                          "wide variation in dosing")
        assert not questions.address_question(session, editor, q.id,
                                              cid(library, "cohen2018chronic"))
        questions.update_question(session, editor, q.id, status=QuestionStatus.EMERGING)
        [listed] = queries.questions(session, document.id)
        assert (listed.status, listed.claims, listed.evidence[0][0]) == (
            "emerging-evidence", [doc_claim], "cohen2018chronic")
        assert queries.questions_by_status(session, document.id)["emerging-evidence"] == 1


# --- who may do what, and the audit trail -----------------------------------------------------


def _writes(engine: Engine) -> dict[str, tuple[Role, Callable[[Session, Actor], Any]]]:
    """Every write use case: the least role that may run it, and a call that runs it."""
    claim = claim_id(engine, "Opioid-Sparing Effects")
    other = claim_id(engine, "Ketamine blocks NMDA receptors")
    citation = cid(engine, "wang2016")
    with db.writing(engine) as session:
        admin = system_actor(session)
        link_info = evidence.link_evidence(session, admin, other, citation, Stance.SUPPORTS)
        flag_info = flags.raise_flag(session, admin, other, FlagKind.OTHER, "check")
        document = queries.resolve_document(session, SEED)
        question = questions.add_question(session, admin, document.id, "q1", "Question?")
    bib = "@article{new1, title={A new trial of ketamine}, year={2020}, author={Doe, J.}}"
    source = articles.read_article(ARTICLE)
    return {
        "evidence.link": (Role.REVIEWER, lambda s, a: evidence.link_evidence(
            s, a, claim, citation, Stance.SUPPORTS)),
        "evidence.judge": (Role.REVIEWER, lambda s, a: evidence.update_link(
            s, a, link_info.id, judgements=evidence.parse_judgements({"imprecision": "serious"}))),
        "evidence.unlink": (Role.REVIEWER, lambda s, a: evidence.unlink(s, a, link_info.id)),
        "citations.import": (Role.REVIEWER, lambda s, a: citations.import_bibtex(
            s, a, [("t.bib", bib)])),
        "citation.design": (Role.REVIEWER, lambda s, a: citations.set_design(
            s, a, citation, citations.StudyDesign.RCT)),
        "citation.verify": (Role.REVIEWER, lambda s, a: citations.set_verification(
            s, a, citation, True, "PubMed")),
        "question.evidence": (Role.REVIEWER, lambda s, a: questions.address_question(
            s, a, question.id, citation, "note")),
        "flag.raise": (Role.EDITOR, lambda s, a: flags.raise_flag(
            s, a, claim, FlagKind.OVERSTATED, "too strong")),
        "flag.resolve": (Role.EDITOR, lambda s, a: flags.close_flag(
            s, a, flag_info.id, FlagState.RESOLVED, "fixed")),
        "claim.override": (Role.EDITOR, lambda s, a: evidence.override_requirement(
            s, a, claim, 2, [citations.StudyDesign.RCT], "needs trials")),
        "claim.sign-off": (Role.EDITOR, lambda s, a: evidence.sign_off(s, a, claim)),
        "claim.split": (Role.EDITOR, lambda s, a: evidence.split_claim(
            s, a, claim, ["Ketamine can reduce the need for opioid medications",
                          "lowering the risk of addiction"], "two claims")),
        "citation.retract": (Role.EDITOR, lambda s, a: citations.set_retracted(
            s, a, citation, True, "notice")),
        "question.add": (Role.EDITOR, lambda s, a: questions.add_question(
            s, a, document.id, "q2", "Another?")),
        "question.update": (Role.EDITOR, lambda s, a: questions.update_question(
            s, a, question.id, priority=Priority.HIGH)),
        "document.revise": (Role.EDITOR, lambda s, a: articles.ingest(
            s, a, articles.ArticleSource(source.text.replace("within minutes", "in minutes"),
                                         "edited.txt", "text"))),
        "user.add": (Role.ADMIN, lambda s, a: users.add_user(
            s, a, "newcomer", Role.VIEWER, "long-password")),
    }


def test_every_write_refuses_the_wrong_role_and_is_audited(
        library: Engine, make_actor: MakeActor) -> None:
    writes = _writes(library)
    ranks = list(Role)
    for action, (needed, call) in writes.items():
        below = ranks[ranks.index(needed) - 1]
        weak = make_actor(library, below)
        with db.writing(library) as session, pytest.raises(PermissionDenied):
            call(session, weak)
        able = make_actor(library, needed)
        with db.writing(library) as session:
            call(session, able)
        with db.reading(library) as session:
            event = session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id.desc())).first()
            assert event is not None, f"{action} left no audit record"
            assert event.actor_name == able.username, action
            assert event.before is not None or event.after is not None, action


def test_the_audit_trail_is_the_claim_history(library: Engine, make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, "Opioid-Sparing Effects")
    info = link(library, reviewer, claim, "wang2016")
    with db.writing(library) as session:
        evidence.update_link(session, reviewer, info.id,
                             judgements=evidence.parse_judgements({"imprecision": "serious"}))
    with db.reading(library) as session:
        history = queries.history(session, claim_id=claim)
    assert [h.action for h in history][:2] == ["evidence.judge", "evidence.link"]
    assert history[0].before == {"imprecision": None}  # not judged before
    assert history[0].after == {"imprecision": "serious"}


# --- optimistic locking and concurrent writers --------------------------------------------------


def test_stale_version_is_a_conflict(library: Engine, make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    info = link(library, reviewer, claim_id(library, "Opioid-Sparing Effects"), "wang2016")
    with db.writing(library) as session:
        evidence.update_link(session, reviewer, info.id, expected_version=info.version,
                             note="first")
    with db.writing(library) as session, pytest.raises(Conflict, match="changed by someone else"):
        evidence.update_link(session, reviewer, info.id, expected_version=info.version,
                             note="second, from a stale form")
    with db.reading(library) as session:
        assert session.get(EvidenceLink, info.id).note == "first"  # type: ignore[union-attr]


def test_two_concurrent_sessions_second_writer_gets_a_conflict(
        library: Engine, make_actor: MakeActor) -> None:
    """Two sessions read the same link; both change it at the same time. On PostgreSQL the
    second UPDATE waits for the first transaction's row lock and then finds the version moved;
    on SQLite the second writer waits for the write lock. Either way: a Conflict, nothing lost."""
    reviewer = make_actor(library, Role.REVIEWER)
    info = link(library, reviewer, claim_id(library, "Opioid-Sparing Effects"), "wang2016")
    first_updated = threading.Event()
    outcome: dict[str, Any] = {}

    def first() -> None:
        with db.writing(library) as session:
            link_row = session.get(EvidenceLink, info.id)
            assert link_row is not None
            link_row.note = "first writer"
            session.flush()
            first_updated.set()
            threading.Event().wait(0.3)  # hold the transaction open while the second one tries

    def second(read_version: int) -> None:
        first_updated.wait(5)
        try:
            with db.writing(library) as session:
                evidence.update_link(session, reviewer, info.id, expected_version=read_version,
                                     note="second writer")
        except Conflict as exc:
            outcome["error"] = exc

    threads = [threading.Thread(target=first),
               threading.Thread(target=second, args=(info.version,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert isinstance(outcome.get("error"), Conflict)
    with db.reading(library) as session:
        assert session.get(EvidenceLink, info.id).note == "first writer"  # type: ignore[union-attr]


def test_concurrent_writers_to_different_rows_both_succeed(
        library: Engine, make_actor: MakeActor) -> None:
    """On SQLite, two writers at once wait for each other (busy timeout) instead of failing."""
    reviewer = make_actor(library, Role.REVIEWER)
    claims = [claim_id(library, "Opioid-Sparing Effects"),
              claim_id(library, "Rapid Onset of Pain Relief")]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def write(claim: int, key: str) -> None:
        try:
            barrier.wait(5)
            link(library, reviewer, claim, key)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(claims[0], "wang2016")),
               threading.Thread(target=write, args=(claims[1], "carr2004"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert row(library, claims[0]).status == row(library, claims[1]).status == "supported"


# --- loading a review file --------------------------------------------------------------------


@pytest.fixture
def review_file(tmp_path: Any) -> Iterator[Any]:
    yield tmp_path / "review.toml"


def test_review_load_reports_every_problem_and_writes_nothing(
        library: Engine, make_actor: MakeActor, review_file: Any) -> None:
    editor = make_actor(library, Role.EDITOR)
    review_file.write_text(
        'format_version = 1\ndocument = "ketamine-therapy-for-pain-management"\n'
        '[[link]]\nclaim = "Opioid-Sparing Effects"\ncitation = "wang2016"\nstance = "supports"\n'
        '[[link]]\nclaim = "no such words anywhere"\ncitation = "wang2016"\nstance = "supports"\n'
        '[[link]]\nclaim = "Ketamine"\ncitation = "wang2016"\nstance = "supports"\n'
        '[[link]]\nclaim = "Opioid-Sparing Effects"\ncitation = "nobody2099"\n'
        'stance = "supports"\n'
        '[[link]]\nclaim = "Rapid Onset"\ncitation = "carr2004"\nstance = "agrees"\n'
        '[[link]]\nclaim = "Rapid Onset"\ncitation = "mangnus2022crps"\nstance = "supports"\n',
        encoding="utf-8")
    with db.writing(library) as session, pytest.raises(review.ReviewFileError) as caught:
        review.load_review(session, editor, review_file)
    problems = caught.value.problems
    assert len(problems) == 5
    assert "[[link]] #2" in problems[0] and "no claim contains" in problems[0]
    assert "[[link]] #3" in problems[1] and "matches" in problems[1]
    assert "not in the library" in problems[2]
    assert "stance 'agrees'" in problems[3]
    assert "unverified" in problems[4]
    with db.reading(library) as session:
        assert session.scalar(select(EvidenceLink.id)) is None


def test_review_load_is_idempotent(library: Engine, make_actor: MakeActor,
                                   review_file: Any) -> None:
    editor = make_actor(library, Role.EDITOR)
    review_file.write_text(
        'format_version = 1\ndocument = "ketamine-therapy-for-pain-management"\n'
        '[[link]]\nclaim = "Opioid-Sparing Effects"\ncitation = "wang2016"\nstance = "supports"\n'
        'rationale = "morphine-sparing in PCA trials"\n'
        '[link.judgements]\nimprecision = "serious"\n'
        '[[flag]]\nclaim = "generally considered safe"\nkind = "overstated"\nreason = "case '
        'series of liver injury"\n', encoding="utf-8")
    with db.writing(library) as session:
        first = review.load_review(session, editor, review_file)
    assert (first.links_added, first.flags_raised) == (1, 1)
    with db.reading(library) as session:
        before = revision_of(session)
    with db.writing(library) as session:
        again = review.load_review(session, editor, review_file)
    assert (again.links_added, again.links_unchanged, again.flags_present) == (0, 1, 1)
    with db.reading(library) as session:
        assert revision_of(session) == before
        imprecise = session.scalar(select(EvidenceLink.imprecision))
        assert imprecise == "serious"


def test_claims_of_a_citation(library: Engine, make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, "Opioid-Sparing Effects")
    link(library, reviewer, claim, "wang2016")
    with db.reading(library) as session:
        detail = queries.citation_detail(session, "wang2016")
        assert [c[0] for c in detail.claims] == [claim]
        assert detail.row.links == 1 and detail.row.verified
        assert session.scalar(select(Claim.status).where(Claim.id == claim)) == "supported"
        assert session.scalar(select(Citation.design).where(Citation.key == "wang2016")) \
            == "meta-analysis"
