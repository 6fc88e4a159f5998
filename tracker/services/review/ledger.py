"""What the review file last loaded, item by item, and the three-way decision for each item."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import (
    AuditEvent,
    ReviewItem,
    User,
    utcnow,
)


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
