"""The two instruments of the article scorecard, as their authors worded them (docs/scorecard.md).

- HealthNewsReview.org's ten criteria (2006–2018, adapted from Media Doctor Australia), each
  rated satisfactory / not satisfactory / not applicable:
  https://www.healthnewsreview.org/about-us/review-criteria/ ; Schwitzer G. How do US
  journalists cover treatments, tests, products, and procedures? An evaluation of 500 stories.
  PLoS Med 2008;5(5):e95.
- DISCERN's sixteen questions, each rated 1 (no) to 5 (yes), 2–4 partially: Charnock D,
  Shepperd S, Needham G, Gann R. DISCERN: an instrument for judging the quality of written
  consumer health information on treatment choices. J Epidemiol Community Health
  1999;53:105–111.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.errors import InvalidInput
from tracker.vocabulary import DISCERN_RATINGS, HnrRating, Instrument


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion (HNR) or question (DISCERN): its key, its number and its question."""

    instrument: Instrument
    key: str
    number: int
    question: str

    @property
    def label(self) -> str:
        prefix = "HNR" if self.instrument is Instrument.HNR else "DISCERN"
        return f"{prefix} {self.number}"


def _criteria(instrument: Instrument, rows: tuple[tuple[str, str], ...]) -> tuple[Criterion, ...]:
    return tuple(Criterion(instrument, key, n, question)
                 for n, (key, question) in enumerate(rows, start=1))


HNR_CRITERIA: tuple[Criterion, ...] = _criteria(Instrument.HNR, (
    ("costs", "Does the story adequately discuss the costs of the intervention?"),
    ("benefits", "Does the story adequately quantify the benefits of the intervention?"),
    ("harms", "Does the story adequately explain/quantify the harms of the intervention?"),
    ("evidence", "Does the story seem to grasp the quality of the evidence?"),
    ("disease-mongering", "Does the story commit disease-mongering?"),
    ("sources", "Does the story use independent sources and identify conflicts of interest?"),
    ("alternatives", "Does the story compare the new approach with existing alternatives?"),
    ("availability", "Does the story establish the availability of the intervention?"),
    ("novelty", "Does the story establish the true novelty of the approach?"),
    ("news-release", "Does the story appear to rely solely or largely on a news release?"),
))

DISCERN_QUESTIONS: tuple[Criterion, ...] = _criteria(Instrument.DISCERN, (
    ("aims", "Are the aims clear?"),
    ("achieves-aims", "Does it achieve its aims?"),
    ("relevant", "Is it relevant?"),
    ("sources", "Is it clear what sources of information were used to compile the publication "
                "(other than the author or producer)?"),
    ("dates", "Is it clear when the information used or reported in the publication was "
              "produced?"),
    ("balanced", "Is it balanced and unbiased?"),
    ("additional-sources", "Does it provide details of additional sources of support and "
                           "information?"),
    ("uncertainty", "Does it refer to areas of uncertainty?"),
    ("how-it-works", "Does it describe how each treatment works?"),
    ("benefits", "Does it describe the benefits of each treatment?"),
    ("risks", "Does it describe the risks of each treatment?"),
    ("no-treatment", "Does it describe what would happen if no treatment is used?"),
    ("quality-of-life", "Does it describe how the treatment choices affect overall quality of "
                        "life?"),
    ("options", "Is it clear that there may be more than one possible treatment choice?"),
    ("shared-decisions", "Does it provide support for shared decision-making?"),
    ("overall", "Based on the answers to all of the above questions, rate the overall quality "
                "of the publication as a source of information about treatment choices."),
))

CRITERIA: dict[Instrument, tuple[Criterion, ...]] = {
    Instrument.HNR: HNR_CRITERIA, Instrument.DISCERN: DISCERN_QUESTIONS}


def criterion(instrument: Instrument | str, key: str) -> Criterion:
    """The criterion `key` of `instrument` (its key or its number), or InvalidInput naming the
    choices."""
    try:
        kind = Instrument(instrument)
    except ValueError:
        raise InvalidInput(f"unknown instrument {instrument!r}; choose "
                           + " or ".join(i.value for i in Instrument)) from None
    for c in CRITERIA[kind]:
        if key in (c.key, str(c.number)):
            return c
    raise InvalidInput(f"{kind.value} has no criterion {key!r}; choose one of "
                       + ", ".join(c.key for c in CRITERIA[kind]))


def ratings_of(instrument: Instrument) -> tuple[str, ...]:
    """The ratings an instrument allows."""
    if instrument is Instrument.HNR:
        return tuple(r.value for r in HnrRating)
    return DISCERN_RATINGS


def check_rating(instrument: Instrument, rating: str) -> str:
    """The rating as stored, or InvalidInput naming the allowed ones."""
    value = rating.strip().lower().replace(" ", "-")
    allowed = ratings_of(instrument)
    if value not in allowed:
        raise InvalidInput(f"{instrument.value} rates {', '.join(allowed)}; not {rating!r}")
    return value
