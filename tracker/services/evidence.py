"""Evidence links, GRADE judgements, required-evidence overrides, splits and sign-off.

Every change that can move a claim's grade ends with `regrade()`, which applies the pure rules
of `tracker.grading` and stores the verdict on the claim (so coverage is a GROUP BY), writing a
`StatusChange` whenever the status moves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import db, grading
from tracker.errors import Conflict, InvalidInput, NotFound
from tracker.limits import MAX_LOCATOR_CHARS, MAX_NOTE_CHARS, check_text
from tracker.models import Citation, Claim, EvidenceLink, StatusChange, utcnow
from tracker.services.access import Actor, authorize, record
from tracker.vocabulary import (
    ClaimCategory,
    ClaimStatus,
    Concern,
    Stance,
    StudyDesign,
)

CONCERNS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
UPGRADES = ("large_effect", "dose_response")


@dataclass(frozen=True, slots=True)
class LinkInfo:
    id: int
    claim_id: int
    citation_id: int
    citation_key: str
    stance: str
    locator: str
    note: str
    judgements: dict[str, Any]
    version: int


def _link_info(link: EvidenceLink) -> LinkInfo:
    return LinkInfo(
        id=link.id, claim_id=link.claim_id, citation_id=link.citation_id,
        citation_key=link.citation.key, stance=link.stance, locator=link.locator,
        note=link.note, judgements=_judgements_of(link), version=link.version,
    )


def _judgements_of(link: EvidenceLink) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(link, name) for name in CONCERNS}
    values.update({name: bool(getattr(link, name)) for name in UPGRADES})
    return values


def parse_judgements(values: dict[str, Any]) -> dict[str, Any]:
    """Validate judgement names and values ("none", "serious", "very-serious"; booleans)."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name in CONCERNS:
            try:
                clean[name] = Concern(str(value).replace("_", "-").lower()).value
            except ValueError:
                raise InvalidInput(
                    f"{name}: {value!r} is not one of none, serious, very-serious"
                ) from None
        elif name in UPGRADES:
            if not isinstance(value, bool):
                raise InvalidInput(f"{name}: expected true or false, got {value!r}")
            clean[name] = value
        else:
            raise InvalidInput(
                f"unknown judgement {name!r}; use {', '.join(CONCERNS + UPGRADES)}"
            )
    return clean


def lock_sentences(session: Session, claim_ids: Iterable[int]) -> None:
    """Make writers of the same sentence (a claim with its parts) wait for each other.

    Each write that regrades a claim or checks a rule over its rows (one link per citation,
    one open flag per kind) takes this lock before reading them. Without it, on PostgreSQL
    (READ COMMITTED), two such transactions each graded the claim without the other's evidence
    — the second then failed on the claim's version though nobody had changed what it read —
    and both could add the same open flag. The lock is on the sentence's row, in id order, so
    parts and their sentence are locked in one order. On SQLite, where BEGIN IMMEDIATE already
    serialises writers, there is nothing to lock and no query is run."""
    if db.is_sqlite(session.get_bind()):
        return
    ids = sorted(set(claim_ids))
    tops: set[int] = set()
    for start in range(0, len(ids), 5000):
        tops.update(session.scalars(select(func.coalesce(Claim.parent_id, Claim.id))
                                    .where(Claim.id.in_(ids[start:start + 5000]))))
    ordered = sorted(tops)
    for start in range(0, len(ordered), 5000):
        session.execute(select(Claim.id).where(Claim.id.in_(ordered[start:start + 5000]))
                        .order_by(Claim.id).with_for_update(key_share=True)).all()


def lock_document(session: Session, document_id: int) -> None:
    """`lock_sentences` for every sentence of a document: what a bulk writer of the document
    (a revised article, a review) takes before it reads the claims it will change."""
    if db.is_sqlite(session.get_bind()):
        return
    lock_sentences(session, session.scalars(select(Claim.id).where(
        Claim.document_id == document_id, Claim.parent_id.is_(None))).all())


def _live_claim(session: Session, claim_id: int) -> Claim:
    lock_sentences(session, [claim_id])
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"no claim #{claim_id}")
    if claim.retired:
        raise InvalidInput(f"claim #{claim_id} is retired (no longer in the article)")
    return claim


def _link(session: Session, link_id: int) -> EvidenceLink:
    """The link, read after its sentence is locked (so its version is the committed one)."""
    claim_id = session.scalar(select(EvidenceLink.claim_id).where(EvidenceLink.id == link_id))
    if claim_id is not None:
        lock_sentences(session, [claim_id])
    link = session.get(EvidenceLink, link_id, populate_existing=True)
    if link is None:
        raise NotFound(f"no evidence link #{link_id}")
    return link


def _check_version(kind: str, ident: int, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise Conflict(
            f"{kind} #{ident} was changed by someone else since you read it (version "
            f"{expected}, now {current}); reload and apply your change again"
        )


# --- links -----------------------------------------------------------------------------------


def link_evidence(
    session: Session,
    actor: Actor,
    claim_id: int,
    citation_id: int,
    stance: Stance,
    *,
    locator: str = "",
    note: str = "",
    judgements: dict[str, Any] | None = None,
) -> LinkInfo:
    """Link a citation to a claim. One link per (claim, citation); open flags stay open."""
    authorize(actor, "evidence.link")
    claim = _live_claim(session, claim_id)
    citation = session.get(Citation, citation_id)
    if citation is None:
        raise NotFound(f"no citation #{citation_id}")
    existing = session.scalar(select(EvidenceLink).where(
        EvidenceLink.claim_id == claim_id, EvidenceLink.citation_id == citation_id))
    if existing is not None:
        raise Conflict(
            f"{citation.key} is already linked to claim #{claim_id} (link #{existing.id}); "
            "edit that link instead"
        )
    link = EvidenceLink(
        claim_id=claim.id, citation_id=citation.id, stance=Stance(stance).value,
        locator=check_text(locator, "the locator", MAX_LOCATOR_CHARS),
        note=check_text(note, "the note", MAX_NOTE_CHARS), created_by_id=actor.id,
        **parse_judgements(judgements or {}),
    )
    link.citation = citation
    session.add(link)
    session.flush()
    info = _link_info(link)
    record(session, actor, "evidence.link", "evidence_link", link.id,
           f"linked {citation.key} to claim #{claim.id} ({info.stance})",
           document_id=claim.document_id, claim_id=claim.id,
           after=_link_state(info))
    regrade(session, [claim.id])
    return info


def _link_state(info: LinkInfo) -> dict[str, Any]:
    return {"citation": info.citation_key, "stance": info.stance, "locator": info.locator,
            "note": info.note, **info.judgements}


def update_link(
    session: Session,
    actor: Actor,
    link_id: int,
    *,
    expected_version: int | None = None,
    stance: Stance | None = None,
    locator: str | None = None,
    note: str | None = None,
    judgements: dict[str, Any] | None = None,
) -> LinkInfo:
    """Change a link's stance, locator, note or judgements (optimistic locking)."""
    authorize(actor, "evidence.edit")
    link = _link(session, link_id)
    _check_version("evidence link", link.id, link.version, expected_version)
    before = _link_state(_link_info(link))
    if stance is not None:
        link.stance = Stance(stance).value
    if locator is not None:
        link.locator = check_text(locator, "the locator", MAX_LOCATOR_CHARS)
    if note is not None:
        link.note = check_text(note, "the note", MAX_NOTE_CHARS)
    for name, value in parse_judgements(judgements or {}).items():
        setattr(link, name, value)
    after = _link_state(_link_info(link))
    changed = {k: after[k] for k in after if after[k] != before[k]}
    if not changed:  # nothing to save: no new version, no audit event
        return _link_info(link)
    link.updated_by_id = actor.id
    session.flush()
    info = _link_info(link)
    action = "evidence.judge" if set(changed) <= set(CONCERNS + UPGRADES) else "evidence.edit"
    record(session, actor, action, "evidence_link", link.id,
           f"{info.citation_key} on claim #{link.claim_id}: "
           + ", ".join(f"{k} → {v}" for k, v in changed.items()),
           document_id=link.claim.document_id, claim_id=link.claim_id,
           before={k: before[k] for k in changed}, after=changed)
    regrade(session, [link.claim_id])
    return info


def unlink(
    session: Session, actor: Actor, link_id: int, *, expected_version: int | None = None
) -> None:
    authorize(actor, "evidence.unlink")
    link = _link(session, link_id)
    _check_version("evidence link", link.id, link.version, expected_version)
    info = _link_info(link)
    claim_id, document_id = link.claim_id, link.claim.document_id
    session.delete(link)
    session.flush()
    record(session, actor, "evidence.unlink", "evidence_link", info.id,
           f"removed {info.citation_key} from claim #{claim_id}",
           document_id=document_id, claim_id=claim_id, before=_link_state(info))
    regrade(session, [claim_id])


# --- what a claim needs, splits, sign-off ----------------------------------------------------


def override_requirement(
    session: Session,
    actor: Actor,
    claim_id: int,
    min_count: int,
    designs: Sequence[StudyDesign],
    reason: str,
    *,
    expected_version: int | None = None,
) -> str:
    """Set what a claim needs, replacing the rules' requirement; returns its description."""
    authorize(actor, "claim.override")
    claim = _live_claim(session, claim_id)
    _check_version("claim", claim.id, claim.version, expected_version)
    try:
        requirement = grading.override_requirement(min_count, designs, reason)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    before = {"requirement": claim.requirement}
    claim.override_min_count = min_count
    claim.override_designs = sorted(StudyDesign(d).value for d in designs)
    claim.override_reason = reason.strip()
    claim.override_by_id = actor.id
    claim.override_at = utcnow()
    session.flush()
    regrade(session, [claim.id])
    record(session, actor, "claim.override", "claim", claim.id,
           f"claim #{claim.id} needs {requirement.description}: {reason.strip()}",
           document_id=claim.document_id, claim_id=claim.id, before=before,
           after={"requirement": requirement.description, "reason": reason.strip()})
    return requirement.description


def clear_override(session: Session, actor: Actor, claim_id: int) -> None:
    authorize(actor, "claim.override-clear")
    claim = _live_claim(session, claim_id)
    if claim.override_min_count is None:
        return
    before = {"requirement": claim.requirement, "reason": claim.override_reason}
    claim.override_min_count = None
    claim.override_designs = None
    claim.override_reason = None
    claim.override_by_id = None
    claim.override_at = None
    session.flush()
    regrade(session, [claim.id])
    record(session, actor, "claim.override-clear", "claim", claim.id,
           f"claim #{claim.id} follows the rules again", document_id=claim.document_id,
           claim_id=claim.id, before=before, after={"requirement": claim.requirement})


def split_claim(
    session: Session, actor: Actor, claim_id: int, parts: Sequence[str], reason: str
) -> list[int]:
    """Split a compound sentence into parts graded on their own (e.g. three indications).

    Each part is a verbatim fragment of the sentence. Returns the parts' claim ids."""
    authorize(actor, "claim.split")
    claim = _live_claim(session, claim_id)
    if claim.parent_id is not None:
        raise InvalidInput(f"claim #{claim_id} is itself a part; split the whole sentence")
    if len(parts) < 2:
        raise InvalidInput("a split needs at least two parts")
    if not reason.strip():
        raise InvalidInput("a split needs a reason")
    existing = set(session.scalars(select(Claim.text).where(
        Claim.parent_id == claim.id, Claim.retired.is_(False))))
    created: list[Claim] = []
    for ordinal, fragment in enumerate(parts):
        text = fragment.strip()
        at = claim.text.find(text)
        if not text or at < 0:
            raise InvalidInput(f"part {fragment!r} is not in the sentence of claim #{claim_id}")
        if text in existing:
            continue
        part = Claim(
            document_id=claim.document_id, section_id=claim.section_id, parent_id=claim.id,
            ordinal=ordinal, text=text, span_start=claim.span_start + at,
            span_end=claim.span_start + at + len(text), category=claim.category,
            category_rule=f"part of claim #{claim.id}",
            fingerprint=f"{claim.fingerprint}:{ordinal}",
        )
        session.add(part)
        created.append(part)
    if not created:
        return _part_ids(session, claim.id)
    session.flush()
    for part in created:
        note_new_claim(session, part)
    regrade(session, [claim.id])
    record(session, actor, "claim.split", "claim", claim.id,
           f"claim #{claim.id} split into {len(created)} parts: {reason.strip()}",
           document_id=claim.document_id, claim_id=claim.id,
           after={"parts": [p.text for p in created], "reason": reason.strip()})
    return _part_ids(session, claim.id)


def _part_ids(session: Session, claim_id: int) -> list[int]:
    return list(session.scalars(select(Claim.id).where(
        Claim.parent_id == claim_id, Claim.retired.is_(False)).order_by(Claim.ordinal)))


def sign_off(
    session: Session, actor: Actor, claim_id: int, *, expected_version: int | None = None
) -> str:
    """An editor confirms the claim's current grade; the sign-off goes stale if it moves."""
    authorize(actor, "claim.sign-off")
    claim = _live_claim(session, claim_id)
    _check_version("claim", claim.id, claim.version, expected_version)
    claim.signed_off_by_id = actor.id
    claim.signed_off_at = utcnow()
    claim.signed_off_status = claim.status
    session.flush()
    record(session, actor, "claim.sign-off", "claim", claim.id,
           f"claim #{claim.id} signed off as {claim.status}", document_id=claim.document_id,
           claim_id=claim.id, after={"status": claim.status})
    return claim.status


# --- grading ---------------------------------------------------------------------------------


def requirement_of(claim: Claim, parent_text: str | None = None) -> grading.Requirement:
    if claim.override_min_count is not None and claim.override_reason:
        return grading.override_requirement(
            claim.override_min_count,
            [StudyDesign(d) for d in claim.override_designs or []],
            claim.override_reason,
        )
    return grading.requirement_for(parent_text or claim.text, ClaimCategory(claim.category))


def evidence_for(session: Session, claim_ids: Iterable[int]) -> dict[int, list[grading.Evidence]]:
    """The grading inputs of each claim, in one query."""
    ids = list(set(claim_ids))
    found: dict[int, list[grading.Evidence]] = defaultdict(list)
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        rows = session.execute(
            select(EvidenceLink.claim_id, Citation.key, Citation.design, EvidenceLink.stance,
                   *[getattr(EvidenceLink, n) for n in CONCERNS + UPGRADES],
                   Citation.verified, Citation.retracted)
            .join(Citation, Citation.id == EvidenceLink.citation_id)
            .where(EvidenceLink.claim_id.in_(chunk))
            .order_by(EvidenceLink.claim_id, EvidenceLink.id)
        )
        for row in rows:
            judgements = grading.Judgements(
                risk_of_bias=Concern(row[4]), inconsistency=Concern(row[5]),
                indirectness=Concern(row[6]), imprecision=Concern(row[7]),
                publication_bias=Concern(row[8]), large_effect=bool(row[9]),
                dose_response=bool(row[10]),
            )
            found[row[0]].append(grading.Evidence(
                citation=row[1], design=StudyDesign(row[2]) if row[2] else None,
                stance=Stance(row[3]), judgements=judgements, verified=bool(row[11]),
                retracted=bool(row[12]),
            ))
    return found


def regrade(session: Session, claim_ids: Iterable[int]) -> None:
    """Recompute and store the verdict of these claims and of the sentences they are parts of
    (a split sentence takes its verdict from its parts), recording status changes."""
    ids = set(claim_ids)
    if not ids:
        return
    session.flush()
    # Every writer that regrades waits here for the others on the same sentences, the bulk
    # ones too (a retraction, a revised article, a review); the claims are then read afresh.
    lock_sentences(session, ids)
    touched = _load(session, ids)
    top_ids = {c.parent_id if c.parent_id is not None else c.id for c in touched}
    tops = [c for c in _load(session, top_ids) if not c.retired]
    parts_of: dict[int, list[Claim]] = defaultdict(list)
    for start in range(0, len(tops), 5000):
        chunk = [c.id for c in tops[start:start + 5000]]
        for part in session.scalars(select(Claim).where(
                Claim.parent_id.in_(chunk), Claim.retired.is_(False)).order_by(Claim.ordinal)):
            parts_of[part.parent_id or 0].append(part)
    evidence = evidence_for(
        session, [c.id for c in tops] + [p.id for ps in parts_of.values() for p in ps])
    for top in tops:
        own = grading.grade(evidence.get(top.id, []), requirement_of(top),
                            ClaimCategory(top.category))
        parts = parts_of.get(top.id, [])
        graded: list[tuple[str, grading.Verdict]] = []
        for part in parts:
            verdict = grading.grade(evidence.get(part.id, []),
                                    requirement_of(part, parent_text=top.text),
                                    ClaimCategory(part.category))
            _store(session, part, verdict)
            graded.append((part.text, verdict))
        # A split sentence is graded by its parts; links on the whole sentence stay listed.
        _store(session, top, grading.combine(graded) if graded else own)
    session.flush()


def _load(session: Session, ids: Iterable[int]) -> list[Claim]:
    wanted = list(ids)
    loaded: list[Claim] = []
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start:start + 5000]
        loaded.extend(session.scalars(select(Claim).where(Claim.id.in_(chunk))
                                      .execution_options(populate_existing=True)))
    return loaded


def _store(session: Session, claim: Claim, verdict: grading.Verdict) -> None:
    status = verdict.status.value
    certainty = verdict.certainty.value if verdict.certainty else None
    requirement = f"{verdict.requirement.description} ({verdict.requirement.reason})"
    if status != claim.status:
        session.add(StatusChange(document_id=claim.document_id, claim_id=claim.id,
                                 from_status=claim.status, to_status=status))
    if (claim.status, claim.certainty, claim.explanation, claim.requirement) != (
            status, certainty, verdict.explanation, requirement):
        claim.status = status
        claim.certainty = certainty
        claim.explanation = verdict.explanation
        claim.requirement = requirement


def note_new_claim(session: Session, claim: Claim) -> None:
    """A claim enters the status history (as unsupported: nothing is linked yet)."""
    claim.status = ClaimStatus.UNSUPPORTED.value
    session.add(StatusChange(document_id=claim.document_id, claim_id=claim.id,
                             from_status=None, to_status=claim.status))


def note_retired_claim(session: Session, claim: Claim) -> None:
    session.add(StatusChange(document_id=claim.document_id, claim_id=claim.id,
                             from_status=claim.status, to_status=None))
