"""Dual review: two reviewers judge independently, what they agree on becomes the record, an
editor adjudicates the rest.

An editor puts a document under dual review (`require_dual_review`). From then on, for the
claims of that document, three judgements are never written directly (`dual_gate` refuses
it): a study's **stance** on a claim, a **study's appraisal** (for studies linked to those
claims) and a link's **directness**. Each is a `DualItem`; two reviewers enter it
independently (`enter_stance`, `enter_appraisal`, `enter_directness`), each entry a
`DualEntry` that nobody else can read — in any query, CLI command or page — until the second
entry arrives. Then:

- the two entries **agree** (the same judgement on every measured value; the reasons may
  differ): the first entry becomes the record through the record's own service
  (`evidence.link_evidence` / `update_link`, `appraisals.appraise`), acting as the reviewer
  whose entry completed the pair, its audit event naming both reviewers;
- they **differ**: the item waits for an editor (`adjudicate`), who sees both entries with
  their reasons and chooses one of them or their own judgement, with a reason; until then
  the claim's verdict says "awaiting adjudication" and uses neither entry (grading leaves the
  item out, docs/grading.md).

An editor assigns claims (their links' stance and directness) and studies (their appraisal)
to pairs of reviewers (`assign`): only the pair may then enter them, and they appear in the
pair's queues. Unassigned judgements take the first two reviewers who enter them. A study
not yet linked to a claim is proposed for it first (`propose_study`), visibly, so that both
reviewers judge it.

Two reviewers entering the same item at once share one row (inserted if absent, then locked),
so both entries are kept and the agreement is computed once, by whichever commits second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker import db
from tracker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tracker.limits import MAX_LOCATOR_CHARS, MAX_NOTE_CHARS, check_text
from tracker.models import (
    Citation,
    Claim,
    Document,
    DualEntry,
    DualEntryValue,
    DualItem,
    DualReviewDocument,
    EvidenceLink,
    ReviewAssignment,
    User,
    utcnow,
)
from tracker.services import appraisals, evidence
from tracker.services.access import Actor, authorize, record
from tracker.services.dual_gate import Decision, dual_documents_of_study
from tracker.vocabulary import (
    AppraisalTool,
    DirectnessElement,
    DualKind,
    DualState,
    Pools,
    Role,
    Stance,
)

__all__ = [
    "CHOICES",
    "EntryResult",
    "adjudicate",
    "assign",
    "enter_appraisal",
    "enter_directness",
    "enter_stance",
    "propose_study",
    "require_dual_review",
]

#: An editor's choices when adjudicating: one reviewer's entry (also given by username) or
#: their own judgement.
CHOICES = ("first", "second", "own")


@dataclass(frozen=True, slots=True)
class EntryResult:
    """What the reviewer who entered (or the editor who adjudicated) learns: the item, and —
    only once both entries are in — its state and what became the record."""

    item_id: int
    kind: str
    what: str  # "stance of schwartzman2009 on claim #30"
    state: str  # DualState; "open" while the other entry is not in (it says nothing more)
    outcome: str  # one line for people


# --- documents and assignments ---------------------------------------------------------------


def require_dual_review(session: Session, actor: Actor, document_id: int, required: bool,
                        reason: str = "") -> bool:
    """Put a document under dual review (or back to single review); False when it already
    was. Entries made so far stay, and waiting items can still be adjudicated."""
    authorize(actor, "document.dual-review")
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document #{document_id}")
    why = " ".join(check_text(reason, "the reason", MAX_NOTE_CHARS).split())
    row = session.get(DualReviewDocument, document.id)
    if required == (row is not None):
        return False
    if required:
        session.add(DualReviewDocument(document_id=document.id, required_by_id=actor.id,
                                       reason=why))
    else:
        assert row is not None
        session.delete(row)
    session.flush()
    record(session, actor, "document.dual-review", "document", document.id,
           f"{document.slug}: dual review {'required' if required else 'no longer required'}"
           + (f" ({why})" if why else ""), document_id=document.id,
           before={"dual_review": not required}, after={"dual_review": required, "reason": why})
    return True


def _dual_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document #{document_id}")
    if session.get(DualReviewDocument, document.id) is None:
        raise InvalidInput(f"document {document.slug!r} is not under dual review; an editor "
                           "requires it first (`tracker dual on`)")
    return document


def _reviewer(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise NotFound(f"no user named {username.strip()!r}")
    if not user.active:
        raise InvalidInput(f"user {user.username!r} is deactivated")
    if not Role(user.role).includes(Role.REVIEWER):
        raise InvalidInput(f"{user.username} is a {user.role}; a reviewer pair needs two "
                           "users with the reviewer role or higher")
    return user


def assign(session: Session, actor: Actor, document_id: int, reviewers: Sequence[str], *,
           claim_ids: Sequence[int] = (), citation_ids: Sequence[int] = ()) -> int:
    """Give claims (their links' stance and directness) and studies (their appraisal) of a
    document under dual review to a pair of reviewers; returns how many assignments changed
    (one audit event each)."""
    authorize(actor, "dual.assign")
    document = _dual_document(session, document_id)
    if len(reviewers) != 2:
        raise InvalidInput("name two reviewers (a pair), e.g. --reviewers rui,ana")
    first, second = (_reviewer(session, name) for name in reviewers)
    if first.id == second.id:
        raise InvalidInput(f"a pair needs two different reviewers, not {first.username} twice")
    if not claim_ids and not citation_ids:
        raise InvalidInput("name the claims or the studies to assign")
    targets: list[tuple[str, int | None, int | None, str]] = []
    for claim_id in claim_ids:
        claim = session.get(Claim, claim_id)
        if claim is None or claim.document_id != document.id:
            raise NotFound(f"no claim #{claim_id} in {document.slug!r}")
        if claim.retired:
            raise InvalidInput(f"claim #{claim_id} is retired (no longer in the article)")
        if claim.parent_id is not None:
            raise InvalidInput(f"claim #{claim_id} is a part of claim #{claim.parent_id}; "
                               "assign the whole sentence")
        targets.append((f"claim:{claim.id}", claim.id, None, f"claim #{claim.id}"))
    for citation_id in citation_ids:
        citation = session.get(Citation, citation_id)
        if citation is None:
            raise NotFound(f"no citation #{citation_id}")
        targets.append((f"study:{citation.id}", None, citation.id, citation.key))
    changed = 0
    for target, target_claim, target_study, label in targets:
        row = session.scalar(select(ReviewAssignment).where(
            ReviewAssignment.document_id == document.id, ReviewAssignment.target == target))
        pair = [first.username, second.username]
        before = None
        if row is not None:
            if {row.first_reviewer_id, row.second_reviewer_id} == {first.id, second.id}:
                continue
            before = {"reviewers": [_username(session, row.first_reviewer_id),
                                    _username(session, row.second_reviewer_id)]}
            row.first_reviewer_id, row.second_reviewer_id = first.id, second.id
            row.assigned_by_id, row.assigned_at = actor.id, utcnow()
        else:
            session.add(ReviewAssignment(
                document_id=document.id, target=target, claim_id=target_claim,
                citation_id=target_study, first_reviewer_id=first.id,
                second_reviewer_id=second.id, assigned_by_id=actor.id))
        session.flush()
        record(session, actor, "dual.assign", "document", document.id,
               f"{label} of {document.slug} assigned to {' and '.join(pair)}",
               document_id=document.id, claim_id=target_claim, before=before,
               after={"target": target, "reviewers": pair})
        changed += 1
    return changed


def _username(session: Session, user_id: int) -> str:
    return session.scalar(select(User.username).where(User.id == user_id)) or f"#{user_id}"


def _check_assigned(session: Session, actor: Actor, document_ids: Sequence[int],
                    targets: Sequence[str], what: str) -> int:
    """Refuse an entry from a reviewer outside the pair a judgement is assigned to; the
    document the entry counts for (the one assigning it to `actor`, else the first)."""
    rows = session.scalars(select(ReviewAssignment).where(
        ReviewAssignment.document_id.in_(document_ids),
        ReviewAssignment.target.in_(targets)).order_by(ReviewAssignment.id)).all()
    if not rows:
        return document_ids[0]
    for row in rows:
        if actor.id in (row.first_reviewer_id, row.second_reviewer_id):
            return row.document_id
    row = rows[0]
    raise PermissionDenied(
        f"{what} is assigned to {_username(session, row.first_reviewer_id)} and "
        f"{_username(session, row.second_reviewer_id)}; an editor assigns it to you first")


# --- items -----------------------------------------------------------------------------------


def _locked_item(session: Session, kind: DualKind, target: str, document_id: int,
                 claim_id: int | None, citation_id: int) -> DualItem:
    """The item of `target`, inserted if absent, locked for this transaction: a reviewer
    entering at the same moment waits here, then reads this one's entry."""
    values = {"kind": kind.value, "target": target, "document_id": document_id,
              "claim_id": claim_id, "citation_id": citation_id,
              "state": DualState.OPEN.value, "created_at": utcnow(), "version": 1}
    sqlite = db.is_sqlite(session.get_bind())
    insert = sqlite_insert(DualItem) if sqlite else postgresql_insert(DualItem)
    session.execute(insert.values(**values).on_conflict_do_nothing(index_elements=["target"]))
    query = select(DualItem).where(DualItem.target == target).execution_options(
        populate_existing=True)
    return session.scalars(query if sqlite else query.with_for_update()).one()


def _entries(session: Session, item: DualItem) -> list[DualEntry]:
    return list(session.scalars(select(DualEntry).where(DualEntry.item_id == item.id)
                                .order_by(DualEntry.submitted_at, DualEntry.id)
                                .execution_options(populate_existing=True)))


def _describe(session: Session, item: DualItem) -> str:
    key = session.scalar(select(Citation.key).where(Citation.id == item.citation_id))
    if item.kind == DualKind.APPRAISAL.value:
        return f"appraisal of {key}"
    if item.kind == DualKind.STANCE.value:
        return f"stance of {key} on claim #{item.claim_id}"
    return f"directness of {key} for claim #{item.claim_id}"


def _link_of(session: Session, claim_id: int | None, citation_id: int) -> EvidenceLink | None:
    return session.scalar(select(EvidenceLink).where(
        EvidenceLink.claim_id == claim_id, EvidenceLink.citation_id == citation_id))


def _claim_targets(claim: Claim) -> list[str]:
    """A part is assigned with its sentence."""
    targets = [f"claim:{claim.id}"]
    if claim.parent_id is not None:
        targets.append(f"claim:{claim.parent_id}")
    return targets


def propose_study(session: Session, actor: Actor, claim_id: int, citation_id: int,
                  reason: str) -> int:
    """Propose a study for a claim of a document under dual review, so that both reviewers
    judge its stance (visibly: a proposal carries no stance). Returns the item's id."""
    authorize(actor, "dual.propose")
    claim = evidence._live_claim(session, claim_id)
    document = _dual_document(session, claim.document_id)
    citation = session.get(Citation, citation_id)
    if citation is None:
        raise NotFound(f"no citation #{citation_id}")
    if _link_of(session, claim.id, citation.id) is not None:
        raise InvalidInput(f"{citation.key} is already linked to claim #{claim.id}: enter "
                           "its stance")
    why = " ".join(check_text(reason, "the reason", MAX_NOTE_CHARS).split())
    if not why:
        raise InvalidInput("say why the study bears on the claim")
    _check_assigned(session, actor, [document.id], _claim_targets(claim), f"claim #{claim.id}")
    item = _locked_item(session, DualKind.STANCE, f"stance:{claim.id}:{citation.id}",
                        document.id, claim.id, citation.id)
    if item.proposed_by_id is not None:
        raise Conflict(f"{citation.key} was already proposed for claim #{claim.id} by "
                       f"{_username(session, item.proposed_by_id)}")
    item.proposed_by_id, item.proposed_reason = actor.id, why
    session.flush()
    record(session, actor, "dual.propose", "dual_item", item.id,
           f"{citation.key} proposed for claim #{claim.id}: {why}", document_id=document.id,
           claim_id=claim.id, after={"citation": citation.key, "reason": why})
    return item.id


# --- what an entry says ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Judged:
    payload: dict[str, Any]  # everything entered, reasons included
    values: dict[str, str]  # what must agree, one value per measured judgement


def _stance(stance: Stance | str, reason: str, locator: str) -> _Judged:
    try:
        value = Stance(str(stance).strip().lower()).value
    except ValueError:
        raise InvalidInput(f"stance: {stance!r} is not one of "
                           + ", ".join(s.value for s in Stance)) from None
    why = " ".join(check_text(reason, "the reason", MAX_LOCATOR_CHARS).split())
    if not why:
        raise InvalidInput("a stance needs a one-line reason (a quote or a locator)")
    where = check_text(locator, "the locator", MAX_LOCATOR_CHARS)
    return _Judged({"stance": value, "reason": why, "locator": where}, {"stance": value})


def _appraisal(citation: Citation, tool: AppraisalTool | str,
               domains: Mapping[str, tuple[str, str]], pools: Pools | None, escalate: bool,
               note: str) -> _Judged:
    tool = AppraisalTool(tool)
    clean, overall = appraisals.prepare_appraisal(citation, tool, domains, pools=pools,
                                                  escalate=escalate)
    payload: dict[str, Any] = {
        "tool": tool.value, "overall": overall,
        "domains": {d.domain: [d.judgement, d.reason] for d in clean.values()},
        "pools": pools.value if pools else None, "escalate": escalate,
        "note": check_text(note, "the note", MAX_NOTE_CHARS)}
    values = {f"{tool.value}:{d.domain}": d.judgement for d in clean.values()}
    values[f"{tool.value}:overall"] = overall
    if tool is AppraisalTool.AMSTAR2 and pools is not None:
        values[f"{tool.value}:pools"] = pools.value
    if tool is AppraisalTool.ROB2:
        values[f"{tool.value}:escalate"] = "yes" if escalate else "no"
    return _Judged(payload, values)


def _directness(given: Mapping[Any, Any]) -> _Judged:
    clean = evidence.parse_directness(given)
    missing = [e.value for e in DirectnessElement if not clean.get(e.value, ("", ""))[0]]
    if missing:
        raise InvalidInput("a directness entry judges every element; missing: "
                           + ", ".join(missing))
    return _Judged({"directness": {e: list(v) for e, v in sorted(clean.items())}},
                   {e: v[0] for e, v in sorted(clean.items())})


def _judged_of(payload: Mapping[str, Any], kind: DualKind, citation: Citation) -> _Judged:
    """An entry's payload checked again (an editor's choice, or their own)."""
    if kind is DualKind.STANCE:
        return _stance(payload.get("stance", ""), str(payload.get("reason", "")),
                       str(payload.get("locator", "")))
    if kind is DualKind.APPRAISAL:
        domains = {k: (str(v[0]), str(v[1])) for k, v in dict(payload.get("domains") or {})
                   .items()}
        pools = Pools(payload["pools"]) if payload.get("pools") else None
        return _appraisal(citation, payload.get("tool", ""), domains, pools,
                          bool(payload.get("escalate", False)), str(payload.get("note", "")))
    return _directness(dict(payload.get("directness") or {}))


# --- entering --------------------------------------------------------------------------------


def enter_stance(session: Session, actor: Actor, claim_id: int, citation_id: int,
                 stance: Stance | str, reason: str, *, locator: str = "") -> EntryResult:
    """A reviewer's independent entry of a study's stance on a claim (a linked study, or one
    proposed for it), with a one-line reason; entering again replaces it while the other
    entry is not in."""
    authorize(actor, "dual.enter")
    claim = evidence._live_claim(session, claim_id)
    document = _dual_document(session, claim.document_id)
    citation = _citation(session, citation_id)
    judged = _stance(stance, reason, locator)
    target = f"stance:{claim.id}:{citation.id}"
    if _link_of(session, claim.id, citation.id) is None and session.scalar(
            select(DualItem.proposed_by_id).where(DualItem.target == target)) is None:
        raise InvalidInput(f"{citation.key} is not linked to claim #{claim.id}: propose it "
                           "first (`tracker dual propose`), so both reviewers judge it")
    _check_assigned(session, actor, [document.id], _claim_targets(claim), f"claim #{claim.id}")
    return _enter(session, actor, DualKind.STANCE, target, document.id, claim.id, citation,
                  judged)


def enter_appraisal(session: Session, actor: Actor, citation_id: int,
                    tool: AppraisalTool | str, domains: Mapping[str, tuple[str, str]], *,
                    pools: Pools | None = None, escalate: bool = False,
                    note: str = "") -> EntryResult:
    """A reviewer's independent appraisal of a study linked to (or proposed for) a claim of a
    document under dual review: the tool its design calls for, every domain with a reason."""
    authorize(actor, "dual.enter")
    citation = _citation(session, citation_id)
    documents = dual_documents_of_study(session, citation.id)
    if not documents:
        raise InvalidInput(f"{citation.key} bears on no claim of a document under dual "
                           "review: appraise it directly (`tracker appraise`)")
    judged = _appraisal(citation, tool, domains, pools, escalate, note)
    document_id = _check_assigned(session, actor, documents, [f"study:{citation.id}"],
                                  citation.key)
    return _enter(session, actor, DualKind.APPRAISAL, f"appraisal:{citation.id}", document_id,
                  None, citation, judged)


def enter_directness(session: Session, actor: Actor, claim_id: int, citation_id: int,
                     directness: Mapping[Any, Any]) -> EntryResult:
    """A reviewer's independent judgement of a link's directness: every element (population,
    intervention, comparator, outcome, setting) with a reason."""
    authorize(actor, "dual.enter")
    claim = evidence._live_claim(session, claim_id)
    document = _dual_document(session, claim.document_id)
    citation = _citation(session, citation_id)
    if _link_of(session, claim.id, citation.id) is None:
        raise InvalidInput(f"{citation.key} is not linked to claim #{claim.id} yet: its "
                           "directness is judged once its stance is the record")
    judged = _directness(directness)
    _check_assigned(session, actor, [document.id], _claim_targets(claim), f"claim #{claim.id}")
    return _enter(session, actor, DualKind.DIRECTNESS, f"directness:{claim.id}:{citation.id}",
                  document.id, claim.id, citation, judged)


def _citation(session: Session, citation_id: int) -> Citation:
    citation = session.get(Citation, citation_id)
    if citation is None:
        raise NotFound(f"no citation #{citation_id}")
    return citation


def _enter(session: Session, actor: Actor, kind: DualKind, target: str, document_id: int,
           claim_id: int | None, citation: Citation, judged: _Judged) -> EntryResult:
    item = _locked_item(session, kind, target, document_id, claim_id, citation.id)
    what = _describe(session, item)
    if item.state != DualState.OPEN.value:
        raise Conflict(f"the {what} is no longer open for entries ({item.state})")
    entries = _entries(session, item)
    mine = next((e for e in entries if e.reviewer_id == actor.id), None)
    if mine is None and len(entries) >= 2:  # an open item has fewer than two
        raise Conflict(f"the {what} already has two reviewers' entries")
    before = None
    if mine is None:
        mine = DualEntry(item_id=item.id, reviewer_id=actor.id, payload=judged.payload)
        session.add(mine)
    else:
        if mine.payload == judged.payload:
            return EntryResult(item.id, kind.value, what, item.state,
                               "your entry is unchanged (hidden until both have entered)")
        before = {"payload": mine.payload}
        mine.payload, mine.submitted_at = judged.payload, utcnow()
        mine.values[:] = []
        session.flush()
    mine.values.extend(DualEntryValue(field=f, value=v) for f, v in sorted(
        judged.values.items()))
    session.flush()
    record(session, actor, "dual.entry", "dual_item", item.id,
           f"{actor.username} entered the {what} (hidden until both reviewers have entered)",
           document_id=document_id, claim_id=claim_id, before=before,
           after={"kind": kind.value, "payload": judged.payload})
    entries = _entries(session, item)
    if len(entries) < 2:
        return EntryResult(item.id, kind.value, what, DualState.OPEN.value,
                           "entered; hidden from everyone else until the other reviewer's "
                           "entry is in")
    return _reveal(session, actor, item, citation, entries, what)


def _values(entry: DualEntry) -> dict[str, str]:
    return {v.field: v.value for v in entry.values}


def _reveal(session: Session, actor: Actor, item: DualItem, citation: Citation,
            entries: Sequence[DualEntry], what: str) -> EntryResult:
    first, second = entries[0], entries[1]
    names = (_username(session, first.reviewer_id), _username(session, second.reviewer_id))
    item.revealed_at = utcnow()
    differ = sorted(f for f in set(_values(first)) | set(_values(second))
                    if _values(first).get(f) != _values(second).get(f))
    both = {names[0]: first.payload, names[1]: second.payload}
    kind = DualKind(item.kind)
    if not differ:
        item.state, item.decision = DualState.AGREED.value, "agreed"
        item.decided_at, item.decided_payload = utcnow(), first.payload
        session.flush()
        record(session, actor, "dual.agree", "dual_item", item.id,
               f"{names[0]} and {names[1]} agree on the {what}: it is the record",
               document_id=item.document_id, claim_id=item.claim_id,
               before={"state": DualState.OPEN.value},
               after={"state": item.state, "entries": both})
        _apply(session, actor, item, citation, first.payload, Decision(item.id, "agreed", names))
        return EntryResult(item.id, kind.value, what, item.state,
                           f"{names[0]} and {names[1]} agree: the {what} is the record")
    item.state = DualState.AWAITING.value
    session.flush()
    record(session, actor, "dual.disagree", "dual_item", item.id,
           f"{names[0]} and {names[1]} differ on the {what} ({', '.join(differ)}): it awaits "
           "an editor's adjudication", document_id=item.document_id, claim_id=item.claim_id,
           before={"state": DualState.OPEN.value},
           after={"state": item.state, "differ": differ, "entries": both})
    evidence.regrade(session, _claims_of(session, item))
    return EntryResult(item.id, kind.value, what, item.state,
                       f"{names[0]} and {names[1]} differ on {', '.join(differ)}: the {what} "
                       "awaits an editor's adjudication")


def _claims_of(session: Session, item: DualItem) -> list[int]:
    if item.claim_id is not None:
        return [item.claim_id]
    return list(session.scalars(select(EvidenceLink.claim_id).where(
        EvidenceLink.citation_id == item.citation_id)))


def _apply(session: Session, actor: Actor, item: DualItem, citation: Citation,
           payload: Mapping[str, Any], decision: Decision) -> None:
    """Write the decided judgement through the record's own service, then regrade (the item
    no longer waits, whether or not the record changed)."""
    kind = DualKind(item.kind)
    link = _link_of(session, item.claim_id, item.citation_id)
    if kind is DualKind.STANCE:
        assert item.claim_id is not None
        if link is None:
            evidence.link_evidence(session, actor, item.claim_id, item.citation_id,
                                   Stance(payload["stance"]), locator=payload.get("locator", ""),
                                   note=payload.get("reason", ""), decision=decision)
        else:
            evidence.update_link(session, actor, link.id, stance=Stance(payload["stance"]),
                                 decision=decision)
    elif kind is DualKind.APPRAISAL:
        domains = {k: (v[0], v[1]) for k, v in payload["domains"].items()}
        appraisals.appraise(session, actor, citation.id, AppraisalTool(payload["tool"]),
                            domains, pools=Pools(payload["pools"]) if payload.get("pools")
                            else None, escalate=bool(payload.get("escalate")),
                            note=payload.get("note", ""), decision=decision)
    else:
        if link is None:
            raise InvalidInput(f"{citation.key} is no longer linked to claim #{item.claim_id}: "
                               "its directness has nothing to apply to")
        evidence.update_link(session, actor, link.id, directness={
            e: (v[0], v[1]) for e, v in payload["directness"].items()}, decision=decision)
    evidence.regrade(session, _claims_of(session, item))


# --- adjudicating ----------------------------------------------------------------------------


def adjudicate(session: Session, actor: Actor, item_id: int, choice: str, reason: str, *,
               own: Mapping[str, Any] | None = None,
               expected_version: int | None = None) -> EntryResult:
    """An editor decides a judgement the two reviewers differ on: `choice` is "first" or
    "second" (or that reviewer's username) to take their entry, or "own" with `own` (a
    payload of the item's kind: {"stance", "reason", "locator"}, {"tool", "domains", "pools",
    "escalate", "note"} or {"directness"}); always with a reason. An editor who entered one of
    the two entries does not adjudicate them."""
    authorize(actor, "dual.adjudicate")
    claim_id = session.scalar(select(DualItem.claim_id).where(DualItem.id == item_id))
    if claim_id is not None:
        db.lock_sentences(session, [claim_id])
    found = session.get(DualItem, item_id)
    if found is None:
        raise NotFound(f"no dual-review item #{item_id}")
    item = _locked_item(session, DualKind(found.kind), found.target, found.document_id,
                        found.claim_id, found.citation_id)
    evidence._check_version("dual-review item", item.id, item.version, expected_version)
    what = _describe(session, item)
    if item.state != DualState.AWAITING.value:
        raise InvalidInput(f"the {what} is not awaiting adjudication ({item.state})")
    entries = _entries(session, item)
    if actor.id in {e.reviewer_id for e in entries}:
        raise PermissionDenied(f"{actor.username} entered one of the two entries on the "
                               f"{what}; another editor adjudicates it")
    why = " ".join(check_text(reason, "the reason", MAX_NOTE_CHARS).split())
    if not why:
        raise InvalidInput("an adjudication needs a reason")
    names = (_username(session, entries[0].reviewer_id),
             _username(session, entries[1].reviewer_id))
    how = {names[0]: "first", names[1]: "second"}.get(choice.strip(), choice.strip().lower())
    if how not in CHOICES:
        raise InvalidInput(f"choose first ({names[0]}), second ({names[1]}) or own, not "
                           f"{choice!r}")
    citation = _citation(session, item.citation_id)
    kind = DualKind(item.kind)
    if how == "own":
        if not own:
            raise InvalidInput("your own judgement is missing: give it with the choice 'own'")
        payload = _judged_of(own, kind, citation).payload
    else:
        if own:
            raise InvalidInput(f"you chose the {how} entry; give your own judgement only "
                               "with the choice 'own'")
        payload = (entries[0] if how == "first" else entries[1]).payload
    item.state, item.decision, item.decision_reason = DualState.ADJUDICATED.value, how, why
    item.decided_by_id, item.decided_at, item.decided_payload = actor.id, utcnow(), payload
    session.flush()
    whose = {"first": f"{names[0]}'s entry", "second": f"{names[1]}'s entry",
             "own": "the editor's own judgement"}[how]
    record(session, actor, "dual.adjudicate", "dual_item", item.id,
           f"{what} adjudicated: {whose} ({why})", document_id=item.document_id,
           claim_id=item.claim_id, before={"state": DualState.AWAITING.value},
           after={"state": item.state, "decision": how, "reason": why, "record": payload})
    _apply(session, actor, item, citation, payload,
           Decision(item.id, how, names, actor.username, why))
    return EntryResult(item.id, kind.value, what, item.state,
                       f"the {what} is decided: {whose}")
