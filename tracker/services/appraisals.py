"""Appraising studies and judging bodies of evidence: the write use cases behind GRADE.

- `appraise`: a study's risk-of-bias appraisal, once per citation, with the tool its design
  calls for; the overall judgement is derived by the tool's own algorithm.
- `judge_body`: a reviewer's judgement on one domain of a claim's whole body (it replaces the
  rules' proposal, and the explanation says so).
- `record_search`: a reviewer looked for evidence (where, what was found) — what lets a claim
  read "no evidence found" with a date instead of "not reviewed".
- `set_track`: a reviewer chooses the claim's track (effect or descriptive).
- `regrade_stale`: set-up regrades every claim graded under older rules.

Each write checks the role, records an audit event and regrades the claims it touches; the
caller's `db.writing()` block commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker import grading
from tracker.errors import InvalidInput, NotFound
from tracker.limits import MAX_LOCATOR_CHARS, MAX_NOTE_CHARS, check_text
from tracker.models import (
    Appraisal,
    AppraisalDomain,
    BodyJudgement,
    Citation,
    Claim,
    EvidenceLink,
    EvidenceSearch,
    utcnow,
)
from tracker.services.access import Actor, authorize, record
from tracker.services.dual_gate import Decision, check_appraisal
from tracker.services.evidence import _check_version, _live_claim, regrade
from tracker.vocabulary import (
    DOWNGRADE_DOMAINS,
    UPGRADE_VALUES,
    AppraisalTool,
    BodyDomain,
    ClaimTrack,
    Concern,
    Pools,
    StudyDesign,
)

__all__ = [
    "AppraisalInfo",
    "appraise",
    "prepare_appraisal",
    "clear_appraisal",
    "clear_body_judgement",
    "judge_body",
    "record_search",
    "regrade_stale",
    "set_track",
]

#: Domains that rate a body down take a `Concern`; those that rate it up an `Upgrade`.
DOWNGRADES = DOWNGRADE_DOMAINS


@dataclass(frozen=True, slots=True)
class AppraisalInfo:
    id: int
    citation_key: str
    tool: str
    overall: str
    escalated: bool
    pools: str | None
    domains: list[tuple[str, str, str]]  # (domain, judgement, reason)
    note: str
    version: int


def _info(appraisal: Appraisal) -> AppraisalInfo:
    return AppraisalInfo(
        id=appraisal.id, citation_key=appraisal.citation.key, tool=appraisal.tool,
        overall=appraisal.overall, escalated=appraisal.escalated, pools=appraisal.pools,
        domains=[(d.domain, d.judgement, d.reason) for d in appraisal.domains],
        note=appraisal.note, version=appraisal.version)


def _claims_citing(session: Session, citation_id: int) -> list[int]:
    return list(session.scalars(select(EvidenceLink.claim_id).where(
        EvidenceLink.citation_id == citation_id)))


def parse_domains(tool: AppraisalTool, given: Mapping[str, tuple[str, str]]
                  ) -> dict[str, grading.DomainJudgement]:
    """{domain: (judgement, reason)} → validated judgements keyed by the tool's domain ids."""
    spec = grading.TOOLS[tool]
    clean: dict[str, grading.DomainJudgement] = {}
    for key, value in given.items():
        if isinstance(value, str) or len(value) != 2:
            raise InvalidInput(f"{spec.name} {key}: give a judgement and a reason")
        judgement = str(value[0]).strip().lower().replace("_", "-").replace(" ", "-")
        reason = check_text(str(value[1]), f"the reason for {spec.name} {key}",
                            MAX_LOCATOR_CHARS)
        domain = spec.domain(str(key))
        ident = domain.id if domain is not None else str(key)
        clean[ident] = grading.DomainJudgement(ident, judgement, " ".join(reason.split()))
    return clean


def appraise(
    session: Session,
    actor: Actor,
    citation_id: int,
    tool: AppraisalTool,
    domains: Mapping[str, tuple[str, str]],
    *,
    pools: Pools | None = None,
    escalate: bool = False,
    note: str = "",
    expected_version: int | None = None,
    decision: Decision | None = None,
) -> AppraisalInfo:
    """Record (or replace) a study's appraisal: every domain of the tool with a judgement and a
    one-line reason; the overall judgement follows the tool's algorithm. The tool must be the
    one the study's design calls for. A study linked to a claim of a document under dual
    review is appraised only by a `decision` (`tracker.services.dual`)."""
    authorize(actor, "citation.appraise")
    citation = session.get(Citation, citation_id)
    if citation is None:
        raise NotFound(f"no citation #{citation_id}")
    check_appraisal(session, citation.id, decision)
    clean, overall = prepare_appraisal(citation, tool, domains, pools=pools, escalate=escalate)
    tool = AppraisalTool(tool)
    spec = grading.TOOLS[tool]
    note = check_text(note, "the note", MAX_NOTE_CHARS)
    appraisal = session.scalar(select(Appraisal).where(Appraisal.citation_id == citation.id))
    before = None if appraisal is None else _state(_info(appraisal))
    if appraisal is None:
        appraisal = Appraisal(citation_id=citation.id, tool=tool.value, overall=overall,
                              escalated=escalate, pools=pools.value if pools else None,
                              note=note, appraised_by_id=actor.id)
        appraisal.citation = citation
        session.add(appraisal)
    else:
        _check_version("appraisal", appraisal.id, appraisal.version, expected_version)
        appraisal.tool, appraisal.overall, appraisal.escalated = tool.value, overall, escalate
        appraisal.pools = pools.value if pools else None
        appraisal.note = note
        appraisal.appraised_by_id, appraisal.appraised_at = actor.id, utcnow()
    order = {d.id: n for n, d in enumerate(spec.domains)}
    appraisal.domains[:] = []
    session.flush()
    appraisal.domains.extend(
        AppraisalDomain(domain=d.domain, ordinal=order[d.domain], judgement=d.judgement,
                        reason=d.reason)
        for d in sorted(clean.values(), key=lambda d: order[d.domain]))
    session.flush()
    info = _info(appraisal)
    if before == _state(info):
        return info
    record(session, actor, "citation.appraise", "citation", citation.id,
           f"{citation.key} appraised with {spec.name}: {overall}"
           + (f"; {decision.words()}" if decision else ""),
           before=before,
           after=_state(info) | ({"dual_review": decision.audit()} if decision else {}))
    regrade(session, _claims_citing(session, citation.id))
    return info


def prepare_appraisal(citation: Citation, tool: AppraisalTool,
                      domains: Mapping[str, tuple[str, str]], *, pools: Pools | None = None,
                      escalate: bool = False) -> tuple[dict[str, grading.DomainJudgement], str]:
    """Check an appraisal of `citation` as `appraise` would (the tool its design calls for,
    every domain judged with a reason) and derive its overall judgement; InvalidInput naming
    every problem. Shared with dual review, which checks each reviewer's entry the same way."""
    tool = AppraisalTool(tool)
    design = StudyDesign(citation.design) if citation.design else None
    wanted = grading.tool_for(design)
    spec = grading.TOOLS[tool]
    if wanted is None:
        raise InvalidInput(
            f"{citation.key} is {_design_words(design)}, which GRADE does not rate; it needs "
            "no risk-of-bias appraisal (set its design first if that is wrong)")
    if wanted is not tool:
        raise InvalidInput(f"{citation.key} is {_design_words(design)}: appraise it with "
                           f"{grading.TOOLS[wanted].name}, not {spec.name}")
    if tool is not AppraisalTool.AMSTAR2 and pools is not None:
        raise InvalidInput(f"only a review pools studies; {citation.key} is "
                           f"{_design_words(design)}")
    clean = parse_domains(tool, domains)
    problems = grading.validate(tool, clean, escalate=escalate, pools=pools)
    if problems:
        raise InvalidInput(f"appraisal of {citation.key}: " + "; ".join(problems))
    return clean, grading.overall_judgement(tool, clean, escalate=escalate)


def _design_words(design: StudyDesign | None) -> str:
    if design is None:
        return "of unknown design"
    return f"a {grading.design_label(design)}"


def _state(info: AppraisalInfo) -> dict[str, object]:
    return {"tool": info.tool, "overall": info.overall, "escalated": info.escalated,
            "pools": info.pools, "note": info.note,
            "domains": {d: [j, r] for d, j, r in info.domains}}


def clear_appraisal(session: Session, actor: Actor, citation_id: int) -> bool:
    """Remove a study's appraisal (the claims resting on it go back to "not assessed"); not
    for a study under dual review."""
    authorize(actor, "citation.appraise")
    check_appraisal(session, citation_id, None)
    appraisal = session.scalar(select(Appraisal).where(Appraisal.citation_id == citation_id))
    if appraisal is None:
        return False
    before = _state(_info(appraisal))
    key = appraisal.citation.key
    session.delete(appraisal)
    session.flush()
    record(session, actor, "citation.appraise", "citation", citation_id,
           f"{key}: appraisal removed", before=before)
    regrade(session, _claims_citing(session, citation_id))
    return True


def judge_body(session: Session, actor: Actor, claim_id: int, domain: BodyDomain, value: str,
               reason: str) -> None:
    """A reviewer's judgement on one domain of the claim's body of evidence: rating down
    (none / serious / very-serious) or up (large effect: none / large / very-large; dose-
    response and plausible confounding: none / present). It replaces the rules' proposal."""
    authorize(actor, "claim.body-judgement")
    claim = _live_claim(session, claim_id)
    domain = BodyDomain(domain)
    clean = str(value).strip().lower().replace("_", "-")
    allowed = ([c.value for c in Concern] if domain in DOWNGRADES
               else [u.value for u in UPGRADE_VALUES[domain]])
    if clean not in allowed:
        raise InvalidInput(f"{domain.value}: {value!r} is not one of {', '.join(allowed)}")
    why = " ".join(check_text(reason, "the reason", MAX_NOTE_CHARS).split())
    if not why:
        raise InvalidInput(f"a judgement on the body's {domain.value} needs a reason")
    row = session.get(BodyJudgement, (claim.id, domain.value))
    before = None if row is None else {"value": row.value, "reason": row.reason}
    if before == {"value": clean, "reason": why}:
        return
    if row is None:
        session.add(BodyJudgement(claim_id=claim.id, domain=domain.value, value=clean,
                                  reason=why, judged_by_id=actor.id))
    else:
        row.value, row.reason, row.judged_by_id, row.judged_at = clean, why, actor.id, utcnow()
    session.flush()
    record(session, actor, "claim.body-judgement", "claim", claim.id,
           f"claim #{claim.id} body {domain.value}: {clean} ({why})",
           document_id=claim.document_id, claim_id=claim.id, before=before,
           after={"domain": domain.value, "value": clean, "reason": why})
    regrade(session, [claim.id])


def clear_body_judgement(session: Session, actor: Actor, claim_id: int,
                         domain: BodyDomain) -> bool:
    """Remove a reviewer's body judgement: the rules' proposal applies again."""
    authorize(actor, "claim.body-judgement")
    claim = _live_claim(session, claim_id)
    row = session.get(BodyJudgement, (claim.id, BodyDomain(domain).value))
    if row is None:
        return False
    before = {"domain": row.domain, "value": row.value, "reason": row.reason}
    session.execute(delete(BodyJudgement).where(BodyJudgement.claim_id == claim.id,
                                                BodyJudgement.domain == row.domain))
    record(session, actor, "claim.body-judgement", "claim", claim.id,
           f"claim #{claim.id} body {row.domain}: back to the rules", before=before,
           document_id=claim.document_id, claim_id=claim.id)
    regrade(session, [claim.id])
    return True


@dataclass(frozen=True, slots=True)
class SearchInfo:
    id: int
    claim_id: int
    searched_at: datetime
    sources: str
    note: str


def record_search(session: Session, actor: Actor, claim_id: int, sources: str,
                  note: str = "", *, at: datetime | None = None) -> SearchInfo:
    """A reviewer looked for evidence on the claim: where (e.g. "library; PubMed
    'ketamine AND route frequency'") and what came of it."""
    authorize(actor, "claim.search")
    claim = _live_claim(session, claim_id)
    where = " ".join(check_text(sources, "where you looked", MAX_NOTE_CHARS).split())
    if not where:
        raise InvalidInput("say where you looked (the library, PubMed with the query, …)")
    if at is not None and at > utcnow():
        raise InvalidInput("a search cannot be dated in the future")
    row = EvidenceSearch(claim_id=claim.id, searched_by_id=actor.id, sources=where,
                         note=check_text(note, "the note", MAX_NOTE_CHARS),
                         searched_at=at or utcnow())
    session.add(row)
    session.flush()
    record(session, actor, "claim.search", "claim", claim.id,
           f"claim #{claim.id}: looked for evidence in {where}",
           document_id=claim.document_id, claim_id=claim.id,
           after={"sources": where, "note": row.note})
    regrade(session, [claim.id])
    return SearchInfo(row.id, claim.id, row.searched_at, row.sources, row.note)


def set_track(session: Session, actor: Actor, claim_id: int, track: ClaimTrack | None,
              reason: str) -> str:
    """A reviewer chooses the claim's track (None: back to the rules' proposal)."""
    authorize(actor, "claim.track")
    claim = _live_claim(session, claim_id)
    why = " ".join(check_text(reason, "the reason", MAX_NOTE_CHARS).split())
    before = {"track": claim.track, "source": claim.track_source, "reason": claim.track_reason}
    if track is None:
        proposed, rule = grading.propose_track(claim.text)
        claim.track, claim.track_source, claim.track_reason = proposed.value, "rule", rule
    else:
        if not why:
            raise InvalidInput("choosing a claim's track needs a reason")
        claim.track, claim.track_source = ClaimTrack(track).value, "reviewer"
        claim.track_reason = why
    after = {"track": claim.track, "source": claim.track_source, "reason": claim.track_reason}
    if after == before:
        return claim.track
    session.flush()
    record(session, actor, "claim.track", "claim", claim.id,
           f"claim #{claim.id} graded as {claim.track} ({claim.track_source})",
           document_id=claim.document_id, claim_id=claim.id, before=before, after=after)
    regrade(session, [claim.id])
    return claim.track


def regrade_stale(session: Session, actor: Actor) -> int:
    """Regrade every live claim whose verdict was computed under older grading rules (after
    an upgrade or a restore); returns how many. Audited as the set-up's own event."""
    authorize(actor, "grading.regrade")
    stale: Sequence[int] = session.scalars(select(Claim.id).where(
        Claim.retired.is_(False), Claim.rules_version < grading.RULES_VERSION)).all()
    if not stale:
        return 0
    regrade(session, stale)
    record(session, actor, "grading.regrade", "claim", None,
           f"{len(stale)} claims regraded under grading rules version {grading.RULES_VERSION}",
           after={"rules_version": grading.RULES_VERSION, "claims": len(stale)})
    return len(stale)
