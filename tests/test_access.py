"""Access control on the service layer, on SQLite and PostgreSQL: the table of use cases × roles
(`tracker.services.access.USE_CASES`) against what every write service really does, the
sign-in rate limit, the session-expiry rule, and a scan of the tracked files for secrets."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import json
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import tracker.services
from tests.conftest import ARTICLE, ROOT, cli_env
from tests.helpers import snapshot
from tracker import db, queries, retractions
from tracker.cli import app
from tracker.errors import Conflict, NotFound, PermissionDenied
from tracker.models import ApiToken, AuditEvent, Claim, SignInAttempt
from tracker.services import (
    access,
    appraisals,
    articles,
    citations,
    dual,
    evidence,
    flags,
    questions,
    review,
    scorecard,
    tags,
    users,
    wording,
)
from tracker.services import retractions as retractions_service
from tracker.services.access import USE_CASES, Actor, system_actor
from tracker.vocabulary import (
    AppraisalTool,
    BodyDomain,
    ClaimTrack,
    FlagKind,
    FlagState,
    PicoFacet,
    Priority,
    Role,
    Stance,
    StudyDesign,
    TagState,
    WordingDecisionKind,
)

MakeActor = Callable[[Engine, Role], Actor]
Call = Callable[[Session, Actor], Any]
PASSWORD = "password-1"  # conftest's make_actor password (a test password, see the scan below)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BIB = """
@article{accesstest1, title = {An access test trial of ketamine}, author = {Doe, Jane},
  year = {2020}, journal = {Journal of Tests}, doi = {10.1000/access.1}}
@article{accesstest2, title = {A second access test trial of ketamine}, author = {Roe, Rick},
  year = {2021}, journal = {Journal of Tests}, doi = {10.1000/access.2}}
"""
DUAL_BIB = """
@article{accesstest4, title = {A dual review access test trial}, author = {Low, Lou},
  year = {2023}, journal = {Journal of Tests}, studydesign = {rct}}
@article{accesstest5, title = {A proposed access test trial}, author = {High, Hal},
  year = {2024}, journal = {Journal of Tests}, studydesign = {rct}}
"""
DUAL_ARTICLE = ("# Dual access test\n\nKetamine lowers pain scores after surgery.\n\n"
                "Ketamine reduces opioid use after surgery.\n")
NEW_BIB = ("@article{accesstest3, title = {A third access test trial}, author = {Poe, Pat}, "
           "year = {2022}, journal = {Journal of Tests}}")
#: A correction notice about accesstest1, in the Retraction Watch CSV layout.
CORRECTION_CSV = ("Record ID,RetractionNature,RetractionDate,RetractionDOI,RetractionPubMedID,"
                  "OriginalPaperDOI,OriginalPaperPubMedID,Reason\n"
                  "1,Correction,1/2/2024 0:00,10.1000/access.1.corr,0,10.1000/access.1,0,"
                  "+Error in Table;\n")
COPY = "access-copy"  # a second copy of the shipped article: fresh claims, nothing linked
SPLIT_PARTS = ["Ketamine can reduce the need for opioid medications",
               "lowering the risk of addiction"]
#: Modules of tracker.services whose functions take an actor without being use cases: the
#: access machinery itself (record, authorize, may, ...).
PLUMBING = {"access"}


# --- the table itself ------------------------------------------------------------------------


def _write_services() -> set[str]:
    """Every public function of a tracker.services module (or package: what it exports from
    its own modules) with an `actor` parameter."""
    found: set[str] = set()
    for info in pkgutil.iter_modules(tracker.services.__path__):
        if info.name in PLUMBING:
            continue
        module = importlib.import_module(f"tracker.services.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            own = fn.__module__ == module.__name__ or (
                hasattr(module, "__path__") and fn.__module__.startswith(module.__name__ + "."))
            if (own and not name.startswith("_")
                    and "actor" in inspect.signature(fn).parameters):
                found.add(f"{info.name}.{name}")
    return found


def test_every_write_service_is_in_the_table() -> None:
    """A new service function that takes an actor fails here until the table names it."""
    in_table = {s for use in USE_CASES.values() for s in use.services}
    assert _write_services() - in_table == set(), "write services missing from USE_CASES"
    assert in_table - _write_services() == set(), "USE_CASES names services that do not exist"


def test_the_table_is_well_formed() -> None:
    assert all(name == use.name for name, use in USE_CASES.items())
    for use in USE_CASES.values():
        assert use.services and use.records and use.doing, use.name
        assert isinstance(use.role, Role)


def test_the_documented_table_is_the_generated_one() -> None:
    """docs/access-control.md (and SECURITY.md, once it carries the table) shows exactly what
    `access.table_markdown()` generates from USE_CASES; regenerate it after changing the table."""
    table = access.table_markdown()
    assert table.count("\n") == len(USE_CASES) + 2
    for doc in ("docs/access-control.md", "SECURITY.md"):
        path = ROOT / doc
        if doc == "SECURITY.md" and (not path.exists()
                                     or "| Use case |" not in path.read_text("utf-8")):
            continue  # the lead adds the table to SECURITY.md; from then on it is pinned too
        assert table in path.read_text(encoding="utf-8"), (
            f"{doc} does not hold the generated table; paste in:\n{table}")


def test_may_follows_the_table() -> None:
    for use in USE_CASES.values():
        assert not access.may(None, use.name)
        for role in Role:
            actor = Actor(id=1, username="someone", role=role)
            assert access.may(actor, use.name) is role.includes(use.role), (use.name, role)


# --- every use case × every role, through the services ---------------------------------------


@dataclass(frozen=True)
class Case:
    call: Call
    audit: tuple[str, ...]  # the audit actions one allowed call writes, in order


def _claim(session: Session, document_id: int, fragment: str) -> Claim:
    [found] = session.scalars(select(Claim).where(
        Claim.document_id == document_id, Claim.parent_id.is_(None),
        Claim.text.contains(fragment))).all()
    return found


def _cases(engine: Engine, tmp_path: Path) -> dict[str, Case]:
    """One call per use case, on targets that an allowed call can change exactly once; the
    test rolls each allowed call back, so every role runs against the same state."""
    source = articles.read_article(ARTICLE)
    with db.writing(engine) as session:
        system = system_actor(session)
        copy = articles.ingest(session, system, articles.ArticleSource(
            source.text, "copy.txt", "text"), slug=COPY).document_id
        citations.import_bibtex(session, system, [("access.bib", BIB)], strict=True)
        first = citations.citation_by_key(session, "accesstest1").id
        second = citations.citation_by_key(session, "accesstest2").id
        plain_claim = _claim(session, copy, "Ketamine blocks NMDA receptors").id
        flagged = _claim(session, copy, "critical for acute pain crises").id
        overridden = _claim(session, copy, "By inhibiting these receptors").id
        split = _claim(session, copy, "Opioid-Sparing Effects").id
        link = evidence.link_evidence(session, system, flagged, second, Stance.SUPPORTS)
        flag = flags.raise_flag(session, system, flagged, FlagKind.OTHER, "check it")
        evidence.override_requirement(session, system, overridden, 1, [StudyDesign.RCT], "why")
        question = questions.add_question(session, system, copy, "access-q", "Question?")
        users.add_user(session, system, "target", Role.VIEWER, PASSWORD)
        users.add_user(session, system, "dormant", Role.VIEWER, PASSWORD)
        users.set_active(session, system, "dormant", False)
        users.authenticate(session, "locked-name", "wrong password")
        users.issue_token(session, system, "target")
        citations.set_design(session, system, second, StudyDesign.RCT)
        # An over-statement of the shipped article without an open overstated flag: accepting
        # it raises one.
        shipped = queries.resolve_document(session, "ketamine-therapy-for-pain-management").id
        overstated = next(r.claim_id for r in queries.wording_check(session, shipped)
                          if r.proposal == "open" and r.open_flag_id is None)
        scorecard.rate_criterion(session, system, copy, "hnr", "availability",
                                 "not-applicable", "access test")
        stale = _claim(session, copy, "Ketamine blocks NMDA receptors")
        stale.rules_version = 0
        # A small document under dual review, with an item two reviewers differ on.
        dual_doc = articles.ingest(session, system, articles.ArticleSource(
            DUAL_ARTICLE, "dual.md", "markdown"), slug="dual-access").document_id
        citations.import_bibtex(session, system, [("dual.bib", DUAL_BIB)], strict=True)
        trial = citations.citation_by_key(session, "accesstest4").id
        proposed = citations.citation_by_key(session, "accesstest5").id
        pain = _claim(session, dual_doc, "lowers pain scores").id
        opioid = _claim(session, dual_doc, "reduces opioid use").id
        for claim_id in (pain, opioid):
            evidence.link_evidence(session, system, claim_id, trial, Stance.SUPPORTS)
        dual.require_dual_review(session, system, dual_doc, True, "access test")
        pair = [users.add_user(session, system, name, Role.REVIEWER, PASSWORD)
                for name in ("dual-first", "dual-second")]
        for info, stance in zip(pair, (Stance.CONTRADICTS, Stance.MIXED), strict=True):
            waiting = dual.enter_stance(session, Actor(info.id, info.username, Role.REVIEWER),
                                        pain, trial, stance, "access test").item_id
    rob2 = {d: ("low", "abstract: test") for d in ("D1", "D2", "D3", "D4", "D5")}
    review_file = tmp_path / "review.toml"
    review_file.write_text(f'format_version = 1\ndocument = "{COPY}"\n[[question_evidence]]\n'
                           'question = "access-q"\ncitation = "accesstest1"\nnote = "n"\n',
                           encoding="utf-8")
    questions_file = tmp_path / "questions.toml"
    questions_file.write_text(f'format_version = 1\ndocument = "{COPY}"\n[[question]]\n'
                              'slug = "loaded-q"\ntitle = "Loaded?"\n', encoding="utf-8")
    small = articles.ArticleSource(
        "# Access test\n\nKetamine is an anaesthetic agent used in operating theatres.\n",
        "small.md", "markdown")

    def one(call: Call, *audit: str) -> Case:
        return Case(call, audit)

    return {
        "citations.import": one(lambda s, a: citations.import_bibtex(
            s, a, [("new.bib", NEW_BIB)]), "citations.import"),
        "citation.design": one(lambda s, a: citations.set_design(
            s, a, first, StudyDesign.RCT), "citation.design"),
        "citation.verify": one(lambda s, a: citations.set_verification(
            s, a, first, True, "PubMed"), "citation.verify"),
        "evidence.link": one(lambda s, a: evidence.link_evidence(
            s, a, plain_claim, first, Stance.SUPPORTS), "evidence.link"),
        "evidence.edit": one(lambda s, a: evidence.update_link(
            s, a, link.id, judgements=evidence.parse_judgements({"imprecision": "serious"})),
            "evidence.judge"),
        "evidence.unlink": one(lambda s, a: evidence.unlink(s, a, link.id), "evidence.unlink"),
        "citation.appraise": one(lambda s, a: appraisals.appraise(
            s, a, second, AppraisalTool.ROB2, rob2), "citation.appraise"),
        "claim.body-judgement": one(lambda s, a: appraisals.judge_body(
            s, a, plain_claim, BodyDomain.PUBLICATION_BIAS, "serious", "funnel plot"),
            "claim.body-judgement"),
        "claim.search": one(lambda s, a: appraisals.record_search(
            s, a, plain_claim, "library; PubMed"), "claim.search"),
        "claim.track": one(lambda s, a: appraisals.set_track(
            s, a, plain_claim, ClaimTrack.EFFECT, "a reviewer's choice"), "claim.track"),
        "grading.regrade": one(lambda s, a: appraisals.regrade_stale(s, a), "grading.regrade"),
        "tags.decide": one(lambda s, a: tags.decide_claim_tag(
            s, a, plain_claim, PicoFacet.CONDITION, "CRPS", TagState.CONFIRMED), "tag.decide"),
        "question.evidence": one(lambda s, a: questions.address_question(
            s, a, question.id, first, "note"), "question.evidence"),
        "review.load": one(lambda s, a: review.load_review(s, a, review_file),
                           "question.evidence"),
        "flag.raise": one(lambda s, a: flags.raise_flag(
            s, a, plain_claim, FlagKind.OVERSTATED, "too strong"), "flag.raise"),
        "flag.resolve": one(lambda s, a: flags.close_flag(
            s, a, flag.id, FlagState.RESOLVED, "fixed"), "flag.resolve"),
        "flag.dismiss": one(lambda s, a: flags.close_flag(
            s, a, flag.id, FlagState.DISMISSED, "not a problem"), "flag.dismiss"),
        "wording.accept": one(lambda s, a: wording.decide_wording(
            s, a, overstated, WordingDecisionKind.ACCEPTED), "flag.raise", "wording.accept"),
        "wording.dismiss": one(lambda s, a: wording.decide_wording(
            s, a, overstated, WordingDecisionKind.DISMISSED, "quoted"), "wording.dismiss"),
        "claim.override": one(lambda s, a: evidence.override_requirement(
            s, a, plain_claim, 2, [StudyDesign.RCT], "needs trials"), "claim.override"),
        "claim.override-clear": one(lambda s, a: evidence.clear_override(s, a, overridden),
                                    "claim.override-clear"),
        "claim.split": one(lambda s, a: evidence.split_claim(
            s, a, split, SPLIT_PARTS, "two claims"), "claim.split"),
        "claim.sign-off": one(lambda s, a: evidence.sign_off(s, a, plain_claim),
                              "claim.sign-off"),
        "scorecard.rate": one(lambda s, a: scorecard.rate_criterion(
            s, a, copy, "hnr", "costs", "not-satisfactory", "names no cost"), "scorecard.rate"),
        "scorecard.clear": one(lambda s, a: scorecard.clear_rating(
            s, a, copy, "hnr", "availability", "access test"), "scorecard.clear"),
        "citation.retract": one(lambda s, a: citations.set_retracted(
            s, a, first, True, "notice"), "citation.retract"),
        "citations.check-retractions": one(lambda s, a: retractions_service.check_retractions(
            s, a, retractions.parse_notices(CORRECTION_CSV, "notices.csv")),
            "citations.check-retractions"),
        "document.resources": one(lambda s, a: citations.register_resources(s, a, copy),
                                  "document.resources"),
        "document.ingest": one(lambda s, a: articles.ingest(s, a, small), "document.ingest"),
        "question.add": one(lambda s, a: questions.add_question(
            s, a, copy, "q-new", "Another?"), "question.add"),
        "question.update": one(lambda s, a: questions.update_question(
            s, a, question.id, priority=Priority.HIGH), "question.update"),
        "questions.load": one(lambda s, a: review.load_questions(s, a, questions_file),
                              "question.add"),
        "document.dual-review": one(lambda s, a: dual.require_dual_review(
            s, a, copy, True, "two reviewers"), "document.dual-review"),
        "dual.assign": one(lambda s, a: dual.assign(
            s, a, dual_doc, ["dual-first", "dual-second"], claim_ids=[opioid]), "dual.assign"),
        "dual.propose": one(lambda s, a: dual.propose_study(
            s, a, pain, proposed, "another trial"), "dual.propose"),
        "dual.enter": one(lambda s, a: dual.enter_stance(
            s, a, opioid, trial, Stance.SUPPORTS, "Table 1"), "dual.entry"),
        "dual.adjudicate": one(lambda s, a: dual.adjudicate(
            s, a, waiting, "first", "the trial's primary outcome"),
            "dual.adjudicate", "evidence.edit"),
        "user.passwd": one(lambda s, a: users.set_password(
            s, a, a.username, "a-new-password-1"), "user.passwd"),
        "user.passwd-other": one(lambda s, a: users.set_password(
            s, a, "target", "a-new-password-1"), "user.passwd"),
        "user.add": one(lambda s, a: users.add_user(
            s, a, "newcomer", Role.VIEWER, "long-password"), "user.add"),
        "user.set-role": one(lambda s, a: users.set_role(s, a, "target", Role.EDITOR),
                             "user.set-role"),
        "user.deactivate": one(lambda s, a: users.set_active(s, a, "target", False),
                               "user.deactivate"),
        "user.activate": one(lambda s, a: users.set_active(s, a, "dormant", True),
                             "user.activate"),
        "user.unlock": one(lambda s, a: users.unlock(s, a, "locked-name"), "user.unlock"),
        "user.token": one(lambda s, a: users.issue_token(s, a, "target"), "user.token"),
        "user.token-revoke": one(lambda s, a: users.revoke_tokens(s, a, "target"),
                                 "user.token-revoke"),
    }


class _Undo(Exception):
    """Raised to roll an allowed call back, so the next role finds the same state."""


def _refused(engine: Engine, actor: Actor, use: access.UseCase, case: Case) -> list[str]:
    """Below the least role: PermissionDenied with the table's words, and nothing written
    even though the caller goes on to commit."""
    before = snapshot(engine)
    refused: str | None = None
    pending = False
    with contextlib.suppress(_Undo), db.writing(engine) as session:
        try:
            case.call(session, actor)
        except PermissionDenied as exc:
            refused, pending = str(exc), bool(session.new or session.dirty or session.deleted)
        else:
            raise _Undo  # allowed although the table says no: undone, and reported below
    if refused is None:
        return [f"{use.name} as {actor.role}: allowed although the table needs {use.role}"]
    expected = (f"{actor.username} is {access.with_article(actor.role.value)}; {use.doing} "
                f"needs the {use.role.value} role")
    problems = [] if refused == expected else [
        f"{use.name} as {actor.role}: {refused} (expected {expected!r})"]
    if pending:
        problems.append(f"{use.name} as {actor.role}: refused after changing the session")
    if snapshot(engine) != before:
        problems.append(f"{use.name} as {actor.role}: a refused call changed the database")
    return problems


def _allowed(engine: Engine, actor: Actor, use: access.UseCase, case: Case) -> list[str]:
    """At or above the least role: the call runs and writes exactly its audit records, each
    naming the actor and carrying before/after values; then it is rolled back."""
    problems: list[str] = []
    with contextlib.suppress(_Undo), db.writing(engine) as session:
        newest = session.scalar(select(func.max(AuditEvent.id))) or 0
        try:
            case.call(session, actor)
        except PermissionDenied as exc:
            return [f"{use.name} as {actor.role}: refused although the table allows it ({exc})"]
        session.flush()
        events = session.scalars(select(AuditEvent).where(AuditEvent.id > newest)
                                 .order_by(AuditEvent.id)).all()
        if tuple(e.action for e in events) != case.audit:
            problems.append(f"{use.name} as {actor.role}: audit "
                            f"{[e.action for e in events]}, expected {list(case.audit)}")
        for event in events:
            if event.action not in use.records:
                problems.append(f"{use.name}: records {event.action}, not in the table")
            if (event.actor_id, event.actor_name) != (actor.id, actor.username):
                problems.append(f"{use.name}: audit names {event.actor_name}")
            if event.before is None and event.after is None:
                problems.append(f"{use.name}: {event.action} has no before/after values")
        raise _Undo
    return problems


def test_every_use_case_is_refused_below_its_role_and_audited_at_or_above(
        shipped_engine: Engine, make_actor: MakeActor, tmp_path: Path) -> None:
    actors = {role: make_actor(shipped_engine, role) for role in Role}
    cases = _cases(shipped_engine, tmp_path)
    assert set(cases) == set(USE_CASES), "each use case of the table needs a case here"
    problems: list[str] = []
    for name, use in USE_CASES.items():
        for role, actor in actors.items():
            check = _allowed if role.includes(use.role) else _refused
            problems += check(shipped_engine, actor, use, cases[name])
    assert not problems, "\n".join(problems)


def test_the_first_admin_needs_no_actor_and_later_users_do(engine: Engine) -> None:
    with db.writing(engine) as session:
        users.add_user(session, None, "ada", Role.ADMIN, PASSWORD)
    with db.writing(engine) as session, pytest.raises(PermissionDenied, match="acting admin"):
        users.add_user(session, None, "eve", Role.ADMIN, PASSWORD)


# --- sign-in rate limit ----------------------------------------------------------------------


def attempt(engine: Engine, username: str, password: str, now: datetime) -> users.SignIn:
    """One sign-in attempt in its own transaction, as the dashboard makes it."""
    with db.writing(engine) as session:
        return users.authenticate(session, username, password, now=now)


def failures(engine: Engine, username: str) -> int:
    with db.reading(engine) as session:
        return session.scalar(select(func.count()).select_from(SignInAttempt).where(
            SignInAttempt.username == username)) or 0


@pytest.fixture
def member(engine: Engine, make_actor: MakeActor) -> Actor:
    return make_actor(engine, Role.REVIEWER)


def test_five_failures_lock_the_name_until_the_window_passes(
        engine: Engine, member: Actor) -> None:
    for n in range(users.SIGN_IN_MAX_FAILURES - 1):
        outcome = attempt(engine, member.username, "wrong password", T0 + timedelta(seconds=n))
        assert outcome.actor is None and outcome.refusal == users.REFUSED
    last = attempt(engine, member.username, "wrong password", T0 + timedelta(seconds=4))
    assert last.refusal == (f"unknown user or wrong password; too many failed sign-ins for "
                            f"{member.username}; try again in 15 minutes")
    locked = attempt(engine, member.username, PASSWORD, T0 + timedelta(minutes=3))
    assert locked.actor is None
    assert locked.refusal == (f"too many failed sign-ins for {member.username}; "
                              "try again in 12 minutes")
    with pytest.raises(PermissionDenied, match="too many failed sign-ins"):
        locked.accepted()
    assert failures(engine, member.username) == 5, "refusals while locked are not counted"
    later = attempt(engine, member.username, PASSWORD, T0 + timedelta(minutes=15, seconds=1))
    assert later.accepted() == member
    assert failures(engine, member.username) == 0, "a success clears the count"


def test_a_locked_name_is_refused_without_checking_the_password(
        engine: Engine, member: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(users.SIGN_IN_MAX_FAILURES):
        attempt(engine, member.username, "wrong password", T0 + timedelta(seconds=n))
    calls: list[str] = []
    real = users._hasher

    class Spy:
        def hash(self, password: str) -> str:
            calls.append("hash")
            return real.hash(password)

        def verify(self, stored: str, password: str) -> bool:
            calls.append("verify")
            return bool(real.verify(stored, password))

    monkeypatch.setattr(users, "_hasher", Spy())
    assert attempt(engine, member.username, PASSWORD, T0 + timedelta(minutes=1)).actor is None
    assert attempt(engine, "nobody", "x" * 20, T0).actor is None  # not locked: one hash
    assert attempt(engine, member.username.upper(), PASSWORD, T0).actor is None  # same name
    assert calls == ["hash"]


def test_unknown_names_are_limited_like_real_ones(engine: Engine, member: Actor) -> None:
    """No user-name probing: the same messages, in the same order, for a name that exists
    and one that does not."""
    said: dict[str, list[str]] = {}
    for name in (member.username, "nobody-at-all"):
        said[name] = [attempt(engine, name, "wrong password",
                              T0 + timedelta(seconds=n)).refusal.replace(name, "NAME")
                      for n in range(users.SIGN_IN_MAX_FAILURES + 1)]
    assert said[member.username] == said["nobody-at-all"]
    assert said["nobody-at-all"][-1] == "too many failed sign-ins for NAME; try again in 15 minutes"


def test_a_success_resets_the_count(engine: Engine, member: Actor) -> None:
    for _ in range(2):
        for n in range(users.SIGN_IN_MAX_FAILURES - 1):
            attempt(engine, member.username, "wrong password", T0 + timedelta(seconds=n))
        assert attempt(engine, member.username, PASSWORD, T0 + timedelta(seconds=5)).actor
    assert failures(engine, member.username) == 0


def test_failures_count_per_name_across_processes(
        engine: Engine, member: Actor, make_actor: MakeActor) -> None:
    """Failures are rows in the database: another process (here another engine on the same
    database) sees them, and they lock only the name they were made for."""
    other = make_actor(engine, Role.EDITOR)
    second = db.make_engine(engine.url.render_as_string(hide_password=False))
    try:
        for n in range(users.SIGN_IN_MAX_FAILURES):
            attempt(engine if n % 2 else second, member.username.upper(), "wrong password",
                    T0 + timedelta(seconds=n))
        assert "too many" in attempt(second, member.username, PASSWORD, T0).refusal
        assert attempt(second, other.username, PASSWORD, T0).accepted() == other
    finally:
        second.dispose()


def test_simultaneous_wrong_guesses_never_pass_the_limit(engine: Engine, member: Actor) -> None:
    """Twelve sign-ins for one name at once (as twelve dashboard sessions would send them):
    exactly five failures are counted, the other seven are refused as locked without a
    password check, and the right password is refused too while the lock holds."""
    attempts = 12
    barrier = threading.Barrier(attempts)
    events: list[str] = []
    outcomes: list[users.SignIn] = []
    guard = threading.Lock()

    def guess() -> None:
        barrier.wait()
        with guard:
            events.append("start")
        outcome = attempt(engine, member.username, "wrong password", T0)
        with guard:
            events.append("end")
            outcomes.append(outcome)

    threads = [threading.Thread(target=guess) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert events.index("end") == attempts, "every guess was under way before one finished"
    assert len(outcomes) == attempts and all(o.actor is None for o in outcomes)
    assert failures(engine, member.username) == users.SIGN_IN_MAX_FAILURES
    checked = [o for o in outcomes if o.refusal.startswith(users.REFUSED)]
    locked = [o for o in outcomes if o.refusal.startswith("too many failed sign-ins")]
    assert (len(checked), len(locked)) == (users.SIGN_IN_MAX_FAILURES,
                                           attempts - users.SIGN_IN_MAX_FAILURES)
    assert "too many" in attempt(engine, member.username, PASSWORD, T0).refusal


def test_failures_older_than_the_window_are_forgotten(engine: Engine, member: Actor) -> None:
    for n in range(users.SIGN_IN_MAX_FAILURES - 1):
        attempt(engine, member.username, "wrong password", T0 + timedelta(seconds=n))
    later = T0 + users.SIGN_IN_WINDOW + timedelta(seconds=3)
    attempt(engine, "someone-else", "wrong password", later)
    assert failures(engine, member.username) == 0, "anyone's failure prunes the old ones"
    assert attempt(engine, member.username, "wrong password", later).refusal == users.REFUSED


def test_a_failure_is_lost_when_the_caller_does_not_commit(
        engine: Engine, member: Actor) -> None:
    """Why `authenticate` returns its outcome instead of raising it: raising inside the
    caller's transaction would roll the recorded failure back."""
    with contextlib.suppress(PermissionDenied), db.writing(engine) as session:
        users.authenticate(session, member.username, "wrong password").accepted()
    assert failures(engine, member.username) == 0
    with db.writing(engine) as session:
        outcome = users.authenticate(session, member.username, "wrong password")
    with pytest.raises(PermissionDenied, match="unknown user or wrong password"):
        outcome.accepted()
    assert failures(engine, member.username) == 1


def test_an_admin_unlocks_a_name(engine: Engine, member: Actor,
                                 make_actor: MakeActor) -> None:
    admin = make_actor(engine, Role.ADMIN)
    for n in range(users.SIGN_IN_MAX_FAILURES):
        attempt(engine, member.username, "wrong password", T0 + timedelta(seconds=n))
    with db.writing(engine) as session:
        assert users.unlock(session, admin, member.username) == 5
    assert attempt(engine, member.username, PASSWORD, T0 + timedelta(minutes=1)).accepted()
    with db.reading(engine) as session:
        [event] = queries.history(session, limit=1)
    assert (event.action, event.actor) == ("user.unlock", admin.username)
    with db.writing(engine) as session:
        assert users.unlock(session, admin, member.username) == 0, "nothing to clear"


def test_cli_users_unlock(engine: Engine, member: Actor, make_actor: MakeActor) -> None:
    admin = make_actor(engine, Role.ADMIN)
    attempt(engine, member.username, "wrong password", T0)
    runner = CliRunner()
    result = runner.invoke(app, ["users", "unlock", member.username, "--as", admin.username],
                           env=cli_env(engine, admin.username))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{member.username}: 1 failed sign-in(s) cleared"
    refused = runner.invoke(app, ["users", "unlock", member.username, "--as",
                                  member.username], env=cli_env(engine, member.username))
    assert refused.exit_code == PermissionDenied.exit_code
    assert "clearing sign-in locks needs the admin role" in refused.output


# --- session expiry --------------------------------------------------------------------------


@pytest.mark.parametrize(("signed_in", "active", "ended"), [
    (timedelta(0), timedelta(0), None),
    (timedelta(hours=7, minutes=59), timedelta(minutes=59), None),
    (timedelta(hours=8), timedelta(0),
     "Your sign-in expired 8 hours after you signed in; sign in again."),
    (timedelta(hours=2), timedelta(hours=1),
     "You were signed out after 1 hour without activity; sign in again."),
    (timedelta(hours=9), timedelta(hours=2),
     "Your sign-in expired 8 hours after you signed in; sign in again."),
])
def test_the_session_expiry_rule(signed_in: timedelta, active: timedelta,
                                 ended: str | None) -> None:
    assert timedelta(hours=8) == users.SESSION_MAX_AGE
    assert timedelta(hours=1) == users.SESSION_IDLE_TIMEOUT
    assert users.session_expiry(T0 - signed_in, T0 - active, T0) == ended


# --- who may act through the command line (issue 12) -----------------------------------------


def _invoke(engine: Engine, *args: str, **env: str) -> Any:
    base = {"TRACKER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "TRACKER_USER": "", "TRACKER_TOKEN": ""}
    return CliRunner().invoke(app, list(args), env={**base, **env})


def test_the_built_in_system_user_cannot_be_acted_as(shipped_engine: Engine) -> None:
    before = snapshot(shipped_engine)
    for how in ({"args": ("--as", "system")}, {"env": {"TRACKER_USER": "system"}}):
        args = ("resolve", "1", "--reason", "x", *how.get("args", ()))
        result = _invoke(shipped_engine, *args, **how.get("env", {}))
        assert result.exit_code != 0, result.output
        assert "no user named 'system'" in result.output or "prove who it acts" in result.output
    assert snapshot(shipped_engine) == before
    with db.writing(shipped_engine) as session:
        with pytest.raises(NotFound):
            access.actor_named(session, "system")
        assert "system" not in {u.username for u in users.list_users(session)}
        with pytest.raises(PermissionDenied):
            users.issue_token(session, system_actor(session), "system")
        assert users.authenticate(session, "system", "").actor is None


def test_the_last_active_admin_stays_an_active_admin(
        engine: Engine, make_actor: MakeActor) -> None:
    admin = make_actor(engine, Role.ADMIN)
    for change in (lambda s: users.set_active(s, admin, admin.username, False),
                   lambda s: users.set_role(s, admin, admin.username, Role.VIEWER)):
        with pytest.raises(Conflict, match="last active admin"), db.writing(engine) as session:
            change(session)
    other = make_actor(engine, Role.ADMIN)
    with db.writing(engine) as session:
        users.set_active(session, admin, other.username, False)
    with pytest.raises(Conflict, match="last active admin"), db.writing(engine) as session:
        users.set_active(session, admin, admin.username, False)
    activated = _invoke(engine, "users", "activate", other.username,
                        **cli_env(engine, admin.username))
    assert activated.exit_code == 0, activated.output
    assert activated.output.strip() == f"{other.username} activated"
    with db.writing(engine) as session:
        users.set_active(session, other, admin.username, False)  # now another admin remains
        assert access.actor_named(session, other.username).role is not Role.VIEWER


def test_adding_an_admin_without_an_acting_admin_is_refused_before_the_password(
        engine: Engine, make_actor: MakeActor) -> None:
    make_actor(engine, Role.ADMIN)
    result = _invoke(engine, "users", "add", "mallory", "--role", "admin")
    assert result.exit_code == PermissionDenied.exit_code
    assert result.output.startswith("error: name the acting admin"), result.output
    assert "password" not in result.output.split("error:")[0]


def test_a_local_sqlite_file_keeps_the_as_convenience(
        backend: Any, article_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(article_engine, Role.EDITOR)
    result = _invoke(article_engine, "flag", "9", "--kind", "other", "--reason", "check",
                     "--as", editor.username)
    if backend.name == "sqlite":
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == PermissionDenied.exit_code
        assert "TRACKER_TOKEN" in result.output and "nothing" not in result.output
        with db.reading(article_engine) as session:
            assert queries.flags(session) == [], "a refused write writes nothing"


def test_a_write_to_postgresql_needs_the_right_token(
        postgresql_backend: Any, make_actor: MakeActor) -> None:
    engine = db.make_engine(postgresql_backend.url("article"))
    try:
        editor = make_actor(engine, Role.EDITOR)
        other = make_actor(engine, Role.EDITOR)
        admin = make_actor(engine, Role.ADMIN)
        flag = ("flag", "9", "--kind", "other", "--reason", "check")
        refused = _invoke(engine, *flag, "--as", editor.username)
        assert refused.exit_code == PermissionDenied.exit_code
        assert "TRACKER_TOKEN" in refused.output
        issued = _invoke(engine, "users", "token", editor.username, "--as", admin.username,
                         TRACKER_TOKEN=cli_env(engine, admin.username)["TRACKER_TOKEN"])
        assert issued.exit_code == 0, issued.output
        token = issued.stdout.strip()
        assert token.startswith(users.ISSUED_PREFIX)
        with db.reading(engine) as session:
            stored = session.scalars(select(ApiToken.token_hash)).all()
            [event] = queries.history(session, action="user.token", limit=1)
        assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
        assert token not in json.dumps([event.before, event.after, event.summary])
        ok = _invoke(engine, *flag, TRACKER_TOKEN=token)
        assert ok.exit_code == 0, ok.output
        with db.reading(engine) as session:
            [raised] = queries.flags(session)
            used = session.scalar(select(ApiToken.last_used_at).where(
                ApiToken.revoked_at.is_(None), ApiToken.user_id == editor.id))
        assert raised.raised_by == editor.username and used is not None
        as_other = _invoke(engine, *flag, "--as", other.username, TRACKER_TOKEN=token)
        assert as_other.exit_code == PermissionDenied.exit_code
        assert f"is {editor.username}'s; it cannot act as {other.username}" in as_other.output
        wrong = _invoke(engine, *flag, TRACKER_TOKEN=token + "x")
        assert wrong.exit_code == PermissionDenied.exit_code
        with db.writing(engine) as session:
            users.revoke_tokens(session, admin, editor.username)
        revoked = _invoke(engine, *flag, TRACKER_TOKEN=token)
        assert revoked.exit_code == PermissionDenied.exit_code
        with db.reading(engine) as session:
            assert len(queries.flags(session)) == 1
    finally:
        engine.dispose()


def test_on_postgresql_a_typed_password_is_checked_with_the_lock(
        postgresql_backend: Any, make_actor: MakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.cli import session as cli  # where `_interactive` lives

    monkeypatch.setattr(cli, "_interactive", lambda: True)
    engine = db.make_engine(postgresql_backend.url("article"))
    try:
        editor = make_actor(engine, Role.EDITOR)
        flag = ("flag", "9", "--kind", "other", "--reason", "check", "--as", editor.username)
        wrong = CliRunner().invoke(app, list(flag), input="not the password\n",
                                   env={"TRACKER_DATABASE_URL": engine.url.render_as_string(
                                       hide_password=False), "TRACKER_TOKEN": ""})
        assert wrong.exit_code == PermissionDenied.exit_code
        assert users.REFUSED in wrong.output
        assert failures(engine, editor.username) == 1
        right = CliRunner().invoke(app, list(flag), input=f"{PASSWORD}\n",
                                   env={"TRACKER_DATABASE_URL": engine.url.render_as_string(
                                       hide_password=False), "TRACKER_TOKEN": ""})
        assert right.exit_code == 0, right.output
    finally:
        engine.dispose()


def test_the_first_admin_of_a_postgresql_installation_needs_no_credentials(
        postgresql_backend: Any) -> None:
    engine = db.make_engine(postgresql_backend.url("article"))
    try:
        first = _invoke(engine, "users", "add", "ada", "--role", "admin", "--password",
                        PASSWORD)
        assert first.exit_code == 0, first.output
        second = _invoke(engine, "users", "add", "eve", "--role", "admin", "--password",
                         PASSWORD)
        assert second.exit_code == PermissionDenied.exit_code
    finally:
        engine.dispose()


def test_credentials_are_asked_before_a_new_password(
        postgresql_backend: Any, make_actor: MakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a user on PostgreSQL: the acting admin's password first (or the refusal, when
    nobody is at a terminal), then the new user's password."""
    from tracker.cli import session as cli  # where `_interactive` lives

    engine = db.make_engine(postgresql_backend.url("article"))
    try:
        admin = make_actor(engine, Role.ADMIN)
        url = {"TRACKER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
               "TRACKER_TOKEN": "", "TRACKER_USER": ""}
        refused = CliRunner().invoke(app, ["users", "add", "bob", "--as", admin.username],
                                     env=url)
        assert refused.exit_code == PermissionDenied.exit_code
        assert refused.output.startswith("error: this database is shared"), refused.output
        monkeypatch.setattr(cli, "_interactive", lambda: True)
        added = CliRunner().invoke(app, ["users", "add", "bob", "--as", admin.username],
                                   env=url, input=f"{PASSWORD}\nbobs-password\nbobs-password\n")
        assert added.exit_code == 0, added.output
        assert added.output.index(f"password for {admin.username}") < added.output.index(
            "Repeat for confirmation")
    finally:
        engine.dispose()
