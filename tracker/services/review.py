"""Loading a review (and the open questions) from the human-editable TOML files in
`references/`, through the same use cases a reviewer or editor runs by hand.

A file is read and checked whole before anything is written (`read_review`, outside any
transaction): every fragment must match exactly one live claim, every key must be in the
library, every value must be known; any problem refuses the load with a list of what and where.

Loading again applies what is new and leaves what people changed since: a link someone else
edited or removed, a flag an editor resolved or dismissed, an appraisal, body judgement or
track someone else recorded is left as it is, and the report says what was skipped and why.
What an earlier load of the file recorded and the file no longer lists is withdrawn — unless
someone changed it since, when it is left and reported. An item the ledger (`ReviewItem`)
does not know (a database loaded before the ledger existed) is checked against the audit
log: a link someone removed is not added again. Loading is idempotent: what the file already
recorded is left as it is.

File format: see `references/review.toml` and `references/questions.toml`; format_version 2
adds `[[appraisal]]`, `[link.directness]`, `[link.effect]`, `[[body]]`, `[[search]]` and
`[[track]]` to version 1, which still loads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import db, grading
from tracker.errors import Conflict, InvalidInput
from tracker.limits import MAX_NOTE_CHARS, MAX_REVIEW_FILE_BYTES, read_bounded
from tracker.models import (
    Appraisal,
    AuditEvent,
    BodyJudgement,
    Citation,
    Claim,
    EvidenceLink,
    EvidenceSearch,
    Flag,
    OpenQuestion,
    ReviewItem,
    User,
    utcnow,
)
from tracker.queries import resolve_document
from tracker.services import appraisals, evidence, flags, questions
from tracker.services.access import Actor, authorize
from tracker.vocabulary import (
    AppraisalTool,
    BodyDomain,
    ClaimTrack,
    FlagKind,
    FlagState,
    Pools,
    Priority,
    QuestionStatus,
    Stance,
)

FORMAT_VERSIONS = (1, 2)
JUDGEMENT_KEYS = grading.JUDGEMENT_NAMES


class ReviewFileError(InvalidInput):
    """Every problem of a review file, one per line, each naming the entry."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{path}: {len(problems)} problem(s), nothing loaded\n  "
                         + "\n  ".join(problems))


@dataclass(frozen=True, slots=True)
class ReviewFile:
    """A review or questions file, read and parsed (outside any transaction)."""

    path: str
    data: dict[str, Any]


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


def read_review(path: Path) -> ReviewFile:
    """Read and parse a review or questions file through the bounded reader (at most
    `MAX_REVIEW_FILE_BYTES`; a directory, a device or a pipe is no exception) and check its
    format. The CLI reads it before its write transaction."""
    if path.is_dir():
        raise InvalidInput(f"{path}: is a directory, not a review file")
    try:
        raw = read_bounded(path, MAX_REVIEW_FILE_BYTES, lambda size: InvalidInput(
            f"{path}: is {size:,} bytes or more; a review file may be at most "
            f"{MAX_REVIEW_FILE_BYTES:,} bytes"))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a directory, not a review file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: not valid TOML ({exc})") from None
    if data.get("format_version") not in FORMAT_VERSIONS:
        raise InvalidInput(f"{path}: format_version must be one of "
                           + ", ".join(str(v) for v in FORMAT_VERSIONS))
    return ReviewFile(str(path), data)


def _file(source: Path | ReviewFile) -> ReviewFile:
    return source if isinstance(source, ReviewFile) else read_review(source)


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

    def target(self, claim: Claim, part: str | None) -> Claim:
        """The claim itself, or its part (after the file's splits are applied)."""
        return claim if part is None else self.parts[claim.id][part]


@dataclass(frozen=True, slots=True)
class _Target:
    """A claim of the file: a sentence, or one of its parts."""

    claim: Claim
    part: str | None
    where: str


@dataclass(frozen=True, slots=True)
class _Link:
    target: _Target
    citation_id: int
    key: str
    stance: Stance
    locator: str
    note: str
    judgements: grading.Judgements
    directness: dict[str, tuple[str, str]]
    effect: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Appraisal:
    citation_id: int
    key: str
    tool: AppraisalTool
    domains: dict[str, tuple[str, str]]
    pools: Pools | None
    escalate: bool
    note: str
    where: str


@dataclass(frozen=True, slots=True)
class _Body:
    target: _Target
    domain: BodyDomain
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class _Search:
    target: _Target
    sources: str
    note: str
    at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class _Track:
    target: _Target
    track: ClaimTrack
    reason: str


@dataclass(frozen=True, slots=True)
class _Flag:
    target: _Target
    kind: FlagKind
    reason: str


@dataclass(slots=True)
class _Plan:
    """Everything a file asks for, checked; nothing is written until the plan is complete."""

    splits: list[tuple[Claim, list[str], str]] = field(default_factory=list)
    links: list[_Link] = field(default_factory=list)
    appraisals: list[_Appraisal] = field(default_factory=list)
    bodies: list[_Body] = field(default_factory=list)
    searches: list[_Search] = field(default_factory=list)
    tracks: list[_Track] = field(default_factory=list)
    flags: list[_Flag] = field(default_factory=list)
    addressing: list[tuple[int, int, str]] = field(default_factory=list)
    candidates: list[tuple[Claim, int, str]] = field(default_factory=list)
    verified_candidates: list[tuple[Claim, str]] = field(default_factory=list)


class _Reader:
    """Checks one file's entries against the database, collecting every problem."""

    def __init__(self, session: Session, review: ReviewFile, document_id: int) -> None:
        self.session = session
        self.path = review.path
        self.data = review.data
        self.version = int(review.data["format_version"])
        self.claims = _Claims(session, document_id)
        self.document_id = document_id
        self.keys = {k: (i, v) for k, i, v in session.execute(
            select(Citation.key, Citation.id, Citation.verified))}
        self.problems: list[str] = []
        self.split_parts: dict[int, set[str]] = {}

    def entries(self, name: str, *, since: int = 1) -> list[dict[str, Any]]:
        entries = self.data.get(name, [])
        if entries and self.version < since:
            self.problems.append(f"{self.path}: [[{name}]] needs format_version {since}")
            return []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.problems.append(f"{self.path}: [[{name}]] must be a list of tables")
            return []
        return entries

    def target(self, entry: dict[str, Any], where: str) -> _Target | None:
        claim = self.claims.find(entry.get("claim"), where, self.problems)
        part = entry.get("part")
        if claim is None:
            return None
        if part is not None and part not in self.split_parts.get(
                claim.id, set(self.claims.parts.get(claim.id, {}))):
            self.problems.append(f"{where}: part {part!r} is not a part of that sentence")
            return None
        return _Target(claim, part, where)

    def citation(self, key: Any, where: str, *, verified: bool = True) -> int | None:
        if key not in self.keys:
            self.problems.append(f"{where}: citation key {key!r} is not in the library")
            return None
        if verified and not self.keys[key][1]:
            self.problems.append(f"{where}: {key!r} is unverified; list it under [[to_check]]")
            return None
        return self.keys[key][0]

    def choice(self, where: str, enum: Any, value: Any, what: str) -> Any:
        """`value` as a member of `enum`, or a problem naming what, the value and the choices."""
        try:
            return enum(str(value))
        except ValueError:
            self.problems.append(f"{where}: {what} {value!r} is not one of "
                                 + ", ".join(m.value for m in enum))
            return None

    def check(self, where: str, call: Any, *args: Any) -> Any:
        """Run a validator, turning InvalidInput into a problem of this entry."""
        try:
            return call(*args)
        except (InvalidInput, ValueError) as exc:
            self.problems.append(f"{where}: {exc}")
            return None

    def plan(self) -> _Plan:
        plan = _Plan()
        self._splits(plan)
        self._links(plan)
        self._appraisals(plan)
        self._bodies(plan)
        self._searches(plan)
        self._tracks(plan)
        self._flags(plan)
        self._addressing(plan)
        self._candidates(plan)
        return plan

    def _splits(self, plan: _Plan) -> None:
        for n, entry in enumerate(self.entries("split"), 1):
            where = f"{self.path}: [[split]] #{n}"
            claim = self.claims.find(entry.get("claim"), where, self.problems)
            parts = entry.get("parts")
            reason = str(entry.get("reason", "")).strip()
            if not isinstance(parts, list) or len(parts) < 2:
                self.problems.append(f"{where}: 'parts' must list at least two fragments")
                continue
            if not reason:
                self.problems.append(f"{where}: a split needs a 'reason'")
            if claim is None:
                continue
            for part in parts:
                if not isinstance(part, str) or part not in claim.text:
                    self.problems.append(f"{where}: part {part!r} is not in the sentence")
            self.split_parts[claim.id] = {p for p in parts if isinstance(p, str)}
            plan.splits.append((claim, [str(p) for p in parts], reason))

    def _links(self, plan: _Plan) -> None:
        seen: set[tuple[str, str, str]] = set()
        for n, entry in enumerate(self.entries("link"), 1):
            where = (f"{self.path}: [[link]] #{n} (claim {entry.get('claim')!r}, "
                     f"citation {entry.get('citation')!r})")
            ident = (str(entry.get("claim")), str(entry.get("part")), str(entry.get("citation")))
            if ident in seen:
                self.problems.append(f"{where}: the same study is linked to the same claim "
                                     "twice; keep one [[link]]")
                continue
            seen.add(ident)
            target = self.target(entry, where)
            citation_id = self.citation(entry.get("citation"), where)
            stance = self.choice(where, Stance, entry.get("stance"), "stance")
            judgements = self.check(where, evidence.parse_judgements,
                                    entry.get("judgements", {}))
            directness = self.check(where, evidence.parse_directness,
                                    entry.get("directness", {}) if self.version >= 2 else {})
            effect = self.check(where, evidence.parse_effect,
                                entry.get("effect", {}) if self.version >= 2 else {})
            if None in (target, citation_id, stance, judgements, directness, effect):
                continue
            assert target is not None and citation_id is not None
            plan.links.append(_Link(
                target, citation_id, str(entry["citation"]), stance,
                str(entry.get("locator", "")).strip(),
                str(entry.get("rationale", entry.get("note", ""))).strip(),
                judgements.onto(), directness, effect))

    def _appraisals(self, plan: _Plan) -> None:
        seen: set[str] = set()
        for n, entry in enumerate(self.entries("appraisal", since=2), 1):
            where = f"{self.path}: [[appraisal]] #{n} ({entry.get('citation')!r})"
            if str(entry.get("citation")) in seen:
                self.problems.append(f"{where}: the study is appraised twice in the file; "
                                     "keep one [[appraisal]]")
                continue
            seen.add(str(entry.get("citation")))
            citation_id = self.citation(entry.get("citation"), where)
            tool = self.choice(where, AppraisalTool, entry.get("tool"), "tool")
            pools = (self.choice(where, Pools, entry["pools"], "pools") if "pools" in entry
                     else None)
            domains = entry.get("domains", {})
            if not isinstance(domains, dict) or not all(
                    isinstance(v, list) and len(v) == 2 for v in domains.values()):
                self.problems.append(f"{where}: 'domains' maps each domain to "
                                     "[judgement, reason]")
                continue
            if citation_id is None or tool is None or ("pools" in entry and pools is None):
                continue
            clean = self.check(where, appraisals.parse_domains, tool,
                               {k: (v[0], v[1]) for k, v in domains.items()})
            if clean is None:
                continue
            escalate = bool(entry.get("escalate", False))
            found = grading.validate(tool, clean, escalate=escalate, pools=pools)
            self.problems.extend(f"{where}: {problem}" for problem in found)
            if not found:
                plan.appraisals.append(_Appraisal(
                    citation_id, str(entry["citation"]), tool,
                    {k: (v[0], v[1]) for k, v in domains.items()}, pools, escalate,
                    str(entry.get("note", "")), where))

    def _bodies(self, plan: _Plan) -> None:
        for n, entry in enumerate(self.entries("body", since=2), 1):
            where = f"{self.path}: [[body]] #{n} (claim {entry.get('claim')!r})"
            target = self.target(entry, where)
            judgements = entry.get("judgements", {})
            if not isinstance(judgements, dict):
                self.problems.append(f"{where}: 'judgements' maps domains to [value, reason]")
                continue
            for name, given in judgements.items():
                domain = self.choice(where, BodyDomain, name, "domain")
                if not isinstance(given, list) or len(given) != 2 or not str(given[1]).strip():
                    self.problems.append(f"{where}: {name} needs [value, reason]")
                elif target is not None and domain is not None:
                    plan.bodies.append(_Body(target, domain, str(given[0]), str(given[1])))

    def _searches(self, plan: _Plan) -> None:
        for n, entry in enumerate(self.entries("search", since=2), 1):
            where = f"{self.path}: [[search]] #{n} (claim {entry.get('claim')!r})"
            target = self.target(entry, where)
            sources = str(entry.get("sources", "")).strip()
            at = entry.get("date")
            if not sources:
                self.problems.append(f"{where}: say where you looked ('sources')")
            if at is not None and not isinstance(at, dt.date):
                self.problems.append(f"{where}: 'date' must be a TOML date (2026-12-07)")
                at = None
            when = (dt.datetime.combine(at, dt.time(12), tzinfo=dt.UTC)
                    if isinstance(at, dt.date) and not isinstance(at, dt.datetime) else at)
            if target is not None and sources:
                plan.searches.append(_Search(target, sources, str(entry.get("note", "")), when))

    def _tracks(self, plan: _Plan) -> None:
        plan.tracks += [_Track(*given) for given in self._reasoned(
            "track", ClaimTrack, "track", "choosing a track needs a 'reason'", since=2)]

    def _flags(self, plan: _Plan) -> None:
        plan.flags += [_Flag(*given) for given in self._reasoned(
            "flag", FlagKind, "kind", "a flag needs a 'reason'")]

    def _reasoned(self, name: str, enum: type[StrEnum], key: str, needs: str, *,
                  since: int = 1) -> list[tuple[_Target, Any, str]]:
        """The [[name]] entries choosing one claim's `key` from `enum`, with a reason (a
        track, a flag); each one missing something is a problem instead."""
        found: list[tuple[_Target, Any, str]] = []
        for n, entry in enumerate(self.entries(name, since=since), 1):
            where = f"{self.path}: [[{name}]] #{n} (claim {entry.get('claim')!r})"
            target = self.target(entry, where)
            value = self.choice(where, enum, entry.get(key), key)
            reason = str(entry.get("reason", "")).strip()
            if not reason:
                self.problems.append(f"{where}: {needs}")
            elif target is not None and value is not None:
                found.append((target, value, reason))
        return found

    def _addressing(self, plan: _Plan) -> None:
        question_ids = {slug: qid for slug, qid in self.session.execute(
            select(OpenQuestion.slug, OpenQuestion.id).where(
                OpenQuestion.document_id == self.document_id))}
        for n, entry in enumerate(self.entries("question_evidence"), 1):
            where = f"{self.path}: [[question_evidence]] #{n}"
            if entry.get("question") not in question_ids:
                self.problems.append(f"{where}: no open question {entry.get('question')!r} "
                                     "(load questions.toml first)")
                continue
            citation_id = self.citation(entry.get("citation"), where, verified=False)
            if citation_id is not None:
                plan.addressing.append((question_ids[entry["question"]], citation_id,
                                        str(entry.get("note", ""))))

    def _candidates(self, plan: _Plan) -> None:
        for n, entry in enumerate(self.entries("to_check"), 1):
            where = f"{self.path}: [[to_check]] #{n} ({entry.get('citation')!r})"
            claim = self.claims.find(entry.get("claim"), where, self.problems)
            key = entry.get("citation")
            if key not in self.keys:
                self.problems.append(f"{where}: citation key is not in the library")
            elif claim is not None and self.keys[key][1]:
                # verified in this database (by someone, or by an older library) though the
                # file lists it to check: not listed, and the report says so
                plan.verified_candidates.append((claim, str(key)))
            elif claim is not None:
                plan.candidates.append((claim, self.keys[key][0], str(entry.get("note", ""))))


def _digest(state: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


WITHDRAWN = "withdrawn"  # the digest of an item the file withdrew (it may list it again)


class _Ledger:
    """What this document's review file last loaded, item by item (`ReviewItem`), and the
    three-way decision for each item: the file's wish, the item now, the item as last loaded.

    - now equals the wish: unchanged;
    - absent now: added — unless it was loaded before (someone removed it since: skipped), or,
      for an item the ledger never saw, the audit log shows someone removed it;
    - present and different: updated when it is as last loaded (nobody touched it since);
      skipped when someone changed it since, or when the review never recorded it (someone
      else did).

    Every item the file lists is `seen`; what the ledger holds and the file no longer lists is
    withdrawn by `_withdraw`."""

    def __init__(self, session: Session, document_id: int) -> None:
        self.session = session
        self.document_id = document_id
        self.loaded = {r.item: r for r in session.scalars(select(ReviewItem).where(
            ReviewItem.document_id == document_id))}
        self.names = dict(session.execute(select(User.id, User.username)).all())
        self.seen: set[str] = set()
        self._removals: dict[tuple[int, str], str] | None = None

    def removal(self, claim_id: int, key: str) -> str | None:
        """Who removed the link of `key` from the claim, and when, from the audit log."""
        if self._removals is None:
            self._removals = {}
            for event in self.session.scalars(select(AuditEvent).where(
                    AuditEvent.action == "evidence.unlink",
                    AuditEvent.document_id == self.document_id).order_by(AuditEvent.id)):
                cited = (event.before or {}).get("citation")
                if event.claim_id is not None and cited:
                    self._removals[(event.claim_id, str(cited))] = (
                        f"removed by {event.actor_name} on {event.at:%Y-%m-%d}")
        return self._removals.get((claim_id, key))

    def decide(self, item: str, now: dict[str, Any] | None, wish: dict[str, Any],
               removed: str | None = None) -> str:
        """"unchanged", "add", "update" or "skip:<why>"; `removed` says who removed the item
        when the audit log shows it (used only for items the ledger never saw)."""
        self.seen.add(item)
        last = self.loaded.get(item)
        if now == wish:
            return "unchanged"
        if now is None:
            if last is None:
                return f"skip:{removed} (audit log)" if removed else "add"
            if last.digest == WITHDRAWN:
                return "add"
            return "skip:removed since the review loaded it"
        if last is None:
            return "skip:recorded by someone else, and it differs from the file"
        if _digest(now) != last.digest:
            return "skip:changed since the review loaded it"
        return "update"

    def unchanged_since_load(self, item: str, now: dict[str, Any]) -> bool:
        last = self.loaded.get(item)
        return last is not None and last.digest == _digest(now)

    def remember(self, item: str, state: dict[str, Any] | None) -> None:
        """Record the item's state right after this load."""
        if state is not None:
            self._store(item, _digest(state))

    def withdrawn(self, item: str) -> None:
        """The file withdrew the item: a later file may list it again (then it is added)."""
        self._store(item, WITHDRAWN)

    def _store(self, item: str, digest: str) -> None:
        row = self.loaded.get(item)
        if row is None:
            row = ReviewItem(document_id=self.document_id, item=item[:300], digest=digest)
            self.session.add(row)
            self.loaded[item] = row
        elif row.digest != digest:
            row.digest, row.loaded_at = digest, utcnow()

    def forget(self, item: str) -> None:
        """The item is gone and the file no longer lists it: nothing to remember."""
        row = self.loaded.pop(item, None)
        if row is not None:
            self.session.delete(row)

    def unseen(self) -> list[str]:
        """Items an earlier load recorded that this file no longer lists."""
        return sorted(item for item, row in self.loaded.items()
                      if item not in self.seen and row.digest != WITHDRAWN)

    def who(self, user_id: int | None) -> str:
        return self.names.get(user_id, "someone") if user_id is not None else "someone"


def load_review(session: Session, actor: Actor, source: Path | ReviewFile) -> LoadReport:
    """Load splits, evidence links (with directness and effect), appraisals, body judgements,
    searches, tracks, flags, question evidence and to-check candidates."""
    authorize(actor, "review.load")
    review = _file(source)
    document = resolve_document(session, review.data.get("document"))
    db.lock_document(session, document.id)  # reviewers of it finish first, then wait
    reader = _Reader(session, review, document.id)
    plan = reader.plan()
    if reader.problems:
        raise ReviewFileError(review.path, reader.problems)
    report = LoadReport(path=review.path)
    ledger = _Ledger(session, document.id)
    claims = reader.claims
    for claim, parts, reason in plan.splits:
        before = len(claims.parts.get(claim.id, {}))
        evidence.split_claim(session, actor, claim.id, parts, reason)
        claims.refresh()
        report.splits += int(len(claims.parts.get(claim.id, {})) > before)
    for link in plan.links:
        _apply_link(session, actor, claims.target(link.target.claim, link.target.part), link,
                    ledger, report)
    for item in plan.appraisals:
        _apply_appraisal(session, actor, item, ledger, report)
    for body in plan.bodies:
        _apply_body(session, actor, claims.target(body.target.claim, body.target.part), body,
                    ledger, report)
    for search in plan.searches:
        _apply_search(session, actor, claims.target(search.target.claim, search.target.part),
                      search, report)
    for track in plan.tracks:
        _apply_track(session, actor, claims.target(track.target.claim, track.target.part),
                     track, ledger, report)
    for claim, citation_id, note in plan.candidates:
        _apply_candidate(session, actor, claim, citation_id, note, ledger, report)
    for claim, key in plan.verified_candidates:
        ledger.seen.add(f"candidate:{claim.id}:{key}")
        report.skipped.append(f"to-check {key} on claim #{claim.id}: the file lists it to "
                              "check, but it is verified in this database; not listed (link "
                              "it as evidence, or record why it is no longer verified)")
    for raised in plan.flags:
        _apply_flag(session, actor, claims.target(raised.target.claim, raised.target.part),
                    raised, ledger, report)
    for question_id, citation_id, note in plan.addressing:
        report.question_evidence += int(
            questions.address_question(session, actor, question_id, citation_id, note))
    _withdraw(session, actor, ledger, report)
    session.flush()
    return report


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


def load_questions(session: Session, actor: Actor, source: Path | ReviewFile) -> LoadReport:
    """Seed open questions (new slugs only), each linked to the claims it comes from."""
    authorize(actor, "questions.load")
    review = _file(source)
    document = resolve_document(session, review.data.get("document"))
    reader = _Reader(session, review, document.id)
    existing = set(session.scalars(select(OpenQuestion.slug).where(
        OpenQuestion.document_id == document.id)))
    planned = []
    for n, entry in enumerate(reader.entries("question"), 1):
        where = f"{review.path}: [[question]] #{n} ({entry.get('slug')!r})"
        priority = reader.choice(where, Priority, entry.get("priority", "medium"), "priority")
        status = reader.choice(where, QuestionStatus, entry.get("status", "open"), "status")
        found = [reader.claims.find(f, where, reader.problems) for f in entry.get("claims", [])]
        if not entry.get("slug") or not entry.get("title"):
            reader.problems.append(f"{where}: needs 'slug' and 'title'")
            continue
        if len(str(entry.get("description", ""))) > MAX_NOTE_CHARS:
            reader.problems.append(f"{where}: the description is over {MAX_NOTE_CHARS:,} "
                                   "characters")
            continue
        if priority is not None and status is not None:
            planned.append((entry, priority, status, [c.id for c in found if c is not None]))
    if reader.problems:
        raise ReviewFileError(review.path, reader.problems)
    report = LoadReport(path=review.path)
    for entry, priority, status, claim_ids in planned:
        if entry["slug"] in existing:
            continue
        questions.add_question(session, actor, document.id, entry["slug"], entry["title"],
                               description=entry.get("description", ""), priority=priority,
                               status=status, claim_ids=claim_ids)
        report.questions_added += 1
    return report
