"""Reading and checking a review file: `read_review` reads and parses it (outside any
transaction), `_Reader` checks its entries against the database into a `_Plan`, collecting
every problem; nothing is written until the plan is complete."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import grading
from tracker.errors import InvalidInput
from tracker.limits import MAX_REVIEW_FILE_BYTES, read_bounded
from tracker.models import (
    Citation,
    Claim,
    OpenQuestion,
)
from tracker.services import appraisals, evidence
from tracker.vocabulary import (
    AppraisalTool,
    BodyDomain,
    ClaimTrack,
    FlagKind,
    Pools,
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
