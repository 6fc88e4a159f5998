"""The shared reference library: synthetic citations as the importer would store them."""

from __future__ import annotations

import itertools
from collections import defaultdict

from tracker import topics
from tracker.vocabulary import Role

from .citations import citation_row, entry_record, render_entry, synthetic_entry
from .generator import DAY, Desk, LibraryEntry


def library(desk: Desk) -> None:
    """The reference library, imported in monthly batches by reviewers (half in the first),
    with its gap-map topics; then each treatment's pool of citations, a few cited often."""
    size, rng = desk.size, desk.rng
    batches = max(3, min(12, size.citations // 400))
    first_share = 0.5
    times = [desk.start + DAY] + [desk.start + (30 * k + rng.random() * 5) * DAY
                                  for k in range(1, batches)]
    rows, topic_rows = desk.work.rows("citations"), desk.work.rows("citation_topics")
    per_batch: dict[int, list[str]] = defaultdict(list)
    lines: dict[int, int] = defaultdict(lambda: 1)
    for n in range(1, size.citations + 1):
        batch = 0 if rng.random() < first_share else rng.randrange(1, batches)
        entry = synthetic_entry(rng, n, desk.seed)
        record = entry_record(entry)
        who = desk.someone(Role.REVIEWER)
        source = f"synthetic-library-{batch + 1:02d}.bib"
        raw = render_entry(entry, latex=False)
        line = lines[batch]
        lines[batch] += raw.count("\n") + 2
        rows.append(citation_row(n, record, raw, source, line, times[batch], who[0]))
        for facet, value in topics.topics_for([record.title, record.abstract,
                                                " ".join(record.keywords),
                                                record.extra.get("finding")]):
            topic_rows.append({"citation_id": n, "facet": facet, "value": value,
                               "source": "rule"})
        desk.citations.append(LibraryEntry(n, record.key, entry["treatment"], record.design,
                                           record.verified, entry["retracted"],
                                           times[batch]))
        per_batch[batch].append(record.key)
    for row, cited in zip(rows, desk.citations, strict=True):
        if cited.retracted:
            row["retracted"] = True
            row["retraction_note"] = "Synthetic retraction notice (test data)"
    for batch, keys in sorted(per_batch.items()):
        who = desk.someone(Role.REVIEWER)
        source = f"synthetic-library-{batch + 1:02d}.bib"
        summary = {"found": len(keys), "added": len(keys), "merged": 0, "unchanged": 0,
                   "merged_in_files": 0, "problems": 0, "refused_entries": 0}
        desk.event(times[batch], who, "citations.import", "citation", None,
                   f"imported {source}: {len(keys)} added, 0 merged, 0 unchanged, "
                   "0 refused", after={"sources": [source], **summary,
                                      "added_keys": keys[:200]})
    # Popularity: a few landmark studies are cited everywhere, most once or never.
    by_treatment: dict[str, list[LibraryEntry]] = defaultdict(list)
    for cited in desk.citations:
        by_treatment[cited.treatment].append(cited)
    for treatment, pool in by_treatment.items():
        weights = [1 / (rank + 5) ** 0.9 for rank in range(len(pool))]
        desk.pools[treatment] = (pool, list(itertools.accumulate(weights)))
    everything = desk.citations
    desk.pools["*"] = (everything, list(itertools.accumulate(
        1 / (rank + 5) ** 0.9 for rank in range(len(everything)))))

