"""Applying a checked plan item by item through the use cases a reviewer or editor runs by
hand, and withdrawing what an earlier load recorded and the file no longer lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import Conflict, InvalidInput
from tracker.models import (
    Appraisal,
    BodyJudgement,
    Citation,
    Claim,
    EvidenceLink,
    EvidenceSearch,
    Flag,
)
from tracker.services import appraisals, evidence, flags
from tracker.services.access import Actor
from tracker.services.review.ledger import _Ledger, _one_line
from tracker.services.review.reading import (
    _Appraisal,
    _Body,
    _Flag,
    _Link,
    _Search,
    _Track,
)
from tracker.vocabulary import (
    BodyDomain,
    FlagState,
    Stance,
)


@dataclass(slots=True)
class LoadReport:
    path: str
    splits: int = 0
    links_added: int = 0
    links_updated: int = 0
    links_unchanged: int = 0
    appraisals: int = 0
    body_judgements: int = 0
    searches: int = 0
    tracks: int = 0
    flags_raised: int = 0
    flags_present: int = 0
    question_evidence: int = 0
    questions_added: int = 0
    to_check: int = 0
    skipped: list[str] = field(default_factory=list)  # left as people changed it, and why
    withdrawn: list[str] = field(default_factory=list)  # loaded before, no longer in the file


def _link_state(link: EvidenceLink | None, elements: set[str] | None = None
                ) -> dict[str, Any] | None:
    if link is None:
        return None
    return {"stance": link.stance, "locator": link.locator, "note": link.note,
            **evidence.judgements_of(link).as_stored(),
            **{name: getattr(link, name) for name in evidence.EFFECT_FIELDS},
            "directness": {d.element: [d.judgement, d.reason] for d in link.directness}}


def _link_wish(link: _Link) -> dict[str, Any]:
    effect = {name: None for name in evidence.EFFECT_FIELDS} | link.effect
    return {"stance": link.stance.value, "locator": link.locator, "note": link.note,
            **link.judgements.as_stored(), **effect,
            "directness": {k: [j, r] for k, (j, r) in link.directness.items() if j}}


def _apply_link(session: Session, actor: Actor, claim: Claim, link: _Link, ledger: _Ledger,
                report: LoadReport) -> None:
    item = f"link:{claim.id}:{link.key}"
    existing = session.scalar(select(EvidenceLink).where(
        EvidenceLink.claim_id == claim.id, EvidenceLink.citation_id == link.citation_id))
    decision = ledger.decide(item, _link_state(existing), _link_wish(link),
                             ledger.removal(claim.id, link.key))
    if decision == "unchanged":
        report.links_unchanged += 1
    elif decision == "add":
        evidence.link_evidence(session, actor, claim.id, link.citation_id, link.stance,
                               locator=link.locator, note=link.note, judgements=link.judgements,
                               directness=link.directness, effect=link.effect)
        report.links_added += 1
    elif decision == "update":
        assert existing is not None
        cleared = {e: ("not-judged", "") for e in {d.element for d in existing.directness}
                   - set(link.directness)}
        evidence.update_link(session, actor, existing.id, stance=link.stance,
                             locator=link.locator, note=link.note, judgements=link.judgements,
                             directness=link.directness | cleared,
                             effect={name: None for name in evidence.EFFECT_FIELDS}
                             | link.effect)
        report.links_updated += 1
    else:
        last = None if existing is None else existing.updated_by_id or existing.created_by_id
        who = "" if existing is None else f" (last by {ledger.who(last)})"
        report.skipped.append(f"link {link.key} on claim #{claim.id}: {decision[5:]}{who}; "
                              "left as it is")
        return
    session.flush()
    session.expire_all()
    ledger.remember(item, _link_state(session.scalar(select(EvidenceLink).where(
        EvidenceLink.claim_id == claim.id, EvidenceLink.citation_id == link.citation_id))))


def _appraisal_state(row: Appraisal | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"tool": row.tool, "pools": row.pools, "escalated": row.escalated,
            "note": row.note, "domains": {d.domain: [d.judgement, d.reason] for d in row.domains}}


def _apply_appraisal(session: Session, actor: Actor, item: _Appraisal, ledger: _Ledger,
                     report: LoadReport) -> None:
    key = f"appraisal:{item.key}"
    existing = session.scalar(select(Appraisal).where(Appraisal.citation_id == item.citation_id))
    clean = appraisals.parse_domains(item.tool, item.domains)
    wish = {"tool": item.tool.value, "pools": item.pools.value if item.pools else None,
            "escalated": item.escalate, "note": item.note.strip(),
            "domains": {d.domain: [d.judgement, d.reason] for d in clean.values()}}
    decision = ledger.decide(key, _appraisal_state(existing), wish)
    if decision.startswith("skip:"):
        who = "" if existing is None else f" (by {ledger.who(existing.appraised_by_id)})"
        report.skipped.append(f"appraisal of {item.key}: {decision[5:]}{who}; left as it is")
        return
    if decision != "unchanged":
        appraisals.appraise(session, actor, item.citation_id, item.tool, item.domains,
                            pools=item.pools, escalate=item.escalate, note=item.note)
        report.appraisals += 1
        session.flush()
        session.expire_all()
    ledger.remember(key, _appraisal_state(session.scalar(
        select(Appraisal).where(Appraisal.citation_id == item.citation_id))))


def _body_state(row: BodyJudgement | None) -> dict[str, Any] | None:
    return None if row is None else {"value": row.value, "reason": row.reason}


def _apply_body(session: Session, actor: Actor, claim: Claim, body: _Body, ledger: _Ledger,
                report: LoadReport) -> None:
    key = f"body:{claim.id}:{body.domain.value}"
    row = session.get(BodyJudgement, (claim.id, body.domain.value))
    wish = {"value": body.value.strip().lower(), "reason": _one_line(body.reason)}
    decision = ledger.decide(key, _body_state(row), wish)
    if decision.startswith("skip:"):
        report.skipped.append(f"claim #{claim.id} body {body.domain.value}: {decision[5:]}; "
                              "left as it is")
        return
    if decision != "unchanged":
        appraisals.judge_body(session, actor, claim.id, body.domain, body.value, body.reason)
        report.body_judgements += 1
    ledger.remember(key, _body_state(session.get(BodyJudgement, (claim.id, body.domain.value))))


def _apply_search(session: Session, actor: Actor, claim: Claim, search: _Search,
                  report: LoadReport) -> None:
    done = session.scalar(select(EvidenceSearch.id).where(
        EvidenceSearch.claim_id == claim.id, EvidenceSearch.sources == _one_line(search.sources)))
    if done is not None:
        return
    appraisals.record_search(session, actor, claim.id, search.sources, search.note,
                             at=search.at)
    report.searches += 1


def _apply_track(session: Session, actor: Actor, claim: Claim, track: _Track, ledger: _Ledger,
                 report: LoadReport) -> None:
    key = f"track:{claim.id}"

    def state() -> dict[str, Any] | None:
        if claim.track_source != "reviewer":
            return None
        return {"track": claim.track, "reason": claim.track_reason}

    decision = ledger.decide(key, state(), {"track": track.track.value,
                                            "reason": _one_line(track.reason)})
    if decision.startswith("skip:"):
        report.skipped.append(f"claim #{claim.id} track: {decision[5:]}; left as it is")
        return
    if decision != "unchanged":
        appraisals.set_track(session, actor, claim.id, track.track, track.reason)
        report.tracks += 1
    ledger.remember(key, state())


def _apply_flag(session: Session, actor: Actor, claim: Claim, raised: _Flag, ledger: _Ledger,
                report: LoadReport) -> None:
    item = f"flag:{claim.id}:{raised.kind.value}"
    ledger.seen.add(item)
    rows = session.scalars(select(Flag).where(
        Flag.claim_id == claim.id, Flag.kind == raised.kind.value).order_by(Flag.id)).all()
    if any(f.state == FlagState.OPEN.value for f in rows):
        report.flags_present += 1
        ledger.remember(item, _flag_state(rows))
        return
    if rows:
        last = rows[-1]
        when = f" on {last.closed_at:%Y-%m-%d}" if last.closed_at else ""
        report.skipped.append(
            f"{raised.kind.value} flag on claim #{claim.id}: {last.state} by "
            f"{ledger.who(last.closed_by_id)}{when}; not raised again")
        return
    flags.raise_flag(session, actor, claim.id, raised.kind, raised.reason)
    report.flags_raised += 1
    session.flush()
    ledger.remember(item, _flag_state(session.scalars(select(Flag).where(
        Flag.claim_id == claim.id, Flag.kind == raised.kind.value)).all()))


def _flag_state(rows: Sequence[Flag]) -> dict[str, Any] | None:
    """The open flag of a kind on a claim (its id and reason), or None when none is open."""
    found = [f for f in rows if f.state == FlagState.OPEN.value]
    return None if not found else {"id": found[0].id, "reason": found[0].reason}


def _candidate_state(link: EvidenceLink | None) -> dict[str, Any] | None:
    return None if link is None else {"stance": link.stance, "note": link.note}


def _apply_candidate(session: Session, actor: Actor, claim: Claim, citation_id: int, note: str,
                     ledger: _Ledger, report: LoadReport) -> None:
    """An unverified study listed "to check" on a claim, as a background link."""
    key = session.get(Citation, citation_id).key  # type: ignore[union-attr]
    item = f"candidate:{claim.id}:{key}"

    def current() -> EvidenceLink | None:
        return session.scalar(select(EvidenceLink).where(
            EvidenceLink.claim_id == claim.id, EvidenceLink.citation_id == citation_id))

    existing = current()
    wish = {"stance": Stance.BACKGROUND.value,
            "note": f"to check (unverified): {note}".strip()}
    now = _candidate_state(existing)
    if existing is not None and item not in ledger.loaded:
        ledger.seen.add(item)  # linked before the ledger knew candidates, or by someone else
        if now == wish:
            ledger.remember(item, now)
        return
    decision = ledger.decide(item, now, wish, ledger.removal(claim.id, key))
    if decision == "add":
        evidence.link_evidence(session, actor, claim.id, citation_id, Stance.BACKGROUND,
                               note=wish["note"])
        report.to_check += 1
    elif decision == "update":
        assert existing is not None
        evidence.update_link(session, actor, existing.id, note=wish["note"])
    elif decision.startswith("skip:"):
        report.skipped.append(f"to-check {key} on claim #{claim.id}: {decision[5:]}; "
                              "left as it is")
        return
    session.flush()
    ledger.remember(item, _candidate_state(current()))


def _withdraw(session: Session, actor: Actor, ledger: _Ledger, report: LoadReport) -> None:
    """Undo what an earlier load recorded and the file no longer lists — when it is as that
    load left it; what someone changed since is left and reported."""
    for item in ledger.unseen():
        kind, _, rest = item.partition(":")
        try:
            _withdraw_one(session, actor, ledger, report, item, kind, rest)
        except (Conflict, InvalidInput) as exc:  # under dual review a direct write is refused
            report.skipped.append(f"{item}: no longer in the file, not withdrawn ({exc})")
        session.flush()


def _withdraw_one(session: Session, actor: Actor, ledger: _Ledger, report: LoadReport,
                  item: str, kind: str, rest: str) -> None:
    def claim_of(text: str) -> Claim | None:
        claim = session.get(Claim, int(text)) if text.isdigit() else None
        return None if claim is None or claim.retired else claim

    def settle(now: dict[str, Any] | None, what: str, undo: Any) -> None:
        if now is None:
            ledger.forget(item)
        elif ledger.unchanged_since_load(item, now):
            undo()
            ledger.withdrawn(item)
            report.withdrawn.append(f"{what}: no longer in the file; withdrawn")
        else:
            report.skipped.append(f"{what}: no longer in the file, but changed since the "
                                  "review loaded it; left as it is")

    if kind in ("link", "candidate"):
        claim_text, _, key = rest.partition(":")
        claim = claim_of(claim_text)
        link = None if claim is None else session.scalar(
            select(EvidenceLink).join(Citation, Citation.id == EvidenceLink.citation_id)
            .where(EvidenceLink.claim_id == claim.id, Citation.key == key))
        state = _link_state(link) if kind == "link" else _candidate_state(link)
        what = f"{'link' if kind == 'link' else 'to-check'} {key} on claim #{claim_text}"
        settle(state, what, lambda: evidence.unlink(session, actor, link.id))  # type: ignore[union-attr]
    elif kind == "appraisal":
        citation = session.scalar(select(Citation).where(Citation.key == rest))
        row = None if citation is None else session.scalar(
            select(Appraisal).where(Appraisal.citation_id == citation.id))
        settle(_appraisal_state(row), f"appraisal of {rest}",
               lambda: appraisals.clear_appraisal(session, actor, citation.id))  # type: ignore[union-attr]
    elif kind == "body":
        claim_text, _, domain = rest.partition(":")
        claim = claim_of(claim_text)
        body = None if claim is None else session.get(BodyJudgement, (claim.id, domain))
        settle(_body_state(body), f"claim #{claim_text} body {domain}",
               lambda: appraisals.clear_body_judgement(session, actor, claim.id,  # type: ignore[union-attr]
                                                       BodyDomain(domain)))
    elif kind == "track":
        claim = claim_of(rest)
        state = (None if claim is None or claim.track_source != "reviewer"
                 else {"track": claim.track, "reason": claim.track_reason})
        settle(state, f"claim #{rest} track",
               lambda: appraisals.set_track(session, actor, claim.id, None, ""))  # type: ignore[union-attr]
    elif kind == "flag":
        claim_text, _, flag_kind = rest.partition(":")
        claim = claim_of(claim_text)
        rows = [] if claim is None else session.scalars(select(Flag).where(
            Flag.claim_id == claim.id, Flag.kind == flag_kind)).all()
        state = _flag_state(rows)
        settle(state, f"{flag_kind} flag on claim #{claim_text}",
               lambda: flags.close_flag(session, actor, state["id"],  # type: ignore[index]
                                        FlagState.DISMISSED,
                                        "withdrawn: no longer in the review file"))
    else:
        ledger.forget(item)
