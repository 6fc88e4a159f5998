"""Reads of the article's wording against its evidence (GRADE guideline 26), of PICO tags and
indirectness prompts, and of the summary of findings. Re-exported by `tracker.queries`
(callers use `queries.wording_check`, …); the rules themselves are pure
(`tracker.grading.wording`, `tracker.pico`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from tracker import pico
from tracker.errors import NotFound
from tracker.grading import design_label, wording
from tracker.grading.designs import design_rank
from tracker.grading.inputs import RATIO_MEASURES
from tracker.models import (
    Citation,
    CitationTopic,
    Claim,
    ClaimTag,
    EvidenceLink,
    Flag,
    LinkDirectness,
    User,
    WordingDecision,
)
from tracker.vocabulary import (
    Certainty,
    ClaimTrack,
    FlagKind,
    FlagState,
    PicoFacet,
    Stance,
    StudyDesign,
    TagState,
    WordingVerdict,
)

__all__ = ["IndirectnessPrompt", "SofEffect", "SofRow", "TagRow", "WordingRow",
           "citation_tags", "claim_tags", "indirectness_prompts", "summary_of_findings",
           "wording_check", "wording_proposals"]


@dataclass(frozen=True, slots=True)
class WordingRow:
    """One claim (a sentence, or a part split off one) read against its evidence."""

    claim_id: int
    parent_id: int | None
    text: str  # the claim's own text (a part's words)
    sentence: str  # what was read: the sentence (a part's parent)
    category: str
    track: str
    status: str
    certainty: str | None
    strength: str
    allowed_strength: str | None
    verdict: str  # WordingVerdict value
    suggestion: str
    reason: str
    trigger: str
    notes: tuple[str, ...]
    #: For an over-statement: "open" (an editor's decision is due), "accepted", "dismissed";
    #: None otherwise. A decision made on other evidence or wording no longer applies.
    proposal: str | None
    decision_reason: str | None
    decision_by: str | None
    open_flag_id: int | None  # an open "overstated" flag on the claim, whoever raised it


def _leaf_claims(document_id: int, claim_id: int | None) -> Select[Any]:
    parent = aliased(Claim)
    part = aliased(Claim)
    has_parts = exists().where(part.parent_id == Claim.id, part.retired.is_(False))
    flag = (select(func.min(Flag.id)).where(
        Flag.claim_id == Claim.id, Flag.kind == FlagKind.OVERSTATED.value,
        Flag.state == FlagState.OPEN.value).scalar_subquery())
    query = (select(Claim.id, Claim.parent_id, Claim.text, parent.text, Claim.category,
                    Claim.track, Claim.status, Claim.certainty, flag)
             .outerjoin(parent, parent.id == Claim.parent_id)
             .where(Claim.document_id == document_id, Claim.retired.is_(False), ~has_parts)
             .order_by(func.coalesce(parent.ordinal, Claim.ordinal), Claim.parent_id.is_not(None),
                       Claim.ordinal))
    if claim_id is not None:
        query = query.where(Claim.id == claim_id)
    return query


def wording_check(session: Session, document_id: int, *, claim_id: int | None = None
                  ) -> list[WordingRow]:
    """Every live claim of the document that carries its own evidence (sentences that are
    not split, and parts), in article order, with the GRADE 26 reading of its wording and
    the editors' decision on an over-statement where one applies."""
    rows = session.execute(_leaf_claims(document_id, claim_id)).all()
    ids = [r[0] for r in rows]
    decisions: dict[int, tuple[Any, ...]] = {}
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start:chunk_start + 5000]
        for d in session.execute(
                select(WordingDecision.claim_id, WordingDecision.strength,
                       WordingDecision.allowed_strength, WordingDecision.certainty,
                       WordingDecision.status, WordingDecision.decision,
                       WordingDecision.reason, User.username)
                .join(User, User.id == WordingDecision.decided_by_id)
                .where(WordingDecision.claim_id.in_(chunk))
                .order_by(WordingDecision.id)):
            decisions[d[0]] = tuple(d[1:])  # the latest wins
    found: list[WordingRow] = []
    for ident, parent_id, text, parent_text, category, track, status, certainty, flag in rows:
        result = wording.check_claim(text, parent_text, certainty, status, track, category)
        proposal = reason = by = None
        if result.verdict is WordingVerdict.OVERSTATED:
            proposal = "open"
            made = decisions.get(ident)
            if made is not None and made[:4] == (result.strength.value,
                                                 result.allowed_strength.value
                                                 if result.allowed_strength else None,
                                                 certainty, status):
                proposal, reason, by = made[4], made[5], made[6]
        found.append(WordingRow(
            claim_id=ident, parent_id=parent_id, text=text, sentence=parent_text or text,
            category=category, track=track, status=status, certainty=certainty,
            strength=result.strength.value,
            allowed_strength=result.allowed_strength.value if result.allowed_strength else None,
            verdict=result.verdict.value, suggestion=result.suggestion, reason=result.reason,
            trigger=result.classification.trigger, notes=result.classification.notes,
            proposal=proposal, decision_reason=reason, decision_by=by, open_flag_id=flag))
    return found


def wording_proposals(session: Session, document_id: int) -> list[WordingRow]:
    """The over-statements waiting for an editor's decision (the queue lists them)."""
    return [r for r in wording_check(session, document_id) if r.proposal == "open"]


def verdict_counts(rows: Sequence[WordingRow]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.verdict] += 1
    return dict(counts)


# --- PICO tags and indirectness prompts -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TagRow:
    """One PICO tag of a claim or a citation: a rule's proposal (with its triggering words)
    and the reviewer's decision, if any."""

    facet: str
    value: str
    trigger: str
    source: str  # "rule" or "reviewer"
    state: str  # TagState value
    reason: str


def _effective(proposed: Sequence[pico.Tag], decided: Sequence[tuple[str, str, str, str, str]]
               ) -> list[TagRow]:
    """Proposals with the reviewers' decisions applied, and the reviewers' own tags."""
    by_key = {(f, v): (source, state, reason) for f, v, source, state, reason in decided}
    rows = []
    for tag in proposed:
        source, state, reason = by_key.pop((tag.facet.value, tag.value),
                                           ("rule", TagState.PROPOSED.value, ""))
        rows.append(TagRow(tag.facet.value, tag.value, tag.trigger, source, state, reason))
    for (facet, value), (source, state, reason) in by_key.items():
        rows.append(TagRow(facet, value, "", source, state, reason))
    order = {f.value: i for i, f in enumerate(PicoFacet)}
    return sorted(rows, key=lambda r: order.get(r.facet, len(order)))


def _citation_texts(citation: Citation) -> list[str | None]:
    finding = (citation.extra or {}).get("finding")
    return [citation.title, citation.abstract, " ".join(citation.keywords or []),
            finding if isinstance(finding, str) else None]


def claim_tags(session: Session, claim_id: int) -> list[TagRow]:
    """A claim's PICO tags (a part's include its sentence's, for facets it does not name)."""
    parent = aliased(Claim)
    found = session.execute(select(Claim.text, parent.text)
                            .outerjoin(parent, parent.id == Claim.parent_id)
                            .where(Claim.id == claim_id)).one_or_none()
    if found is None:
        raise NotFound(f"no claim #{claim_id}")
    decided = session.execute(select(ClaimTag.facet, ClaimTag.value, ClaimTag.source,
                                     ClaimTag.state, ClaimTag.reason)
                              .where(ClaimTag.claim_id == claim_id)).all()
    return _effective(pico.for_claim(found[0], found[1]),
                      [(d[0], d[1], d[2], d[3], d[4]) for d in decided])


def citation_tags(session: Session, key: str) -> list[TagRow]:
    """A citation's PICO tags, from its title, abstract, keywords and recorded finding."""
    citation = session.scalar(select(Citation).where(Citation.key == key))
    if citation is None:
        raise NotFound(f"no citation with key {key!r}")
    return _citation_tag_rows(session, [citation])[citation.id]


def _citation_tag_rows(session: Session, citations: Sequence[Citation]
                       ) -> dict[int, list[TagRow]]:
    ids = [c.id for c in citations]
    decided: dict[int, list[tuple[str, str, str, str, str]]] = defaultdict(list)
    for row in session.execute(
            select(CitationTopic.citation_id, CitationTopic.facet, CitationTopic.value,
                   CitationTopic.source, CitationTopic.state, CitationTopic.trigger)
            .where(CitationTopic.citation_id.in_(ids),
                   CitationTopic.state.is_not(None))):
        decided[row[0]].append((row[1], row[2], row[3], row[4] or "", ""))
    return {c.id: _effective(pico.propose(_citation_texts(c)), decided.get(c.id, []))
            for c in citations}


def _kept(rows: Sequence[TagRow]) -> list[pico.Tag]:
    return [pico.Tag(PicoFacet(r.facet), r.value, r.trigger) for r in rows
            if r.state != TagState.REJECTED.value and r.facet in PicoFacet.__members__.values()]


@dataclass(frozen=True, slots=True)
class IndirectnessPrompt:
    """A link whose study and claim differ on a PICO facet: its directness on that element
    is due ("directness not judged") until a reviewer judges it."""

    link_id: int
    claim_id: int
    claim_text: str
    citation_key: str
    element: str  # DirectnessElement value
    mismatch: str  # "study: CRPS; sentence: neuropathic pain"
    judgement: str | None  # the reviewer's, once judged
    judgement_reason: str | None

    @property
    def judged(self) -> bool:
        return self.judgement is not None


def indirectness_prompts(session: Session, document_id: int, *, claim_id: int | None = None,
                         include_judged: bool = False) -> list[IndirectnessPrompt]:
    """The links of the document's live claims whose study and claim differ on a PICO facet;
    by default only those whose directness on that element nobody has judged yet."""
    parent = aliased(Claim)
    query = (select(EvidenceLink.id, Claim.id, Claim.text, parent.text, Citation)
             .join(Claim, Claim.id == EvidenceLink.claim_id)
             .outerjoin(parent, parent.id == Claim.parent_id)
             .join(Citation, Citation.id == EvidenceLink.citation_id)
             .where(Claim.document_id == document_id, Claim.retired.is_(False))
             .order_by(func.coalesce(parent.ordinal, Claim.ordinal), Claim.ordinal,
                       EvidenceLink.id))
    if claim_id is not None:
        query = query.where(Claim.id == claim_id)
    links = session.execute(query).all()
    if not links:
        return []
    claim_ids = sorted({r[1] for r in links})
    decided: dict[int, list[tuple[str, str, str, str, str]]] = defaultdict(list)
    for row in session.execute(select(ClaimTag.claim_id, ClaimTag.facet, ClaimTag.value,
                                      ClaimTag.source, ClaimTag.state, ClaimTag.reason)
                               .where(ClaimTag.claim_id.in_(claim_ids))):
        decided[row[0]].append(tuple(row[1:]))  # type: ignore[arg-type]
    citations = {r[4].id: r[4] for r in links}
    study_tags = {cid: _kept(rows) for cid, rows in
                  _citation_tag_rows(session, list(citations.values())).items()}
    judged = {(link, e): (j, why) for link, e, j, why in session.execute(
        select(LinkDirectness.link_id, LinkDirectness.element, LinkDirectness.judgement,
               LinkDirectness.reason)
        .where(LinkDirectness.link_id.in_([r[0] for r in links])))}
    claim_cache: dict[int, list[pico.Tag]] = {}
    found: list[IndirectnessPrompt] = []
    for link_id, cid, text, parent_text, citation in links:
        if cid not in claim_cache:
            claim_cache[cid] = _kept(_effective(pico.for_claim(text, parent_text),
                                                decided.get(cid, [])))
        for mismatch in pico.mismatches(study_tags[citation.id], claim_cache[cid]):
            judgement, why = judged.get((link_id, mismatch.element.value), (None, None))
            if judgement is not None and not include_judged:
                continue
            found.append(IndirectnessPrompt(link_id, cid, text, citation.key,
                                            mismatch.element.value, mismatch.text, judgement,
                                            why))
    return found


# --- summary of findings ----------------------------------------------------------------------

#: The facets that make up each PICO column of the summary.
SOF_COLUMNS: tuple[tuple[str, tuple[PicoFacet, ...]], ...] = (
    ("population", (PicoFacet.CONDITION, PicoFacet.SETTING)),
    ("intervention", (PicoFacet.ROUTE, PicoFacet.REGIMEN)),
    ("comparator", (PicoFacet.COMPARATOR,)),
    ("outcome", (PicoFacet.OUTCOME, PicoFacet.TIME)),
)
#: The GRADE domains footnoted under the certainty, as the verdict's steps name them.
SOF_DOMAINS = ("risk of bias", "inconsistency", "indirectness", "imprecision",
               "publication bias")


@dataclass(frozen=True, slots=True)
class SofEffect:
    citation_key: str
    measure: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    relative: bool  # a ratio (RR, OR, HR): relative; else a difference: absolute
    outcome: str | None
    follow_up: str | None

    @property
    def text(self) -> str:
        ci = ("" if self.ci_low is None or self.ci_high is None
              else f" (95 % CI {self.ci_low:g} to {self.ci_high:g})")
        value = "" if self.estimate is None else f" {self.estimate:g}"
        return f"{self.measure}{value}{ci} [{self.citation_key}]"


@dataclass(frozen=True, slots=True)
class SofRow:
    """One effect claim (or part) in the layout GRADEpro and MAGICapp made familiar."""

    claim_id: int
    sentence: str  # what the article says
    claim: str  # the claim's own words (a part's)
    population: str
    intervention: str
    comparator: str
    outcome: str
    studies: int
    designs: str  # "2 RCTs, 1 cohort"
    participants: int | None
    participants_reported: int  # studies that record their participants
    relative: tuple[SofEffect, ...]
    absolute: tuple[SofEffect, ...]
    status: str
    certainty: str | None
    footnotes: tuple[str, ...]  # "risk of bias: …", one per domain, or what is missing
    allowed_wording: str  # the wording the evidence supports (GRADE 26), or the sentence
    wording_verdict: str


def _footnotes(explanation: str, certainty: str | None) -> tuple[str, ...]:
    """The verdict's step per GRADE domain, from its stored explanation."""
    marker = "certainty "
    at = explanation.find(marker)
    if certainty is None or at < 0:
        return ()
    body = explanation[at + len(marker):]
    head, _, rest = body.partition(": ")
    if certainty == Certainty.NOT_ASSESSED.value:
        return (f"not assessed: {rest.removeprefix('needs ')}".strip(),) if rest else ()
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(rest):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and rest.startswith("; ", i):
            parts.append(rest[start:i])
            start = i + 2
    parts.append(rest[start:])
    notes = [p for p in parts if p.startswith(SOF_DOMAINS) or p.startswith("starts")
             or p.startswith(("large effect", "dose-response", "plausible confounding"))]
    return tuple(notes)


def summary_of_findings(session: Session, document_id: int, *, claim_id: int | None = None
                        ) -> list[SofRow]:
    """The summary of findings: each live effect claim (sentence or part) with the studies
    that bear on it (counted: verified, not retracted; background links left out) — counts,
    designs and participants summed in SQL — its recorded effects, its certainty with a
    footnote per GRADE domain, and the wording its evidence allows beside the sentence."""
    checks = {r.claim_id: r for r in wording_check(session, document_id, claim_id=claim_id)}
    if not checks:
        return []
    ids = [i for i, r in checks.items() if r.track == ClaimTrack.EFFECT.value
           and r.category not in {c.value for c in wording.NOT_FINDINGS}]
    counted = and_(Citation.verified.is_(True), Citation.retracted.is_(False),
                   EvidenceLink.stance != Stance.BACKGROUND.value)
    designs: dict[int, list[tuple[str | None, int]]] = defaultdict(list)
    totals: dict[int, tuple[int, int | None, int]] = {}
    explanations: dict[int, str] = {}
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start:chunk_start + 5000]
        for cid, design, n in session.execute(
                select(EvidenceLink.claim_id, Citation.design,
                       func.count(func.distinct(Citation.id)))
                .join(Citation, Citation.id == EvidenceLink.citation_id)
                .where(EvidenceLink.claim_id.in_(chunk), counted)
                .group_by(EvidenceLink.claim_id, Citation.design)):
            designs[cid].append((design, int(n)))
        for cid, n, people, reported in session.execute(
                select(EvidenceLink.claim_id, func.count(func.distinct(Citation.id)),
                       func.sum(EvidenceLink.participants), func.count(EvidenceLink.participants))
                .join(Citation, Citation.id == EvidenceLink.citation_id)
                .where(EvidenceLink.claim_id.in_(chunk), counted)
                .group_by(EvidenceLink.claim_id)):
            totals[cid] = (int(n), None if people is None else int(people), int(reported))
        explanations.update({cid: text for cid, text in session.execute(
            select(Claim.id, Claim.explanation).where(Claim.id.in_(chunk)))})
    effects: dict[int, list[SofEffect]] = defaultdict(list)
    for cid, key, measure, estimate, low, high, outcome, follow_up in session.execute(
            select(EvidenceLink.claim_id, Citation.key, EvidenceLink.effect_measure,
                   EvidenceLink.effect_estimate, EvidenceLink.effect_ci_low,
                   EvidenceLink.effect_ci_high, EvidenceLink.effect_outcome,
                   EvidenceLink.follow_up)
            .join(Citation, Citation.id == EvidenceLink.citation_id)
            .where(EvidenceLink.claim_id.in_(ids), counted,
                   EvidenceLink.effect_measure.is_not(None))
            .order_by(EvidenceLink.claim_id, Citation.key)):
        name = measure or ""
        effects[cid].append(SofEffect(
            key, name, estimate, low, high, name.strip().upper() in RATIO_MEASURES, outcome,
            follow_up))
    found: list[SofRow] = []
    for cid in ids:
        check = checks[cid]
        if cid not in totals:
            continue
        tags = _kept(claim_tags(session, cid))
        pico_cells = {name: ", ".join(dict.fromkeys(t.value for t in tags if t.facet in facets))
                      or "—" for name, facets in SOF_COLUMNS}
        studies, people, reported = totals[cid]
        made = sorted(designs[cid], key=lambda d: design_rank(StudyDesign(d[0]))
                      if d[0] else 99)
        found.append(SofRow(
            claim_id=cid, sentence=check.sentence, claim=check.text,
            population=pico_cells["population"], intervention=pico_cells["intervention"],
            comparator=pico_cells["comparator"], outcome=pico_cells["outcome"],
            studies=studies,
            designs=", ".join(f"{n} {design_label(StudyDesign(d), n) if d else 'design unknown'}"
                              for d, n in made),
            participants=people, participants_reported=reported,
            relative=tuple(e for e in effects[cid] if e.relative),
            absolute=tuple(e for e in effects[cid] if not e.relative),
            status=check.status, certainty=check.certainty,
            footnotes=_footnotes(explanations.get(cid, ""), check.certainty),
            allowed_wording=check.suggestion or check.sentence,
            wording_verdict=check.verdict))
    return found
