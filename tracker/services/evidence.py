"""Evidence links, GRADE judgements, required-evidence overrides, splits and sign-off.

Every change that can move a claim's grade ends with `regrade()`, which applies the pure rules
of `tracker.grading` and stores the verdict on the claim (so coverage is a GROUP BY), writing a
`StatusChange` whenever the status moves.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import grading
from tracker.db import lock_sentences
from tracker.errors import Conflict, InvalidInput, NotFound
from tracker.grading import JUDGEMENT_NAMES
from tracker.limits import MAX_LOCATOR_CHARS, MAX_NOTE_CHARS, check_text
from tracker.models import (
    Appraisal,
    BodyJudgement,
    Citation,
    Claim,
    DualItem,
    EvidenceLink,
    EvidenceSearch,
    LinkDirectness,
    StatusChange,
    utcnow,
)
from tracker.services.access import Actor, authorize, record
from tracker.services.dual_gate import Decision, check_claim
from tracker.vocabulary import (
    AppraisalTool,
    BodyDomain,
    ClaimCategory,
    ClaimStatus,
    ClaimTrack,
    Concern,
    Directness,
    DirectnessElement,
    DualKind,
    DualState,
    Pools,
    Stance,
    StudyDesign,
)

#: The link's judgement names, as grading defines them (kept here for the callers of old).
CONCERNS, UPGRADES = grading.CONCERNS, grading.UPGRADES
NOTHING_JUDGED = grading.Judgements()
EFFECT_FIELDS = ("effect_outcome", "effect_measure", "effect_estimate", "effect_ci_low",
                 "effect_ci_high", "participants", "studies", "follow_up")
#: Words that clear a recorded concern (back to "not judged").
NOT_JUDGED = ("not-judged", "not_judged", "")


@dataclass(frozen=True, slots=True)
class LinkInfo:
    id: int
    claim_id: int
    citation_id: int
    citation_key: str
    stance: str
    locator: str
    note: str
    judgements: grading.Judgements
    directness: dict[str, tuple[str, str]]
    effect: dict[str, Any]
    version: int


def _link_info(link: EvidenceLink) -> LinkInfo:
    return LinkInfo(
        id=link.id, claim_id=link.claim_id, citation_id=link.citation_id,
        citation_key=link.citation.key, stance=link.stance, locator=link.locator,
        note=link.note, judgements=judgements_of(link),
        directness={d.element: (d.judgement, d.reason) for d in link.directness},
        effect={name: getattr(link, name) for name in EFFECT_FIELDS},
        version=link.version,
    )


def judgements_of(link: EvidenceLink) -> grading.Judgements:
    return grading.Judgements.stored({name: getattr(link, name) for name in JUDGEMENT_NAMES})


def parse_judgements(values: Mapping[str, object]) -> grading.JudgementChange:
    """Validate link-level concerns ("none", "serious", "very-serious"; "not-judged" or None
    clears one) and the two upgrade flags (booleans), given by name: the judgements a person
    typed (the CLI's options, a review file), as the change they make to a link."""
    judged: dict[str, Any] = {}
    for name, value in values.items():
        if name in CONCERNS:
            if value is None or str(value).strip().lower() in NOT_JUDGED:
                judged[name] = None
                continue
            try:
                judged[name] = Concern(str(value).replace("_", "-").lower())
            except ValueError:
                raise InvalidInput(
                    f"{name}: {value!r} is not one of none, serious, very-serious, not-judged"
                ) from None
        elif name in UPGRADES:
            if not isinstance(value, bool):
                raise InvalidInput(f"{name}: expected true or false, got {value!r}")
            judged[name] = value
        else:
            raise InvalidInput(
                f"unknown judgement {name!r}; use {', '.join(JUDGEMENT_NAMES)}"
            )
    return grading.JudgementChange(replace(NOTHING_JUDGED, **judged), frozenset(judged))


def parse_directness(values: Mapping[Any, Any]) -> dict[str, tuple[str, str]]:
    """{element: (judgement, reason)} validated: a known PICO element (or setting), a known
    judgement, and a one-line reason; a judgement of "not-judged" removes the element's."""
    clean: dict[str, tuple[str, str]] = {}
    for key, given in values.items():
        try:
            element = DirectnessElement(str(key).strip().lower())
        except ValueError:
            raise InvalidInput(f"directness: {key!r} is not one of "
                               + ", ".join(e.value for e in DirectnessElement)) from None
        if isinstance(given, str) or not isinstance(given, Sequence) or len(given) != 2:
            raise InvalidInput(f"directness of {element}: give a judgement and a reason")
        judgement, reason = str(given[0]).strip().lower(), str(given[1])
        if judgement in NOT_JUDGED:
            clean[element.value] = ("", "")
            continue
        try:
            judgement = Directness(judgement).value
        except ValueError:
            raise InvalidInput(f"directness of {element}: {given[0]!r} is not one of "
                               + ", ".join(d.value for d in Directness)) from None
        reason = check_text(reason, f"the reason for the directness of {element}",
                            MAX_LOCATOR_CHARS)
        if not reason:
            raise InvalidInput(f"directness of {element}: a judgement needs a reason (e.g. "
                               "'study: CRPS; sentence: neuropathic pain')")
        clean[element.value] = (judgement, " ".join(reason.split()))
    return clean


def parse_effect(values: Mapping[str, Any]) -> dict[str, Any]:
    """The study's effect for the claim's outcome: outcome, measure, estimate, ci_low, ci_high,
    participants, studies, follow_up (any subset; None clears one). Numbers must be finite,
    counts positive whole numbers, and the CI ordered around the estimate."""
    aliases = {"outcome": "effect_outcome", "measure": "effect_measure",
               "estimate": "effect_estimate", "ci_low": "effect_ci_low",
               "ci_high": "effect_ci_high"}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        name = aliases.get(key, key)
        if name not in EFFECT_FIELDS:
            raise InvalidInput(f"unknown effect field {key!r}; use outcome, measure, "
                               "estimate, ci_low, ci_high, participants, studies, follow_up")
        if value is None or value == "":
            clean[name] = None
        elif name in ("effect_estimate", "effect_ci_low", "effect_ci_high"):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InvalidInput(f"effect {key}: {value!r} is not a number") from None
            if not math.isfinite(number):
                raise InvalidInput(f"effect {key}: {value!r} is not a finite number")
            clean[name] = number
        elif name in ("participants", "studies"):
            if isinstance(value, bool) or not str(value).strip().isdigit() or int(value) < 1:
                raise InvalidInput(f"effect {key}: {value!r} is not a positive whole number")
            if int(value) > 100_000_000:
                raise InvalidInput(f"effect {key}: {value!r} is implausibly large")
            clean[name] = int(value)
        else:
            limit = 32 if name == "effect_measure" else 200 if name == "follow_up" else 500
            clean[name] = check_text(str(value), f"the effect's {key}", limit) or None
    return clean


def _check_ci(link: EvidenceLink) -> None:
    low, high, estimate = link.effect_ci_low, link.effect_ci_high, link.effect_estimate
    if (low is None) != (high is None):
        raise InvalidInput("a 95 % CI needs both its limits (ci_low and ci_high)")
    if low is not None and high is not None:
        if low > high:
            raise InvalidInput(f"the CI's lower limit {low:g} is above its upper limit {high:g}")
        if estimate is not None and not low <= estimate <= high:
            raise InvalidInput(f"the estimate {estimate:g} lies outside its CI "
                               f"({low:g} to {high:g})")


def _apply_directness(session: Session, actor: Actor, link: EvidenceLink,
                      directness: Mapping[str, tuple[str, str]]) -> None:
    current = {d.element: d for d in link.directness}
    for element, (judgement, reason) in directness.items():
        row = current.get(element)
        if not judgement:
            if row is not None:
                link.directness.remove(row)
            continue
        if row is None:
            link.directness.append(LinkDirectness(
                element=element, judgement=judgement, reason=reason, judged_by_id=actor.id))
        elif (row.judgement, row.reason) != (judgement, reason):
            row.judgement, row.reason = judgement, reason
            row.judged_by_id, row.judged_at = actor.id, utcnow()


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
    judgements: grading.Judgements = NOTHING_JUDGED,
    directness: Mapping[Any, Any] | None = None,
    effect: Mapping[str, Any] | None = None,
    decision: Decision | None = None,
) -> LinkInfo:
    """Link a citation to a claim, optionally with concerns (`parse_judgements(...).onto()`
    for what a person typed), directness and the study's effect. One link per (claim,
    citation); open flags stay open. Under dual review only a
    `decision` (`tracker.services.dual`) may link, and the audit event carries it."""
    authorize(actor, "evidence.link")
    claim = _live_claim(session, claim_id)
    check_claim(session, claim.id, "a study's stance on a claim",
                "`tracker dual stance`, or the Dual review page", decision)
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
    clean_directness = parse_directness(directness or {})
    link = EvidenceLink(
        claim_id=claim.id, citation_id=citation.id, stance=Stance(stance).value,
        locator=check_text(locator, "the locator", MAX_LOCATOR_CHARS),
        note=check_text(note, "the note", MAX_NOTE_CHARS), created_by_id=actor.id,
        **judgements.as_stored(), **parse_effect(effect or {}),
    )
    _check_ci(link)
    link.citation = citation
    session.add(link)
    session.flush()
    _apply_directness(session, actor, link, clean_directness)
    session.flush()
    info = _link_info(link)
    record(session, actor, "evidence.link", "evidence_link", link.id,
           f"linked {citation.key} to claim #{claim.id} ({info.stance})"
           + (f"; {decision.words()}" if decision else ""),
           document_id=claim.document_id, claim_id=claim.id,
           after=_link_state(info) | ({"dual_review": decision.audit()} if decision else {}))
    regrade(session, [claim.id])
    return info


def _link_state(info: LinkInfo) -> dict[str, Any]:
    state: dict[str, Any] = {"citation": info.citation_key, "stance": info.stance,
                             "locator": info.locator, "note": info.note,
                             **info.judgements.as_stored()}
    state.update({f"directness.{k}": list(v) for k, v in info.directness.items()})
    state.update({k: v for k, v in info.effect.items() if v is not None})
    return state


_JUDGING = set(JUDGEMENT_NAMES) | set(EFFECT_FIELDS)


def update_link(
    session: Session,
    actor: Actor,
    link_id: int,
    *,
    expected_version: int | None = None,
    stance: Stance | None = None,
    locator: str | None = None,
    note: str | None = None,
    judgements: grading.Judgements | grading.JudgementChange | None = None,
    directness: Mapping[Any, Any] | None = None,
    effect: Mapping[str, Any] | None = None,
    decision: Decision | None = None,
) -> LinkInfo:
    """Change a link's stance, locator, note, concerns (all of them, or a `JudgementChange`
    of some), directness or effect (optimistic locking). Changing only judgements,
    directness or the effect is audited as a judgement.
    Under dual review the stance and the directness change only by a `decision`."""
    authorize(actor, "evidence.edit")
    link = _link(session, link_id)
    _check_version("evidence link", link.id, link.version, expected_version)
    if stance is not None and Stance(stance).value != link.stance:
        check_claim(session, link.claim_id, "a study's stance on a claim",
                    "`tracker dual stance`, or the Dual review page", decision)
    if directness:
        check_claim(session, link.claim_id, "a link's directness",
                    "`tracker dual directness`, or the Dual review page", decision)
    before = _link_state(_link_info(link))
    clean_directness = parse_directness(directness or {})
    if stance is not None:
        link.stance = Stance(stance).value
    if locator is not None:
        link.locator = check_text(locator, "the locator", MAX_LOCATOR_CHARS)
    if note is not None:
        link.note = check_text(note, "the note", MAX_NOTE_CHARS)
    if judgements is not None:
        current = judgements_of(link)
        new = (judgements if isinstance(judgements, grading.Judgements)
               else judgements.onto(current))
        if new != current:
            for name, value in new.as_stored().items():
                setattr(link, name, value)
    for name, value in parse_effect(effect or {}).items():
        setattr(link, name, value)
    _check_ci(link)
    _apply_directness(session, actor, link, clean_directness)
    after = _link_state(_link_info(link))
    changed = {k: after.get(k) for k in set(after) | set(before) if after.get(k) != before.get(k)}
    if not changed:  # nothing to save: no new version, no audit event
        return _link_info(link)
    link.updated_by_id = actor.id
    link.updated_at = utcnow()
    session.flush()
    info = _link_info(link)
    judging = all(k in _JUDGING or k.startswith("directness.") for k in changed)
    action = "evidence.judge" if judging else "evidence.edit"
    record(session, actor, action, "evidence_link", link.id,
           f"{info.citation_key} on claim #{link.claim_id}: "
           + ", ".join(f"{k} → {v}" for k, v in sorted(changed.items()))
           + (f"; {decision.words()}" if decision else ""),
           document_id=link.claim.document_id, claim_id=link.claim_id,
           before={k: before.get(k) for k in changed},
           after=changed | ({"dual_review": decision.audit()} if decision else {}))
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
    """An editor confirms the claim's current grade; the sign-off goes stale if it moves.
    Signing off a grade that is already signed off is refused (`Conflict`): a second press
    would only add a duplicate audit record."""
    authorize(actor, "claim.sign-off")
    claim = _live_claim(session, claim_id)
    _check_version("claim", claim.id, claim.version, expected_version)
    if claim.signed_off_by_id is not None and claim.signed_off_status == claim.status:
        raise Conflict(f"claim #{claim.id} is already signed off as {claim.status}; a new "
                       "sign-off is possible once its grade moves")
    claim.signed_off_by_id = actor.id
    claim.signed_off_at = utcnow()
    claim.signed_off_status = claim.status
    session.flush()
    record(session, actor, "claim.sign-off", "claim", claim.id,
           f"claim #{claim.id} signed off as {claim.status}", document_id=claim.document_id,
           claim_id=claim.id, after={"status": claim.status})
    return claim.status


# --- grading ---------------------------------------------------------------------------------


def track_of(claim: Claim) -> ClaimTrack:
    """The claim's track: a reviewer's choice, else the rules' proposal from its own words."""
    if claim.track_source == "reviewer":
        return ClaimTrack(claim.track)
    return grading.propose_track(claim.text)[0]


def requirement_of(claim: Claim, parent_text: str | None = None) -> grading.Requirement:
    if claim.override_min_count is not None and claim.override_reason:
        return grading.override_requirement(
            claim.override_min_count,
            [StudyDesign(d) for d in claim.override_designs or []],
            claim.override_reason,
        )
    return grading.requirement_for(parent_text or claim.text, ClaimCategory(claim.category),
                                   track_of(claim))


def _chunks(ids: Sequence[int], size: int = 5000) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def evidence_for(session: Session, claim_ids: Iterable[int]) -> dict[int, list[grading.Evidence]]:
    """The grading inputs of each claim: its links with their study's design and appraisal,
    directness and effect — three queries per 5,000 claims."""
    ids = sorted(set(claim_ids))
    found: dict[int, list[grading.Evidence]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = session.execute(
            select(EvidenceLink.id, EvidenceLink.claim_id, Citation.key, Citation.design,
                   EvidenceLink.stance, *[getattr(EvidenceLink, n) for n in JUDGEMENT_NAMES],
                   Citation.verified, Citation.retracted, Appraisal.tool, Appraisal.overall,
                   Appraisal.pools, *[getattr(EvidenceLink, n) for n in EFFECT_FIELDS[1:]])
            .join(Citation, Citation.id == EvidenceLink.citation_id)
            .outerjoin(Appraisal, Appraisal.citation_id == Citation.id)
            .where(EvidenceLink.claim_id.in_(chunk))
            .order_by(EvidenceLink.claim_id, EvidenceLink.id)
        ).all()
        directness: dict[int, list[tuple[DirectnessElement, Directness]]] = defaultdict(list)
        for link_id, element, judgement in session.execute(
                select(LinkDirectness.link_id, LinkDirectness.element, LinkDirectness.judgement)
                .join(EvidenceLink, EvidenceLink.id == LinkDirectness.link_id)
                .where(EvidenceLink.claim_id.in_(chunk))
                .order_by(LinkDirectness.link_id, LinkDirectness.element)):
            directness[link_id].append((DirectnessElement(element), Directness(judgement)))
        waiting, waiting_studies = _awaiting_adjudication(session, chunk)
        for row in rows:
            judgements = grading.Judgements.stored(dict(zip(JUDGEMENT_NAMES, row[5:12],
                                                            strict=True)))
            design = StudyDesign(row[3]) if row[3] else None
            appraisal = None if row[14] is None else grading.Appraisal(
                AppraisalTool(row[14]), row[15], Pools(row[16]) if row[16] else None)
            if appraisal is not None and grading.tool_for(design) is not appraisal.tool:
                appraisal = None  # appraised under another design: it must be redone
            measure, estimate, low, high, participants, studies, _ = row[17:24]
            effect = grading.Effect(measure, estimate, low, high, participants, studies)
            found[row[1]].append(grading.Evidence(
                citation=row[2], design=design, stance=Stance(row[4]),
                judgements=judgements, verified=bool(row[12]), retracted=bool(row[13]),
                appraisal=appraisal, directness=tuple(directness.get(row[0], ())), effect=effect,
                awaiting=frozenset(waiting.get((row[1], row[2]), set())
                                   | ({DualKind.APPRAISAL} if row[2] in waiting_studies
                                      else set()))))
            waiting.pop((row[1], row[2]), None)
        # A study proposed under dual review whose stance waits has no link yet: it is listed
        # (and left out) all the same, so the verdict says what waits.
        for (claim_id, key), kinds in sorted(waiting.items()):
            if DualKind.STANCE in kinds:
                found[claim_id].append(grading.Evidence(
                    citation=key, design=None, stance=Stance.BACKGROUND,
                    awaiting=frozenset({DualKind.STANCE})))
    return found


def _awaiting_adjudication(session: Session, claim_ids: list[int]
                           ) -> tuple[dict[tuple[int, str], set[DualKind]], set[str]]:
    """What waits for an editor's adjudication under dual review: by (claim, citation key) the
    stance and directness items; the keys of studies whose appraisal waits."""
    waiting: dict[tuple[int, str], set[DualKind]] = defaultdict(set)
    for kind, claim_id, key in session.execute(
            select(DualItem.kind, DualItem.claim_id, Citation.key)
            .join(Citation, Citation.id == DualItem.citation_id)
            .where(DualItem.state == DualState.AWAITING.value,
                   DualItem.claim_id.in_(claim_ids))):
        if claim_id is not None:
            waiting[(claim_id, key)].add(DualKind(kind))
    studies = set(session.scalars(
        select(Citation.key).join(DualItem, DualItem.citation_id == Citation.id)
        .where(DualItem.state == DualState.AWAITING.value,
               DualItem.kind == DualKind.APPRAISAL.value,
               DualItem.citation_id.in_(select(EvidenceLink.citation_id).where(
                   EvidenceLink.claim_id.in_(claim_ids))))))
    return waiting, studies


def body_judgements_for(session: Session, claim_ids: Iterable[int]
                        ) -> dict[int, dict[BodyDomain, grading.BodyJudgement]]:
    found: dict[int, dict[BodyDomain, grading.BodyJudgement]] = defaultdict(dict)
    for chunk in _chunks(sorted(set(claim_ids))):
        for claim_id, domain, value, reason in session.execute(
                select(BodyJudgement.claim_id, BodyJudgement.domain, BodyJudgement.value,
                       BodyJudgement.reason).where(BodyJudgement.claim_id.in_(chunk))):
            found[claim_id][BodyDomain(domain)] = grading.BodyJudgement(value, reason)
    return found


def searched_claims(session: Session, claim_ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(set(claim_ids))):
        found.update(session.scalars(select(EvidenceSearch.claim_id).where(
            EvidenceSearch.claim_id.in_(chunk)).distinct()))
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
    for chunk in _chunks([c.id for c in tops]):
        for part in session.scalars(select(Claim).where(
                Claim.parent_id.in_(chunk), Claim.retired.is_(False)).order_by(Claim.ordinal)):
            parts_of[part.parent_id or 0].append(part)
    every = [c.id for c in tops] + [p.id for ps in parts_of.values() for p in ps]
    evidence = evidence_for(session, every)
    bodies = body_judgements_for(session, every)
    searched = searched_claims(session, every)

    def verdict(claim: Claim, parent_text: str | None = None) -> grading.Verdict:
        return grading.grade(evidence.get(claim.id, []), requirement_of(claim, parent_text),
                             track_of(claim), bodies.get(claim.id, {}),
                             searched=claim.id in searched)

    for top in tops:
        parts = parts_of.get(top.id, [])
        graded: list[tuple[str, grading.Verdict]] = []
        for part in parts:
            part_verdict = verdict(part, parent_text=top.text)
            _store(session, part, part_verdict)
            graded.append((part.text, part_verdict))
        # A split sentence is graded by its parts; links on the whole sentence stay listed.
        _store(session, top, grading.combine(graded) if graded else verdict(top))
    session.flush()


def _load(session: Session, ids: Iterable[int]) -> list[Claim]:
    loaded: list[Claim] = []
    for chunk in _chunks(list(ids)):
        loaded.extend(session.scalars(select(Claim).where(Claim.id.in_(chunk))
                                      .execution_options(populate_existing=True)))
    return loaded


def _store(session: Session, claim: Claim, verdict: grading.Verdict) -> None:
    status = verdict.status.value
    certainty = verdict.certainty.value if verdict.certainty else None
    standing = verdict.standing.value if verdict.standing else None
    requirement = f"{verdict.requirement.description} ({verdict.requirement.reason})"
    if claim.track_source != "reviewer":
        track, why = grading.propose_track(claim.text)
        if (claim.track, claim.track_reason) != (track.value, why):
            claim.track, claim.track_reason = track.value, why
    if status != claim.status:
        session.add(StatusChange(document_id=claim.document_id, claim_id=claim.id,
                                 from_status=claim.status, to_status=status))
    new = (status, certainty, standing, verdict.explanation, requirement, grading.RULES_VERSION)
    if (claim.status, claim.certainty, claim.standing, claim.explanation, claim.requirement,
            claim.rules_version) != new:
        (claim.status, claim.certainty, claim.standing, claim.explanation, claim.requirement,
         claim.rules_version) = new


def note_new_claim(session: Session, claim: Claim) -> None:
    """A claim enters the status history (as not reviewed: nothing is linked yet), with the
    track the rules propose for it."""
    claim.status = ClaimStatus.NOT_REVIEWED.value
    claim.track, claim.track_reason = (v.value if isinstance(v, ClaimTrack) else v
                                       for v in grading.propose_track(claim.text))
    claim.track_source = "rule"
    claim.rules_version = grading.RULES_VERSION
    session.add(StatusChange(document_id=claim.document_id, claim_id=claim.id,
                             from_status=None, to_status=claim.status))


def note_retired_claim(session: Session, claim: Claim) -> None:
    session.add(StatusChange(document_id=claim.document_id, claim_id=claim.id,
                             from_status=claim.status, to_status=None))
