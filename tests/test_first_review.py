"""The first real review, shipped with the product: the verdicts it yields are pinned here, so a
change in the grading rules (or the review data) that flips one is seen."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from tests.conftest import SEED
from tracker import db, queries
from tracker.models import Citation, EvidenceLink, User

CERTAINTY_ORDER = ["very-low", "low", "moderate", "high"]


def verdict(engine: Engine, fragment: str, *, part: str | None = None) -> queries.ClaimRow:
    with db.reading(engine) as session:
        rows = queries.claims(session)
    sentence = [r for r in rows if r.parent is None and fragment in r.text]
    assert len(sentence) == 1, f"{fragment!r} matches {len(sentence)} claims"
    if part is None:
        return sentence[0]
    [found] = [r for r in rows if r.parent == sentence[0].id and r.text == part]
    return found


@pytest.mark.parametrize(("fragment", "part"), [
    ("antagonism of NMDA receptors", None),
    ("Ketamine blocks NMDA receptors", None),
    ("rapid onset of action, typically within minutes", None),
    ("Rapid Onset of Pain Relief", None),
    ("lower bioavailability compared to IV and intranasal routes", None),
    ("Opioid-Sparing Effects", None),
    ("Ketamine has also been utilized for cancer-related pain", "post-surgical pain"),
    ("Multiple randomized controlled trials", "decreasing opioid consumption"),
])
def test_pharmacology_perioperative_and_opioid_sparing_claims_are_supported(
        shipped_engine: Engine, fragment: str, part: str | None) -> None:
    assert verdict(shipped_engine, fragment, part=part).status == "supported"


def test_crps_is_supported_but_its_certainty_waits_for_the_appraisals(
        shipped_engine: Engine) -> None:
    crps = verdict(shipped_engine, "Ketamine infusions have shown efficacy")
    assert crps.status == "supported"
    assert crps.certainty == "not-assessed"
    assert crps.explanation.startswith("supported — not yet appraised: ")


@pytest.mark.parametrize(("fragment", "part"), [
    ("Ketamine therapy may help alleviate symptoms", None),  # fibromyalgia
    ("Ketamine has also been utilized for cancer-related pain", "cancer-related pain"),
    ("Some studies suggest ketamine may induce neuroplastic changes", None),
    ("some experience relief lasting days to weeks", None),
])
def test_fibromyalgia_cancer_and_long_lasting_relief_are_contested(
        shipped_engine: Engine, fragment: str, part: str | None) -> None:
    claim = verdict(shipped_engine, fragment, part=part)
    assert claim.status == "contested", claim.explanation
    assert "comparable evidence against" in claim.explanation
    assert "inconsistency" in claim.explanation


def test_long_term_benefits_are_contradicted(shipped_engine: Engine) -> None:
    """Six reviews and trials against one supporting trial: clearly outweighed."""
    claim = verdict(shipped_engine, "combines rapid onset of relief",
                    part="potential long-term benefits")
    assert claim.status == "contradicted", claim.explanation
    assert "clearly outweighs the support" in claim.explanation


def test_migraine_is_contradicted_by_the_negative_trial(shipped_engine: Engine) -> None:
    """Uncontrolled case series for, the one controlled emergency-department trial against:
    the trial is clearly stronger by design (before: "insufficient", which hid the trial)."""
    migraine = verdict(shipped_engine, "cancer-related pain", part="refractory migraines")
    assert migraine.status == "contradicted"
    assert "case series" in migraine.explanation and "RCT contradicts" in migraine.explanation


def test_iv_most_common_is_a_descriptive_claim_not_established_and_flagged(
        shipped_engine: Engine) -> None:
    claim = verdict(shipped_engine, "Intravenous (IV) ketamine infusion is the most common")
    assert (claim.track, claim.status, claim.standing) == (
        "descriptive", "insufficient", "not-established")
    assert claim.certainty is None
    assert claim.open_flags == ["unsupported"]


def test_nothing_is_certain_before_anything_is_appraised(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        rows = queries.claims(session)
    assert {r.certainty for r in rows} <= {None, "not-assessed"}
    assert all(r.certainty is None for r in rows if r.track == "descriptive")


def test_generally_considered_safe_is_flagged_overstated(shipped_engine: Engine) -> None:
    claim = verdict(shipped_engine, "generally considered safe")
    assert "overstated" in claim.open_flags


def test_open_questions_on_dosing_and_safety_show_their_evidence(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        document = queries.resolve_document(session, SEED)
        found = {q.slug: q for q in queries.questions(session, document.id)}
    assert {"dosing-standardisation", "long-term-safety", "durability-of-relief",
            "delivery-systems", "personalised-medicine", "analogues-derivatives",
            "multimodal-integration"} <= set(found)
    dosing = {key for key, *_ in found["dosing-standardisation"].evidence}
    assert {"cohen2018chronic", "schwenk2018acute", "guimaraespereira2022"} <= dosing
    safety = {key for key, *_ in found["long-term-safety"].evidence}
    assert {"noppers2011liver", "cotter2021", "shahani2007"} <= safety
    assert all(q.claims for q in found.values())


def test_only_verified_citations_carry_evidence(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        counted = session.scalar(
            select(func.count()).select_from(EvidenceLink)
            .join(Citation, Citation.id == EvidenceLink.citation_id)
            .where(Citation.verified.is_(False), EvidenceLink.stance != "background"))
        assert counted == 0
        reviewer = session.scalar(select(User).where(User.username == "evidence-map"))
        assert reviewer is not None and reviewer.password_hash is None


def test_coverage_by_section_reflects_the_map(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        document = queries.resolve_document(session, SEED)
        coverage = queries.coverage(session, document.id)
        by_section = {r.group: r for r in queries.coverage_by_section(session, document.id)}
    assert coverage.claims == 63
    assert sum(coverage.by_status.values()) == 63
    assert coverage.by_status["supported"] >= 20
    assert coverage.by_status["contested"] + coverage.by_status["contradicted"] >= 8
    assert coverage.open_flags >= 20
    understanding = by_section["Understanding Ketamine and Its Role in Pain Relief"]
    assert understanding.supported >= 6
    assert by_section["Future Directions in Ketamine Pain Therapy"].supported == 0
