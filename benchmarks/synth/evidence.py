"""Evidence links and the grades they give: each claim's verdict replayed link by link with
`tracker.grading`, the way `tracker.services.evidence.regrade` stores it, which also yields
its status history."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from tracker import grading
from tracker.services import evidence as evidence_service
from tracker.vocabulary import ClaimStatus, Concern, Role, StudyDesign

from .generator import ClaimDraft, Desk, LibraryEntry, pick
from .vocabulary import CONCERN_WEIGHTS, STANCES

CONCERNS = evidence_service.CONCERNS
UPGRADES = evidence_service.UPGRADES


def links(desk: Desk) -> None:
    """Evidence links, a quarter of the claims none and the rest skewed (at most 60), each
    added after the claim and the citation exist; a few judged again later."""
    size, rng = desk.size, desk.rng
    # Which claims get evidence, and how much: a quarter none, the rest skewed.
    gradable = [c for c in desk.claims.values() if not c.parts]  # split: on the parts
    weights = [0.0 if rng.random() < 0.25 else rng.gammavariate(1.3, 1.0) for _ in gradable]
    total = sum(weights)
    counts = [min(60, int(w / total * size.links)) for w in weights]
    positive = [i for i, w in enumerate(weights) if w > 0]
    while sum(counts) < size.links:
        i = rng.choice(positive)
        if counts[i] < 60:
            counts[i] += 1
    pending: list[tuple[datetime, ClaimDraft, LibraryEntry, dict[str, Any]]] = []
    for claim, n in zip(gradable, counts, strict=True):
        chosen: set[int] = set()
        since = claim.split_at or claim.ingested
        if claim.parent is not None:
            since = desk.claims[claim.parent].split_at or since
        for _ in range(n):
            for _attempt in range(20):
                cited = desk.cite(claim.treatment)
                if cited.id not in chosen:
                    break
            else:
                continue
            chosen.add(cited.id)
            at = desk.later(max(since, cited.imported_at), 25)
            if claim.retired_at is not None and at >= claim.retired_at:
                at = desk.between(max(since, cited.imported_at), claim.retired_at)
            pending.append((at, claim, cited, judgement(desk)))
    pending.sort(key=lambda p: p[0])
    rows = desk.work.rows("evidence_links")
    for link_id, (at, claim, cited, values) in enumerate(pending, start=1):
        who = desk.someone(Role.REVIEWER, Role.EDITOR)
        stance = values.pop("stance")
        row = {"id": link_id, "claim_id": claim.id, "citation_id": cited.id,
               "stance": stance.value, **values, "created_by_id": who[0], "created_at": at,
               "updated_by_id": None, "updated_at": at, "version": 1}
        state = {"citation": cited.key, "stance": stance.value, "locator": row["locator"],
                 "note": row["note"], **{k: row[k] for k in CONCERNS + UPGRADES}}
        desk.event(at, who, "evidence.link", "evidence_link", link_id,
                   f"linked {cited.key} to claim #{claim.id} ({stance.value})",
                   document_id=claim.document, claim_id=claim.id, after=state)
        if rng.random() < 0.06:  # judged again later (GRADE moves certainty, not status)
            name = rng.choice(CONCERNS)
            before = row[name]
            row[name] = Concern.SERIOUS.value if before != Concern.SERIOUS.value \
                else Concern.NONE.value
            judge = desk.someone(Role.REVIEWER)
            row.update(updated_by_id=judge[0], updated_at=desk.later(at, 20), version=2)
            desk.event(row["updated_at"], judge, "evidence.judge", "evidence_link", link_id,
                       f"{cited.key} on claim #{claim.id}: {name} → {row[name]}",
                       document_id=claim.document, claim_id=claim.id,
                       before={name: before}, after={name: row[name]})
        rows.append(row)
        judgements = grading.Judgements(
            **{k: Concern(row[k]) if row[k] else None for k in CONCERNS},
            **{k: row[k] for k in UPGRADES})
        claim.links.append((at, link_id, grading.Evidence(
            citation=cited.key, design=cited.design, stance=stance, judgements=judgements,
            verified=cited.verified, retracted=cited.retracted)))


def judgement(desk: Desk) -> dict[str, Any]:
    """A link's stance, GRADE judgements (most not judged), locator and note."""
    rng = desk.rng
    judged = rng.random() < 0.35  # most links carry no concern: "not judged" (NULL)
    values: dict[str, Any] = {k: pick(rng, CONCERN_WEIGHTS).value if judged else None
                              for k in CONCERNS}
    values["large_effect"] = rng.random() < 0.03
    values["dose_response"] = rng.random() < 0.02
    values["stance"] = pick(rng, STANCES)
    values["locator"] = rng.choice(("", "", "Table 2", "Figure 3", "p. 14", "Results",
                                    "Abstract", "Table 1, row 4"))
    values["note"] = rng.choice((
        "", "Synthetic note: primary outcome matches the claim.",
        "Synthetic note: small sample, short follow-up.",
        "Synthetic note: population differs from the article's readers.",
        "Synthetic note: effect size reported as a 2-point reduction on an 11-point scale."))
    return values


def grades(desk: Desk) -> None:
    """Store each claim's verdict and its status history the way regrade() writes them."""
    for top in desk.claims.values():
        if top.parent is None:
            replay(desk, top)


def replay(desk: Desk, top: ClaimDraft) -> None:
    """A claim's (and its parts') grade at each moment its evidence or requirement changed,
    as `tracker.grading` computes it; the last one stored on the rows, each status move in
    the history."""
    parts = [desk.claims[i] for i in top.parts]
    moments: set[datetime] = {at for at, _, _ in top.links}
    for part in parts:
        moments.update(at for at, _, _ in part.links)
    if top.split_at is not None:
        moments.add(top.split_at)
    if top.override is not None:
        moments.add(top.override[4])
    state: dict[int, tuple[str, str | None, str | None, str, str]] = {}
    changes: dict[int, int] = defaultdict(int)
    last_change: dict[int, datetime] = {}

    def store(claim: ClaimDraft, at: datetime, verdict: grading.Verdict) -> None:
        status = verdict.status.value
        certainty = verdict.certainty.value if verdict.certainty else None
        standing = verdict.standing.value if verdict.standing else None
        requirement = f"{verdict.requirement.description} ({verdict.requirement.reason})"
        new = (status, certainty, standing, verdict.explanation, requirement)
        old = state.get(claim.id)
        if old is None:  # enters the history as not reviewed (note_new_claim)
            claim.history.append((at, None, ClaimStatus.NOT_REVIEWED.value))
            old = (ClaimStatus.NOT_REVIEWED.value, None, None, "", "")
        if old[0] != status:
            claim.history.append((at, old[0], status))
        if old != new:
            changes[claim.id] += 1
            last_change[claim.id] = at
        state[claim.id] = new

    def verdict_of(claim: ClaimDraft, at: datetime, parent_text: str | None) -> grading.Verdict:
        items = [e for t, _, e in claim.links if t <= at]
        if claim.override is not None and claim.override[4] <= at:
            n, designs, why, _, _ = claim.override
            requirement = grading.override_requirement(
                n, [StudyDesign(d) for d in designs], why)
        else:
            requirement = grading.requirement_for(parent_text or claim.text, claim.category,
                                                  grading.propose_track(claim.text)[0])
        return grading.grade(items, requirement, grading.propose_track(claim.text)[0])

    store(top, top.ingested, verdict_of(top, top.ingested, None))
    for at in sorted(moments):
        if top.retired_at is not None and at >= top.retired_at:
            break
        own = verdict_of(top, at, None)
        live_parts = parts if top.split_at is not None and at >= top.split_at else []
        graded = []
        for part in live_parts:
            verdict = verdict_of(part, at, top.text)
            store(part, at, verdict)
            graded.append((part.text, verdict))
        store(top, at, grading.combine(graded) if graded else own)
    if top.retired_at is not None:
        top.history.append((top.retired_at, state[top.id][0], None))
    for claim in [top, *parts]:
        status, certainty, standing, explanation, requirement = state.get(
            claim.id, (ClaimStatus.NOT_REVIEWED.value, None, None, "", ""))
        track, track_reason = grading.propose_track(claim.text)
        row = claim.row
        row.update(status=status, certainty=certainty, standing=standing,
                   explanation=explanation, requirement=requirement,
                   version=1 + changes[claim.id],
                   updated_at=last_change.get(claim.id, claim.ingested),
                   track=track.value, track_source="rule", track_reason=track_reason,
                   rules_version=grading.RULES_VERSION)
        if claim.retired_at is not None:
            row.update(retired=True, retired_at=claim.retired_at,
                       updated_at=claim.retired_at, version=row["version"] + 1)
        if claim.override is not None:
            n, designs, why, by, at_ = claim.override
            row.update(override_min_count=n, override_designs=designs, override_reason=why,
                       override_by_id=by, override_at=at_, version=row["version"] + 1)
