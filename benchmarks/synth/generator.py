"""The generator's shared state: sizes, the workload of rows it produces, and the helpers
every generation step uses (its random stream, the clock, the audit trail)."""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tracker import grading
from tracker.vocabulary import ClaimCategory, Role, StudyDesign

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Size:
    name: str
    documents: int
    claims: int  # claim rows, parts of split sentences included
    citations: int
    links: int
    flags: int
    admins: int
    editors: int
    reviewers: int
    viewers: int


SIZES: dict[str, Size] = {
    "S": Size("S", 3, 200, 500, 1_200, 50, 1, 2, 4, 3),
    "M": Size("M", 30, 2_000, 5_000, 12_000, 500, 2, 5, 12, 20),
    "L": Size("L", 300, 20_000, 50_000, 120_000, 5_000, 3, 12, 40, 80),
}


@dataclass(slots=True)
class Workload:
    """Rows per table (in insert order) and what the generator decided, for the report."""

    size: Size
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.setdefault(table, [])


def pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    """One key of `weights`, drawn with the weights as its chances."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def capital(text: str) -> str:
    """The text with its first letter in upper case (the rest untouched)."""
    return text[:1].upper() + text[1:]


@dataclass(slots=True)
class LibraryEntry:
    """What the generator remembers of a citation it put in the library."""

    id: int
    key: str
    treatment: str
    design: StudyDesign | None
    verified: bool
    retracted: bool
    imported_at: datetime


@dataclass(slots=True)
class ClaimDraft:
    """A claim being generated: its row, its links and its status history so far."""

    id: int
    document: int
    section_id: int | None
    text: str
    category: ClaimCategory
    ingested: datetime
    treatment: str
    parent: int | None = None
    parts: list[int] = field(default_factory=list)
    split_at: datetime | None = None
    override: tuple[int, list[str], str, int, datetime] | None = None  # n, designs, why, by, at
    retired_at: datetime | None = None
    links: list[tuple[datetime, int, grading.Evidence]] = field(default_factory=list)
    row: dict[str, Any] = field(default_factory=dict)
    history: list[tuple[datetime, str | None, str | None]] = field(default_factory=list)


class Desk:
    """A synthetic desk being generated: the state the generation steps share (`build` runs
    them in order): one random stream, the clock, the people, the library, the claims and
    the audit trail."""

    def __init__(self, size: Size, seed: int, end: datetime) -> None:
        self.size = size
        self.rng = random.Random(f"{size.name}:{seed}")
        self.seed = seed
        self.end = end
        self.start = end - 365 * DAY
        self.work = Workload(size)
        self.audit: list[dict[str, Any]] = []
        self.users: dict[Role, list[tuple[int, str]]] = {}
        self.citations: list[LibraryEntry] = []
        self.pools: dict[str, tuple[list[LibraryEntry], list[float]]] = {}
        self.claims: dict[int, ClaimDraft] = {}
        self.document_claims: dict[int, list[int]] = defaultdict(list)
        self.documents: list[dict[str, Any]] = []

    # -- helpers --

    def between(self, low: datetime, high: datetime) -> datetime:
        if high <= low:
            return low
        return low + (high - low) * self.rng.random()

    def later(self, after: datetime, mean_days: float) -> datetime:
        """A moment after `after`, exponentially distributed, never past the end."""
        moment = after + timedelta(days=self.rng.expovariate(1 / mean_days), minutes=1)
        return moment if moment < self.end else self.between(after, self.end)

    def someone(self, *roles: Role) -> tuple[int, str]:
        return self.rng.choice([u for r in roles for u in self.users[r]])

    def event(self, at: datetime, who: tuple[int, str], action: str, entity_type: str,
              entity_id: int | None, summary: str, *, document_id: int | None = None,
              claim_id: int | None = None, before: dict[str, Any] | None = None,
              after: dict[str, Any] | None = None) -> None:
        self.audit.append({
            "at": at, "actor_id": who[0], "actor_name": who[1], "action": action,
            "entity_type": entity_type, "entity_id": entity_id, "document_id": document_id,
            "claim_id": claim_id, "summary": summary, "before": before, "after": after})

    def cite(self, treatment: str) -> LibraryEntry:
        pool, cumulative = self.pools[treatment if self.rng.random() < 0.8 else "*"]
        index = bisect.bisect(cumulative, self.rng.random() * cumulative[-1])
        return pool[min(index, len(pool) - 1)]

    # -- assembly --

    def finish(self) -> Workload:
        claims = sorted(self.claims.values(), key=lambda c: c.id)
        self.work.tables["claims"] = [c.row for c in claims]
        history = sorted(((at, c.id, c.document, a, b) for c in claims
                          for at, a, b in c.history), key=lambda h: (h[0], h[1]))
        self.work.tables["status_changes"] = [
            {"id": i, "at": at, "document_id": doc, "claim_id": cid, "from_status": a,
             "to_status": b} for i, (at, cid, doc, a, b) in enumerate(history, start=1)]
        self.audit.sort(key=lambda e: e["at"])
        self.work.tables["audit_events"] = [dict(e, id=i)
                                            for i, e in enumerate(self.audit, start=1)]
        for i, row in enumerate(self.work.rows("resources"), start=1):
            row["id"] = i
        self.work.facts.update(start=self.start.isoformat(), end=self.end.isoformat())
        return self.work

