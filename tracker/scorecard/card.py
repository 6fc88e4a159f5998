"""One article's scorecard: each criterion of both instruments with the rules' proposal and
the editor's rating where there is one (pure; `tracker.queries.scorecard` fills it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.scorecard.instruments import CRITERIA, Criterion
from tracker.scorecard.rules import LEFT_TO_EDITORS, Proposal, RedFlag
from tracker.vocabulary import HnrRating, Instrument

#: Who rated a criterion when no editor has: the rules.
RULES_RATER = "rules"


@dataclass(frozen=True, slots=True)
class EditorRating:
    """An editor's stored rating of one criterion: confirmed or overriding the proposal."""

    rating: str
    reason: str
    rated_by: str
    rated_at: datetime
    proposed: str | None  # what the rules proposed when the editor rated
    version: int


@dataclass(frozen=True, slots=True)
class ScorecardItem:
    criterion: Criterion
    proposal: Proposal
    editor: EditorRating | None

    @property
    def rating(self) -> str | None:
        """The rating that stands: the editor's, else the rules' proposal (None: unrated)."""
        return self.editor.rating if self.editor else self.proposal.rating

    @property
    def rated_by(self) -> str:
        if self.editor:
            return self.editor.rated_by
        return RULES_RATER if self.proposal.rating is not None else ""

    @property
    def reason(self) -> str:
        return self.editor.reason if self.editor else self.proposal.reason

    @property
    def overridden(self) -> bool:
        """An editor rated it differently from what the rules propose now."""
        return self.editor is not None and self.editor.rating != self.proposal.rating

    @property
    def fails(self) -> bool:
        """Not satisfactory (HNR; disease-mongering is phrased the other way round in HNR's
        list but rated the same way), or DISCERN 1–2."""
        if self.rating is None:
            return False
        if self.criterion.instrument is Instrument.HNR:
            return self.rating == HnrRating.NOT_SATISFACTORY.value
        return self.rating in ("1", "2")


@dataclass(frozen=True, slots=True)
class Scorecard:
    document_id: int
    slug: str
    title: str
    items: tuple[ScorecardItem, ...]
    red_flags: tuple[RedFlag, ...]

    def of(self, instrument: Instrument) -> list[ScorecardItem]:
        return [i for i in self.items if i.criterion.instrument is instrument]

    def as_dict(self) -> dict[str, Any]:
        """The scorecard as JSON-ready values (`tracker scorecard --json`, the JSON export)."""
        return {
            "document": self.slug, "title": self.title,
            "criteria": [{
                "instrument": i.criterion.instrument.value, "number": i.criterion.number,
                "key": i.criterion.key, "question": i.criterion.question,
                "rating": i.rating, "rated_by": i.rated_by, "reason": i.reason,
                "overridden": i.overridden, "fails": i.fails,
                "proposal": {"rating": i.proposal.rating, "reason": i.proposal.reason,
                             "evidence": list(i.proposal.evidence)},
                "editor": None if i.editor is None else {
                    "rating": i.editor.rating, "reason": i.editor.reason,
                    "rated_by": i.editor.rated_by, "rated_at": i.editor.rated_at.isoformat(),
                    "proposed": i.editor.proposed, "version": i.editor.version},
            } for i in self.items],
            "red_flags": [{"term": f.term, "sentence": f.sentence, "novelty": f.novelty}
                          for f in self.red_flags],
        }

    def item(self, instrument: Instrument, key: str) -> ScorecardItem:
        return next(i for i in self.items
                    if i.criterion.instrument is instrument and i.criterion.key == key)


def assemble(document_id: int, slug: str, title: str,
             proposals: Mapping[tuple[Instrument, str], Proposal],
             ratings: Mapping[tuple[Instrument, str], EditorRating],
             red_flags: tuple[RedFlag, ...]) -> Scorecard:
    """Both instruments in their order, each criterion with its proposal and editor's rating."""
    items = tuple(
        ScorecardItem(c, proposals.get((c.instrument, c.key), LEFT_TO_EDITORS),
                      ratings.get((c.instrument, c.key)))
        for instrument in Instrument for c in CRITERIA[instrument])
    return Scorecard(document_id, slug, title, items, red_flags)
