"""What editors do to a desk over the year: override a claim's requirement, revise an
article (retiring claims), sign claims off, raise and close flags, and open questions (with
the citations reviewers add to them)."""

from __future__ import annotations

from datetime import timedelta

from tracker.vocabulary import (
    ClaimStatus,
    FlagState,
    Priority,
    QuestionStatus,
    Role,
    StudyDesign,
)

from .generator import DAY, Desk, pick
from .vocabulary import CONDITION_WEIGHTS, CONDITIONS, FLAG_KINDS


def overrides_and_revisions(desk: Desk) -> None:
    """Editors' decisions that change what a claim needs (overrides of the requirement) or
    retire it (a revision of the article that drops a few sentences)."""
    rng = desk.rng
    tops = [c for c in desk.claims.values() if c.parent is None and not c.parts]
    for claim in rng.sample(tops, max(1, len(tops) // 200)):
        designs = sorted(rng.sample([StudyDesign.RCT.value, StudyDesign.COHORT.value,
                                     StudyDesign.SYSTEMATIC_REVIEW.value,
                                     StudyDesign.CASE_SERIES.value], rng.randint(1, 3)))
        editor = desk.someone(Role.EDITOR)
        claim.override = (rng.randint(1, 2), designs,
                          "synthetic override: the sentence is narrower than its category",
                          editor[0], desk.later(claim.ingested, 30))
    revised = rng.sample(desk.documents, max(1, len(desk.documents) // 10))
    retired = 0
    for document in revised:
        t_rev = desk.between(document["ingested_at"] + 60 * DAY, desk.end - DAY)
        if t_rev >= desk.end - DAY:
            continue
        ids = [i for i in desk.document_claims[document["id"]]
               if not desk.claims[i].parts and desk.claims[i].override is None]
        gone = rng.sample(ids, max(1, len(ids) // 30))
        for claim_id in gone:
            desk.claims[claim_id].retired_at = t_rev
        retired += len(gone)
        document["updated_at"] = t_rev
        document["version"] = 2
        editor = desk.someone(Role.EDITOR)
        for claim_id in gone:
            desk.event(t_rev, editor, "claim.retire", "claim", claim_id,
                       "no longer in the article", document_id=document["id"],
                       before={"text": desk.claims[claim_id].text},
                       after={"retired": True})
        desk.event(t_rev, editor, "document.revise", "document", document["id"],
                   f"re-ingested {document['source_path']}: {len(ids) - len(gone)} kept, "
                   f"0 edited, 0 added, {len(gone)} retired", document_id=document["id"],
                   before={"content_hash": document["content_hash"],
                           "path": document["source_path"]},
                   after={"content_hash": document["content_hash"],
                          "path": document["source_path"], "kept": len(ids) - len(gone),
                          "edited": 0, "added": 0, "retired": len(gone)})
    desk.work.facts["retired_claims"] = retired
    desk.work.facts["overrides"] = sum(1 for c in desk.claims.values() if c.override)


def sign_offs(desk: Desk) -> None:
    """Editors sign off some supported claims (and a few others), some before the grade
    moved on."""
    rng = desk.rng
    for claim in desk.claims.values():
        row = claim.row
        if claim.parent is not None or row["retired"]:
            continue
        if not (row["status"] == ClaimStatus.SUPPORTED.value and rng.random() < 0.15
                or rng.random() < 0.01):
            continue
        moves = [h for h in claim.history if h[2] is not None]
        if len(moves) > 1 and rng.random() < 0.1:  # signed off, then the grade moved on
            k = rng.randrange(len(moves) - 1)
            at, status = desk.between(moves[k][0], moves[k + 1][0]), moves[k][2]
        else:
            at, status = desk.later(moves[-1][0], 10), row["status"]
        editor = desk.someone(Role.EDITOR)
        row.update(signed_off_by_id=editor[0], signed_off_at=at, signed_off_status=status,
                   version=row["version"] + 1)
        desk.event(at, editor, "claim.sign-off", "claim", claim.id,
                   f"claim #{claim.id} signed off as {status}", document_id=claim.document,
                   claim_id=claim.id, after={"status": status})


def flags(desk: Desk) -> None:
    """Editors' flags, mostly on claims not supported, most of them closed (resolved or
    dismissed); never two open flags of one kind on a claim."""
    size, rng = desk.size, desk.rng
    live = [c for c in desk.claims.values() if not c.row["retired"]]
    weak = [c for c in live if c.row["status"] != ClaimStatus.SUPPORTED.value]
    open_kinds: set[tuple[int, str]] = set()
    pending = []
    while len(pending) < size.flags:
        claim = rng.choice(weak if weak and rng.random() < 0.7 else live)
        kind = pick(rng, FLAG_KINDS)
        raised = desk.between(claim.ingested + DAY, desk.end)
        closed_at = raised + timedelta(days=rng.expovariate(1 / 12), hours=1)
        state = FlagState.OPEN
        if closed_at < desk.end and rng.random() < 0.85:
            state = FlagState.RESOLVED if rng.random() < 0.67 else FlagState.DISMISSED
        if state is FlagState.OPEN:
            if (claim.id, kind.value) in open_kinds:
                continue
            open_kinds.add((claim.id, kind.value))
        pending.append((raised, claim, kind, state, closed_at))
    pending.sort(key=lambda p: p[0])
    rows = desk.work.rows("flags")
    for flag_id, (raised, claim, kind, state, closed_at) in enumerate(pending, start=1):
        editor = desk.someone(Role.EDITOR)
        reason = rng.choice((
            "Synthetic flag: no source for the figure quoted",
            "Synthetic flag: the sentence says more than the trial found",
            "Synthetic flag: newer studies disagree",
            "Synthetic flag: the cited source cannot be found"))
        row = {"id": flag_id, "claim_id": claim.id, "kind": kind.value, "reason": reason,
               "state": state.value, "raised_by_id": editor[0], "raised_at": raised,
               "closed_by_id": None, "closed_at": None, "resolution": None, "version": 1}
        desk.event(raised, editor, "flag.raise", "flag", flag_id,
                   f"{kind.value} flag on claim #{claim.id}: {reason}",
                   document_id=claim.document, claim_id=claim.id,
                   after={"kind": kind.value, "reason": reason, "state": "open"})
        if state is not FlagState.OPEN:
            closer = desk.someone(Role.EDITOR)
            why = ("Synthetic resolution: evidence added" if state is FlagState.RESOLVED
                   else "Synthetic dismissal: the sentence is hedged enough")
            row.update(closed_by_id=closer[0], closed_at=closed_at, resolution=why,
                       version=2)
            verb = "resolve" if state is FlagState.RESOLVED else "dismiss"
            desk.event(closed_at, closer, f"flag.{verb}", "flag", flag_id,
                       f"{kind.value} flag on claim #{claim.id} {state.value}: {why}",
                       document_id=claim.document, claim_id=claim.id,
                       before={"state": "open"}, after={"state": state.value, "why": why})
        rows.append(row)


def questions(desk: Desk) -> None:
    """Three to six open questions per article, with the claims they concern and the
    citations reviewers found to address them."""
    rng = desk.rng
    question_id = 0
    for document in desk.documents:
        ids = [i for i in desk.document_claims[document["id"]]
               if not desk.claims[i].row["retired"]]
        treatment = desk.claims[ids[0]].treatment
        for k in range(1, rng.randint(3, 6) + 1):
            question_id += 1
            condition = rng.choices(CONDITIONS, CONDITION_WEIGHTS)[0]
            created = desk.later(document["ingested_at"], 10)
            editor = desk.someone(Role.EDITOR)
            slug = f"synthetic-question-{k}"
            status = pick(rng, {QuestionStatus.OPEN: 60, QuestionStatus.EMERGING: 25,
                                QuestionStatus.ANSWERED: 15})
            priority = pick(rng, {Priority.HIGH: 30, Priority.MEDIUM: 50, Priority.LOW: 20})
            linked = rng.sample(ids, min(len(ids), rng.randint(1, 4)))
            desk.work.rows("open_questions").append({
                "id": question_id, "document_id": document["id"], "slug": slug,
                "title": f"Synthetic open question {k}: how durable is the relief "
                         f"{treatment} gives in {condition}?",
                "description": "What the synthetic article leaves open (test data).",
                "status": status.value, "priority": priority.value,
                "created_by_id": editor[0], "created_at": created, "updated_at": created,
                "version": 1})
            desk.work.rows("question_claims").extend(
                {"question_id": question_id, "claim_id": c} for c in linked)
            desk.event(created, editor, "question.add", "question", question_id,
                       f"open question {slug!r} added", document_id=document["id"],
                       after={"slug": slug, "status": status.value,
                              "priority": priority.value, "claims": linked})
            addressed = {desk.cite(treatment).id for _ in range(rng.randint(0, 5))}
            for citation_id in sorted(addressed):
                who = desk.someone(Role.REVIEWER)
                cited = desk.citations[citation_id - 1]
                at = desk.later(max(created, cited.imported_at), 30)
                desk.work.rows("question_evidence").append({
                    "question_id": question_id, "citation_id": citation_id,
                    "note": "Synthetic note: addresses the question in part.",
                    "added_by_id": who[0], "added_at": at})
                desk.event(at, who, "question.evidence", "question", question_id,
                           f"{cited.key} addresses {slug!r}", document_id=document["id"],
                           after={"citation": cited.key,
                                  "note": "Synthetic note: addresses the question in part."})
