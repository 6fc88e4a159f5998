"""Appraisals, directness, effects, body judgements, searches and tracks through the service
layer, and what they do to a claim's stored verdict — on SQLite and PostgreSQL. Also the
promises the stored verdicts keep everywhere, and `review load` leaving people's work alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.conftest import ROOT
from tracker import bibtex, db, grading, queries
from tracker.errors import InvalidInput
from tracker.models import AuditEvent, Claim, EvidenceLink, Flag
from tracker.services import appraisals, citations, evidence, flags, review
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import (
    AppraisalTool,
    BodyDomain,
    ClaimTrack,
    FlagKind,
    FlagState,
    Pools,
    Role,
    Stance,
)

MakeActor = Callable[[Engine, Role], Actor]
DIRECT = {e: ("direct", "study population and route match the sentence")
          for e in ("population", "intervention", "comparator", "outcome", "setting")}
ROB2_LOW = {d: ("low", f"abstract: {d} fine") for d in ("D1", "D2", "D3", "D4", "D5")}


@pytest.fixture
def library(article_engine: Engine) -> Engine:
    text, _ = bibtex.read_bib_file(ROOT / "references" / "library.bib")
    with db.writing(article_engine) as session:
        citations.import_bibtex(session, system_actor(session), [("library.bib", text)])
    return article_engine


def claim_id(engine: Engine, fragment: str) -> int:
    with db.reading(engine) as session:
        [found] = [c.id for c in queries.claims(session) if fragment in c.text and not c.parent]
        return found


def cid(engine: Engine, key: str) -> int:
    with db.reading(engine) as session:
        return citations.citation_by_key(session, key).id


def row(engine: Engine, claim: int) -> queries.ClaimRow:
    with db.reading(engine) as session:
        return queries.claim(session, claim)


# --- appraising a study ---------------------------------------------------------------------


def test_an_appraisal_needs_the_tool_the_design_calls_for(library: Engine,
                                                          make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    with db.writing(library) as session, pytest.raises(InvalidInput, match="with RoB 2, not"):
        appraisals.appraise(session, reviewer, cid(library, "sigtermans2009"),
                            AppraisalTool.ROBINS_I, {})
    with db.writing(library) as session, pytest.raises(InvalidInput, match="does not rate"):
        appraisals.appraise(session, reviewer, cid(library, "niesters2014"),
                            AppraisalTool.ROB2, ROB2_LOW)
    with db.writing(library) as session, pytest.raises(InvalidInput, match="missing: D5"):
        appraisals.appraise(session, reviewer, cid(library, "sigtermans2009"),
                            AppraisalTool.ROB2, {k: v for k, v in ROB2_LOW.items() if k != "D5"})
    with db.writing(library) as session, pytest.raises(InvalidInput, match="one-line reason"):
        appraisals.appraise(session, reviewer, cid(library, "sigtermans2009"),
                            AppraisalTool.ROB2, {**ROB2_LOW, "D3": ("low", " ")})


def test_an_appraisal_is_stored_derived_audited_and_regrades(library: Engine,
                                                             make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, "Ketamine infusions have shown efficacy")
    with db.writing(library) as session:
        evidence.link_evidence(session, reviewer, claim, cid(library, "sigtermans2009"),
                               Stance.SUPPORTS, directness=DIRECT,
                               effect={"participants": 60, "measure": "MD", "estimate": -1.0,
                                       "ci_low": -1.8, "ci_high": -0.2})
    assert row(library, claim).certainty == "not-assessed"
    with db.writing(library) as session:
        info = appraisals.appraise(session, reviewer, cid(library, "sigtermans2009"),
                                   AppraisalTool.ROB2, {**ROB2_LOW, "D2": (
                                       "some-concerns", "abstract: psychotomimetic effects")})
    assert info.overall == "some-concerns"
    graded = row(library, claim)
    # high −1 (all the weight from a study with some concerns) −2 (60 participants) = very low
    assert graded.certainty == "very-low", graded.explanation
    assert "risk of bias -1" in graded.explanation
    with db.reading(library) as session:
        detail = queries.claim_detail(session, claim)
        [event] = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "citation.appraise")).all()
    assert detail.appraisals["sigtermans2009"].domains[1] == (
        "D2", "some-concerns", "abstract: psychotomimetic effects")
    assert event.after is not None and event.after["overall"] == "some-concerns"
    with db.writing(library) as session:  # the same again: nothing to save, no event
        appraisals.appraise(session, reviewer, cid(library, "sigtermans2009"),
                            AppraisalTool.ROB2, {**ROB2_LOW, "D2": (
                                "some-concerns", "abstract: psychotomimetic effects")})
        assert appraisals.clear_appraisal(session, reviewer, cid(library, "sigtermans2009"))
    assert row(library, claim).certainty == "not-assessed"


def test_a_review_needs_what_it_pools(library: Engine, make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    items = {str(i): ("yes", "abstract") for i in range(1, 17)}
    with db.writing(library) as session, pytest.raises(InvalidInput, match="pools"):
        appraisals.appraise(session, reviewer, cid(library, "laskowski2011"),
                            AppraisalTool.AMSTAR2, items)
    with db.writing(library) as session:
        info = appraisals.appraise(session, reviewer, cid(library, "laskowski2011"),
                                   AppraisalTool.AMSTAR2, {**items, "4": ("no", "one database")},
                                   pools=Pools.RANDOMISED)
    assert (info.overall, info.pools) == ("low", "randomised")


# --- directness, effects, body judgements ------------------------------------------------------


def test_directness_and_effect_are_validated_stored_and_cleared(library: Engine,
                                                                 make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, "Ketamine infusions have shown efficacy")
    key = cid(library, "schwartzman2009")
    for bad, message in (({"populace": ("direct", "x")}, "not one of population"),
                         ({"population": ("close", "x")}, "not one of direct"),
                         ({"population": ("direct", " ")}, "needs a reason")):
        with db.writing(library) as session, pytest.raises(InvalidInput, match=message):
            evidence.link_evidence(session, reviewer, claim, key, Stance.SUPPORTS,
                                   directness=bad)
    for effect, message in (({"ci_low": 1.0, "ci_high": 0.5}, "above its upper limit"),
                            ({"estimate": 2, "ci_low": 0, "ci_high": 1}, "outside its CI"),
                            ({"ci_low": 0.1}, "needs both its limits"),
                            ({"participants": 0}, "positive whole number"),
                            ({"estimate": "nan"}, "finite")):
        with db.writing(library) as session, pytest.raises(InvalidInput, match=message):
            evidence.link_evidence(session, reviewer, claim, key, Stance.SUPPORTS,
                                   effect=effect)
    with db.writing(library) as session:
        info = evidence.link_evidence(
            session, reviewer, claim, key, Stance.SUPPORTS,
            directness={"population": ("indirect", "study: CRPS I only; sentence: CRPS")},
            effect={"participants": 19})
    assert info.directness == {"population": ("indirect", "study: CRPS I only; sentence: CRPS")}
    with db.writing(library) as session:
        evidence.update_link(session, reviewer, info.id,
                             directness={"population": ("not-judged", "")})
    with db.reading(library) as session:
        [linked] = queries.evidence(session, [claim])
    assert linked.directness == {} and linked.effect["participants"] == 19


def test_a_body_judgement_replaces_the_rules_proposal(library: Engine,
                                                      make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, "Ketamine infusions have shown efficacy")
    with db.writing(library) as session:
        for key, n in (("schwartzman2009", 19), ("sigtermans2009", 60)):
            evidence.link_evidence(session, reviewer, claim, cid(library, key),
                                   Stance.SUPPORTS, directness=DIRECT,
                                   effect={"participants": n})
            appraisals.appraise(session, reviewer, cid(library, key), AppraisalTool.ROB2,
                                ROB2_LOW)
    assert row(library, claim).certainty == "low"  # 79 participants: imprecision −2
    with db.writing(library) as session:
        appraisals.judge_body(session, reviewer, claim, BodyDomain.IMPRECISION, "serious",
                              "CI excludes no effect; small but consistent trials")
    judged = row(library, claim)
    assert judged.certainty == "moderate"
    assert "reviewer: serious, CI excludes no effect" in judged.explanation
    with db.writing(library) as session, pytest.raises(InvalidInput, match="not one of"):
        appraisals.judge_body(session, reviewer, claim, BodyDomain.LARGE_EFFECT, "serious",
                              "x")
    with db.writing(library) as session, pytest.raises(InvalidInput, match="needs a reason"):
        appraisals.judge_body(session, reviewer, claim, BodyDomain.IMPRECISION, "none", " ")
    with db.writing(library) as session:
        assert appraisals.clear_body_judgement(session, reviewer, claim,
                                               BodyDomain.IMPRECISION)
    assert row(library, claim).certainty == "low"


def test_a_recorded_search_says_no_evidence_found_and_when(library: Engine,
                                                           make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, "Intravenous (IV) ketamine infusion is the most common method")
    assert row(library, claim).status == "not-reviewed"
    with db.writing(library) as session:
        appraisals.record_search(session, reviewer, claim,
                                 "library; PubMed 'ketamine route utilisation'", "nothing")
    found = row(library, claim)
    assert (found.status, found.certainty) == ("no-evidence-found", None)
    with db.reading(library) as session:
        [search] = queries.claim_detail(session, claim).searches
    assert search.searched_by == reviewer.username and search.note == "nothing"


def test_a_reviewer_chooses_the_track(library: Engine, make_actor: MakeActor) -> None:
    reviewer = make_actor(library, Role.REVIEWER)
    claim = claim_id(library, "Rapid Onset of Pain Relief")
    assert row(library, claim).track == "effect"  # proposed: "Relief"
    with db.writing(library) as session:
        evidence.link_evidence(session, reviewer, claim, cid(library, "peltoniemi2016"),
                               Stance.SUPPORTS)
        appraisals.set_track(session, reviewer, claim, ClaimTrack.DESCRIPTIVE,
                             "a statement about time course")
    chosen = row(library, claim)
    assert (chosen.track, chosen.certainty) == ("descriptive", None)
    assert chosen.standing is not None
    with db.writing(library) as session, pytest.raises(InvalidInput, match="needs a reason"):
        appraisals.set_track(session, reviewer, claim, ClaimTrack.EFFECT, "")
    with db.writing(library) as session:
        appraisals.set_track(session, reviewer, claim, None, "")
    assert row(library, claim).track == "effect"


def test_identical_pharmacokinetic_evidence_gives_the_same_verdict_in_any_section(
        library: Engine, make_actor: MakeActor) -> None:
    """#12 stands under "Understanding Ketamine", #22 under "Administration Methods": the
    category differs, the verdict must not."""
    reviewer = make_actor(library, Role.REVIEWER)
    onset = claim_id(library, "rapid onset of action, typically within minutes")
    oral = claim_id(library, "lower bioavailability compared to IV")
    assert row(library, onset).category != row(library, oral).category
    with db.writing(library) as session:
        for claim in (onset, oral):
            for key in ("peltoniemi2016", "rolan2014"):
                evidence.link_evidence(session, reviewer, claim, cid(library, key),
                                       Stance.SUPPORTS)
    first, second = row(library, onset), row(library, oral)
    assert (first.track, first.status, first.standing) == (
        second.track, second.status, second.standing) == ("descriptive", "supported",
                                                           "established")
    assert first.explanation == second.explanation


# --- promises the stored verdicts keep ----------------------------------------------------------


def assert_verdicts_honest(engine: Engine) -> None:
    with db.reading(engine) as session:
        claims = session.scalars(select(Claim).where(Claim.retired.is_(False))).all()
    for claim in claims:
        if claim.status in ("not-reviewed", "no-evidence-found"):
            assert claim.certainty is None and claim.standing is None, claim.id
        if claim.status == "contested":
            assert "inconsistency" in claim.explanation, claim.id
        if claim.track == "descriptive":
            assert claim.certainty is None, claim.id
        if claim.certainty not in (None, "not-assessed"):
            assert "certainty not assessed" not in claim.explanation
        assert claim.status in {s.value for s in grading.STATUS_ORDER}, claim.id
        assert claim.rules_version == grading.RULES_VERSION, claim.id


def test_every_shipped_verdict_keeps_the_promises(shipped_engine: Engine) -> None:
    assert_verdicts_honest(shipped_engine)
    with db.reading(shipped_engine) as session:
        assert queries.coverage(session).by_certainty["high"] == 0  # nothing appraised: none


def test_set_up_regrades_verdicts_stored_under_older_rules(shipped_engine: Engine) -> None:
    from tracker.services import setup

    with db.writing(shipped_engine) as session:
        stale = session.scalars(select(Claim).where(Claim.parent_id.is_(None))).all()[:5]
        for claim in stale:
            claim.rules_version, claim.explanation = 0, "left by an older version"
    assert setup.upgrade(shipped_engine) >= 5
    assert_verdicts_honest(shipped_engine)
    with db.reading(shipped_engine) as session:
        assert not session.scalars(select(Claim).where(
            Claim.explanation == "left by an older version")).all()
    assert setup.upgrade(shipped_engine) == 0


# --- review load leaves what people changed since ----------------------------------------------


def test_review_load_leaves_editors_changes_in_place(shipped_engine: Engine,
                                                     make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    with db.reading(shipped_engine) as session:
        removed, edited = session.scalars(select(EvidenceLink).order_by(
            EvidenceLink.id).limit(2)).all()
        closed = session.scalars(select(Flag).where(Flag.state == "open")
                                 .order_by(Flag.id)).first()
        assert closed is not None
        removed_key, removed_claim = removed.citation.key, removed.claim_id
    with db.writing(shipped_engine) as session:
        evidence.unlink(session, editor, removed.id)
        evidence.update_link(session, editor, edited.id, note="an editor's own note")
        flags.close_flag(session, editor, closed.id, FlagState.RESOLVED, "fixed in the text")
    path = ROOT / "references" / "review.toml"
    with db.writing(shipped_engine) as session:  # as the review's own user, and as another
        again = review.load_review(session, editor, path)
    assert again.links_added == 0 and again.flags_raised == 0
    with db.reading(shipped_engine) as session:
        assert session.scalar(select(EvidenceLink).where(
            EvidenceLink.claim_id == removed_claim,
            EvidenceLink.citation_id == removed.citation_id)) is None
        assert session.get(EvidenceLink, edited.id).note == "an editor's own note"  # type: ignore[union-attr]
        assert session.get(Flag, closed.id).state == "resolved"  # type: ignore[union-attr]
    skipped = "\n".join(again.skipped)
    assert f"link {removed_key} on claim #{removed_claim}: removed since" in skipped
    assert f"on claim #{edited.claim_id}: changed since the review loaded it" in skipped
    assert f"{closed.kind} flag on claim #{closed.claim_id}: resolved by {editor.username}" \
        in skipped


def test_review_load_applies_what_is_new(shipped_engine: Engine, tmp_path: Path,
                                         make_actor: MakeActor) -> None:
    reviewer = make_actor(shipped_engine, Role.EDITOR)
    text = (ROOT / "references" / "review.toml").read_text(encoding="utf-8")
    updated = text.replace('format_version = 1', 'format_version = 2') + '''
[[appraisal]]
citation = "shahani2007"
tool = "jbi-case-series"
[appraisal.domains]
1 = ["yes", "ketamine users with ulcerative cystitis"]
2 = ["yes", "cystoscopy and biopsy"]
3 = ["yes", "cystitis confirmed"]
4 = ["unclear", "consecutive inclusion not reported"]
5 = ["unclear", "complete inclusion not reported"]
6 = ["unclear", "demographics not in the record read"]
7 = ["yes", "recreational ketamine use"]
8 = ["unclear", "follow-up not read"]
9 = ["unclear", "site not described"]
10 = ["not-applicable", "descriptive"]

[[search]]
claim = "Intravenous (IV) ketamine infusion is the most common method"
sources = "library; PubMed 'ketamine infusion route frequency'"
date = 2026-12-01
'''
    path = tmp_path / "review.toml"
    path.write_text(updated, encoding="utf-8")
    with db.writing(shipped_engine) as session:
        report = review.load_review(session, reviewer, review.read_review(path))
    assert (report.appraisals, report.searches) == (1, 1)
    assert report.links_unchanged > 200 and report.links_added == 0
    with db.writing(shipped_engine) as session:
        again = review.load_review(session, reviewer, review.read_review(path))
    assert (again.appraisals, again.searches, again.skipped) == (0, 0, [])
    with db.reading(shipped_engine) as session:
        detail = queries.citation_detail(session, "shahani2007")
        claim = queries.claim_detail(session, claim_id(
            shipped_engine, "Intravenous (IV) ketamine infusion is the most common method"))
    assert detail.appraisal is not None and detail.appraisal.overall == "high"  # 4 of 9 yes
    assert "2026-12-01" in {s.searched_at.date().isoformat() for s in claim.searches}


def test_a_version_1_file_cannot_hold_version_2_sections(shipped_engine: Engine,
                                                         tmp_path: Path,
                                                         make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    path = tmp_path / "review.toml"
    path.write_text('format_version = 1\ndocument = "ketamine-therapy-for-pain-management"\n'
                    '[[track]]\nclaim = "Ketamine blocks NMDA"\ntrack = "descriptive"\n'
                    'reason = "mechanism"\n', encoding="utf-8")
    with db.writing(shipped_engine) as session, pytest.raises(
            InvalidInput, match=r"\[\[track\]\] needs format_version 2"):
        review.load_review(session, editor, path)


def test_flags_are_untouched_by_unrelated_loads(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        kinds = {f.kind for f in session.scalars(select(Flag))}
    assert FlagKind.OVERSTATED.value in kinds
