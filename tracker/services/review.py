"""Loading a review (and the open questions) from the human-editable TOML files in
`references/`, through the same use cases a reviewer or editor runs by hand.

The whole file is checked first — every fragment must match exactly one live claim, every key
must be in the library, every value must be known — and any problem refuses the load with a list
of what and where. Loading is idempotent: what is already recorded is left as it is.

File format: see `references/review.toml` and `references/questions.toml` (format_version 1).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import InvalidInput
from tracker.limits import MAX_REVIEW_FILE_BYTES, read_bounded
from tracker.models import Citation, Claim, EvidenceLink, Flag, OpenQuestion
from tracker.queries import resolve_document
from tracker.services import evidence, flags, questions
from tracker.services.access import Actor, authorize
from tracker.vocabulary import FlagKind, FlagState, Priority, QuestionStatus, Stance

FORMAT_VERSION = 1
JUDGEMENT_KEYS = evidence.CONCERNS + evidence.UPGRADES


class ReviewFileError(InvalidInput):
    """Every problem of a review file, one per line, each naming the entry."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{path}: {len(problems)} problem(s), nothing loaded\n  "
                         + "\n  ".join(problems))


@dataclass(slots=True)
class LoadReport:
    path: str
    splits: int = 0
    links_added: int = 0
    links_updated: int = 0
    links_unchanged: int = 0
    flags_raised: int = 0
    flags_present: int = 0
    question_evidence: int = 0
    questions_added: int = 0
    to_check: int = 0
    notes: list[str] = field(default_factory=list)


def read_review_file(path: Path) -> dict[str, Any]:
    """A review or questions file's TOML, read through the bounded reader (at most
    `MAX_REVIEW_FILE_BYTES`; a directory, a device or a pipe is no exception) and checked
    for its format version. The CLI reads it before its write transaction."""
    if path.is_dir():
        raise InvalidInput(f"{path}: is a directory, not a review file")
    try:
        raw = read_bounded(path, MAX_REVIEW_FILE_BYTES, lambda size: InvalidInput(
            f"{path}: is {size:,} bytes or more; a review file may be at most "
            f"{MAX_REVIEW_FILE_BYTES:,} bytes"))
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: not valid TOML ({exc})") from None
    if data.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(f"{path}: format_version must be {FORMAT_VERSION}")
    return data


class _Claims:
    """Finds the one live claim (or part) a quoted fragment belongs to."""

    def __init__(self, session: Session, document_id: int) -> None:
        self.session = session
        self.document_id = document_id
        self.refresh()

    def refresh(self) -> None:
        rows = self.session.scalars(select(Claim).where(
            Claim.document_id == self.document_id, Claim.retired.is_(False)))
        self.sentences = [c for c in rows if c.parent_id is None]
        self.parts: dict[int, dict[str, Claim]] = {}
        for part in self.session.scalars(select(Claim).where(
                Claim.document_id == self.document_id, Claim.retired.is_(False),
                Claim.parent_id.is_not(None))):
            self.parts.setdefault(part.parent_id or 0, {})[part.text] = part

    def find(self, fragment: Any, where: str, problems: list[str]) -> Claim | None:
        if not isinstance(fragment, str) or not fragment.strip():
            problems.append(f"{where}: 'claim' must be a quoted fragment of a sentence")
            return None
        wanted = " ".join(fragment.split())
        found = [c for c in self.sentences if wanted in " ".join(c.text.split())]
        if len(found) == 1:
            return found[0]
        if not found:
            problems.append(f"{where}: no claim contains {fragment!r}")
        else:
            ids = ", ".join(f"#{c.id}" for c in found)
            problems.append(f"{where}: {fragment!r} matches {len(found)} claims ({ids}); "
                            "quote more of the sentence")
        return None


def _entries(data: dict[str, Any], name: str, path: Path, problems: list[str]
             ) -> list[dict[str, Any]]:
    entries = data.get(name, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append(f"{path}: [[{name}]] must be a list of tables")
        return []
    return entries


_read = read_review_file


def load_review(session: Session, actor: Actor, path: Path,
                data: dict[str, Any] | None = None) -> LoadReport:
    """Load splits, evidence links, flags, question evidence and to-check candidates
    (`data`: the file already read with `read_review_file`)."""
    authorize(actor, "review.load")
    data = _read(path) if data is None else data
    document = resolve_document(session, data.get("document"))
    evidence.lock_document(session, document.id)  # reviewers of it finish first, then wait
    problems: list[str] = []
    claims = _Claims(session, document.id)
    keys = {k: (i, v) for k, i, v in session.execute(
        select(Citation.key, Citation.id, Citation.verified))}
    report = LoadReport(path=str(path))

    splits = _entries(data, "split", path, problems)
    links = _entries(data, "link", path, problems)
    raised = _entries(data, "flag", path, problems)
    addressing = _entries(data, "question_evidence", path, problems)
    candidates = _entries(data, "to_check", path, problems)
    split_targets: dict[int, set[str]] = {}
    for n, entry in enumerate(splits, 1):
        where = f"{path}: [[split]] #{n}"
        claim = claims.find(entry.get("claim"), where, problems)
        parts = entry.get("parts")
        if not isinstance(parts, list) or len(parts) < 2:
            problems.append(f"{where}: 'parts' must list at least two fragments")
        elif claim is not None:
            for part in parts:
                if not isinstance(part, str) or part not in claim.text:
                    problems.append(f"{where}: part {part!r} is not in the sentence")
            split_targets[claim.id] = set(p for p in parts if isinstance(p, str))
        if not str(entry.get("reason", "")).strip():
            problems.append(f"{where}: a split needs a 'reason'")
    resolved_links = []
    for n, entry in enumerate(links, 1):
        where = (f"{path}: [[link]] #{n} (claim {entry.get('claim')!r}, "
                 f"citation {entry.get('citation')!r})")
        claim = claims.find(entry.get("claim"), where, problems)
        part = entry.get("part")
        if claim is not None and part is not None and part not in split_targets.get(
                claim.id, set(claims.parts.get(claim.id, {}))):
            problems.append(f"{where}: part {part!r} is not a part of that sentence")
        key = entry.get("citation")
        if key not in keys:
            problems.append(f"{where}: citation key {key!r} is not in the library")
        elif not keys[key][1]:
            problems.append(f"{where}: {key!r} is unverified; list it under [[to_check]]")
        try:
            stance = Stance(str(entry.get("stance")))
        except ValueError:
            problems.append(f"{where}: stance {entry.get('stance')!r} is not one of "
                            + ", ".join(s.value for s in Stance))
            stance = None
        judgements = entry.get("judgements", {})
        try:
            judgements = evidence.parse_judgements(judgements)
        except InvalidInput as exc:
            problems.append(f"{where}: {exc}")
        if claim is not None and key in keys and stance is not None:
            resolved_links.append((claim, part, keys[key][0], stance, entry, judgements))
    resolved_flags = []
    for n, entry in enumerate(raised, 1):
        where = f"{path}: [[flag]] #{n} (claim {entry.get('claim')!r})"
        claim = claims.find(entry.get("claim"), where, problems)
        try:
            kind = FlagKind(str(entry.get("kind")))
        except ValueError:
            problems.append(f"{where}: kind {entry.get('kind')!r} is not one of "
                            + ", ".join(k.value for k in FlagKind))
            continue
        if not str(entry.get("reason", "")).strip():
            problems.append(f"{where}: a flag needs a 'reason'")
        elif claim is not None:
            resolved_flags.append((claim, entry.get("part"), kind, entry["reason"]))
    question_ids = {slug: qid for slug, qid in session.execute(
        select(OpenQuestion.slug, OpenQuestion.id).where(
            OpenQuestion.document_id == document.id))}
    resolved_addressing = []
    for n, entry in enumerate(addressing, 1):
        where = f"{path}: [[question_evidence]] #{n}"
        if entry.get("question") not in question_ids:
            problems.append(f"{where}: no open question {entry.get('question')!r} "
                            "(load questions.toml first)")
        elif entry.get("citation") not in keys:
            problems.append(f"{where}: citation key {entry.get('citation')!r} is not in the "
                            "library")
        else:
            resolved_addressing.append((question_ids[entry["question"]],
                                        keys[entry["citation"]][0], entry.get("note", "")))
    resolved_candidates = []
    for n, entry in enumerate(candidates, 1):
        where = f"{path}: [[to_check]] #{n} ({entry.get('citation')!r})"
        claim = claims.find(entry.get("claim"), where, problems)
        if entry.get("citation") not in keys:
            problems.append(f"{where}: citation key is not in the library")
        elif keys[entry["citation"]][1]:
            problems.append(f"{where}: this citation is verified; link it as evidence instead")
        elif claim is not None:
            resolved_candidates.append((claim, keys[entry["citation"]][0],
                                        str(entry.get("note", ""))))
    if problems:
        raise ReviewFileError(str(path), problems)

    for entry in splits:
        claim = claims.find(entry["claim"], "", [])
        assert claim is not None
        before = len(claims.parts.get(claim.id, {}))
        evidence.split_claim(session, actor, claim.id, entry["parts"], entry["reason"])
        claims.refresh()
        report.splits += int(len(claims.parts.get(claim.id, {})) > before)
    touched: set[int] = set()
    for claim, part, citation_id, stance, entry, judgements in resolved_links:
        target = claims.parts[claim.id][part] if part is not None else claim
        _apply_link(session, actor, target, citation_id, stance, entry, judgements, report)
        touched.add(target.id)
    for claim, citation_id, note in resolved_candidates:
        existing = session.scalar(select(EvidenceLink).where(
            EvidenceLink.claim_id == claim.id, EvidenceLink.citation_id == citation_id))
        if existing is None:
            evidence.link_evidence(session, actor, claim.id, citation_id, Stance.BACKGROUND,
                                   note=f"to check (unverified): {note}".strip())
            report.to_check += 1
    for claim, part, kind, reason in resolved_flags:
        target = claims.parts.get(claim.id, {}).get(part, claim) if part else claim
        if session.scalar(select(Flag.id).where(
                Flag.claim_id == target.id, Flag.kind == kind.value,
                Flag.state == FlagState.OPEN.value)) is not None:
            report.flags_present += 1
            continue
        flags.raise_flag(session, actor, target.id, kind, reason)
        report.flags_raised += 1
    for question_id, citation_id, note in resolved_addressing:
        report.question_evidence += int(
            questions.address_question(session, actor, question_id, citation_id, note))
    return report


def _apply_link(session: Session, actor: Actor, claim: Claim, citation_id: int, stance: Stance,
                entry: dict[str, Any], judgements: dict[str, Any], report: LoadReport) -> None:
    note = str(entry.get("rationale", entry.get("note", ""))).strip()
    locator = str(entry.get("locator", "")).strip()
    existing = session.scalar(select(EvidenceLink).where(
        EvidenceLink.claim_id == claim.id, EvidenceLink.citation_id == citation_id))
    wanted = {name: judgements.get(name, False if name in evidence.UPGRADES else "none")
              for name in JUDGEMENT_KEYS}
    if existing is None:
        evidence.link_evidence(session, actor, claim.id, citation_id, stance, locator=locator,
                               note=note, judgements=wanted)
        report.links_added += 1
        return
    current = {name: getattr(existing, name) for name in JUDGEMENT_KEYS}
    if (existing.stance, existing.locator, existing.note, current) == (
            stance.value, locator, note, wanted):
        report.links_unchanged += 1
        return
    evidence.update_link(session, actor, existing.id, stance=stance, locator=locator, note=note,
                         judgements=wanted)
    report.links_updated += 1


def load_questions(session: Session, actor: Actor, path: Path,
                   data: dict[str, Any] | None = None) -> LoadReport:
    """Seed open questions (new slugs only), each linked to the claims it comes from
    (`data`: the file already read with `read_review_file`)."""
    authorize(actor, "questions.load")
    data = _read(path) if data is None else data
    document = resolve_document(session, data.get("document"))
    problems: list[str] = []
    claims = _Claims(session, document.id)
    entries = _entries(data, "question", path, problems)
    existing = set(session.scalars(select(OpenQuestion.slug).where(
        OpenQuestion.document_id == document.id)))
    planned = []
    for n, entry in enumerate(entries, 1):
        where = f"{path}: [[question]] #{n} ({entry.get('slug')!r})"
        try:
            priority = Priority(entry.get("priority", "medium"))
            status = QuestionStatus(entry.get("status", "open"))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        found = [claims.find(f, where, problems) for f in entry.get("claims", [])]
        if not entry.get("slug") or not entry.get("title"):
            problems.append(f"{where}: needs 'slug' and 'title'")
            continue
        planned.append((entry, priority, status, [c.id for c in found if c is not None]))
    if problems:
        raise ReviewFileError(str(path), problems)
    report = LoadReport(path=str(path))
    for entry, priority, status, claim_ids in planned:
        if entry["slug"] in existing:
            continue
        questions.add_question(session, actor, document.id, entry["slug"], entry["title"],
                               description=entry.get("description", ""), priority=priority,
                               status=status, claim_ids=claim_ids)
        report.questions_added += 1
    return report
