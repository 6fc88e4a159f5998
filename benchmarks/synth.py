#!/usr/bin/env python3
"""Synthetic workloads: a health desk's articles, one shared reference library, the evidence
that links them, editors' flags and a year of history — at sizes S, M and L.

    .venv/bin/python benchmarks/synth.py --size L --url sqlite:///var/bench/L.db [--seed 1]

    size  documents  claims  citations  evidence links  flags
    S             3     200        500           1,200     50
    M            30   2,000      5,000          12,000    500
    L           300  20,000     50,000         120,000  5,000

The database is migrated with `tracker.db.migrate`, then filled with bulk Core INSERTs
(executemany, in chunks) into the tables and columns the product writes. Nothing goes through
the per-use-case services, but every derived value is the product's own: claim categories from
`tracker.article.categorise`, study designs from `tracker.bibtex.detect_design`, gap-map topics
from `tracker.topics`, and each claim's stored grade (status, certainty, explanation,
requirement) from `tracker.grading`, replayed over its links in the order they were added, the
way `tracker.services.evidence.regrade` stores it — which also yields the status history
(`status_changes`) that coverage over time reads. `check_grades()` regrades a sample through
the service layer and asserts that nothing would change.

Everything is obviously synthetic ("Synthetic article 12: …", "Synthetic study 123 of …",
"Synthetic Journal of …", DOIs under the 10.5555/ test prefix, PMIDs above 90,000,000) and
never ships. The same citation generator writes the BibTeX file the import benchmark reads
(`write_bib`).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from tracker import article, bibtex, db, grading, topics
from tracker.models import Base, Claim, StatusChange
from tracker.services import evidence as evidence_service
from tracker.services.articles import PATH_SEPARATOR, slugify
from tracker.vocabulary import (
    ClaimCategory,
    ClaimStatus,
    Concern,
    FlagKind,
    FlagState,
    Priority,
    QuestionStatus,
    Role,
    SectionKind,
    Stance,
    StudyDesign,
)

DAY = timedelta(days=1)
CHUNK = 5000
PASSWORD = "synthetic-password"  # every synthetic user's password (to sign in on a bench DB)
DOI_PREFIX = "10.5555/synth"  # 10.5555 is the DOI test prefix
CONCERNS = evidence_service.CONCERNS
UPGRADES = evidence_service.UPGRADES


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


# --- vocabulary of the synthetic texts -------------------------------------------------------

TREATMENTS = ("ketamine", "lidocaine", "magnesium", "gabapentin", "pregabalin", "duloxetine",
              "amitriptyline", "cannabidiol", "capsaicin", "botulinum toxin", "memantine",
              "methadone", "buprenorphine", "clonidine", "dexmedetomidine", "esketamine")
TREATMENT_WEIGHTS = (8, 3, 2, 3, 3, 2, 2, 3, 2, 2, 1, 2, 2, 1, 1, 2)
# The first six are (in other words) conditions of the gap map; the rest are not on it.
CONDITIONS = ("neuropathic pain", "complex regional pain syndrome (CRPS)", "fibromyalgia",
              "cancer pain", "chronic migraine", "post-operative pain", "low back pain",
              "osteoarthritis of the knee", "phantom limb pain", "trigeminal neuralgia",
              "sickle cell pain crises", "chronic pelvic pain")
CONDITION_WEIGHTS = (5, 3, 3, 3, 3, 4, 3, 2, 1, 1, 1, 1)
ROUTES = (  # (noun phrase, adverb, adjective for study titles)
    ("intravenous infusion", "intravenously", "intravenous"),
    ("intranasal spray", "intranasally", "intranasal"),
    ("oral tablets", "orally", "oral"),
    ("sublingual lozenges", "sublingually", "sublingual"),
    ("intramuscular injection", "intramuscularly", "intramuscular"),
    ("topical cream", "topically", "topical"),
    ("subcutaneous infusion", "subcutaneously", "subcutaneous"),
)
ROUTE_WEIGHTS = (6, 3, 3, 1, 1, 2, 1)
FAMILIES = ("Okafor", "Hartley", "Nakamura", "Müller", "García", "Lindqvist", "O'Brien",
            "Kowalski", "Nguyen", "Rossi", "Dubois", "Haddad", "Fernández", "Løkke", "Ivanova",
            "Smith", "Chen", "Patel", "Andersen", "Moreau", "Schäfer", "Novák", "Yilmaz",
            "Kim", "Santos", "Jansen", "Brennan", "Costa", "Weiß", "Ahmed", "Tanaka", "Silva",
            "Eriksson", "Murphy", "Dimitrov", "Kaur", "Walsh", "Rahman", "Becker", "Ortiz",
            "Sørensen", "Čapek", "Lefèvre", "Ó Briain", "Zhang", "Ali", "Grant", "Horvath")
GIVENS = ("Ada", "Ben", "Chiara", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Iris", "José",
          "Kofi", "Lena", "Mateus", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tomás",
          "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Anne-Marie", "J. P.", "Søren")
JOURNAL_TOPICS = ("Pain Medicine", "Anaesthesia", "Headache Research", "Palliative Care",
                  "Clinical Pharmacology", "Regional Anesthesia", "Rheumatology",
                  "Pain Research and Management", "Neurology", "Perioperative Medicine",
                  "Evidence Synthesis", "Psychopharmacology")
DESIGN_WEIGHTS: dict[StudyDesign, float] = {  # roughly a clinical library's mix
    StudyDesign.RCT: 20, StudyDesign.COHORT: 14, StudyDesign.CASE_SERIES: 7,
    StudyDesign.CASE_REPORT: 8, StudyDesign.CASE_CONTROL: 4, StudyDesign.SYSTEMATIC_REVIEW: 7,
    StudyDesign.META_ANALYSIS: 5, StudyDesign.NARRATIVE_REVIEW: 12, StudyDesign.GUIDELINE: 3,
    StudyDesign.PRECLINICAL: 9, StudyDesign.PHARMACOLOGY: 5, StudyDesign.BOOK: 1,
    StudyDesign.OTHER: 3,
}
DESIGN_PHRASES: dict[StudyDesign, str] = {
    StudyDesign.RCT: "a randomized controlled trial",
    StudyDesign.COHORT: "a prospective cohort study",
    StudyDesign.CASE_SERIES: "a case series",
    StudyDesign.CASE_REPORT: "a case report",
    StudyDesign.CASE_CONTROL: "a case-control study",
    StudyDesign.SYSTEMATIC_REVIEW: "a systematic review",
    StudyDesign.META_ANALYSIS: "a systematic review and meta-analysis",
    StudyDesign.NARRATIVE_REVIEW: "a narrative review",
    StudyDesign.GUIDELINE: "consensus guidelines",
    StudyDesign.PRECLINICAL: "a study in rats",
    StudyDesign.PHARMACOLOGY: "a pharmacokinetic study in healthy volunteers",
    StudyDesign.BOOK: "a handbook",
    StudyDesign.OTHER: "a survey of practice",
}

SENTENCES: dict[str, tuple[str, ...]] = {
    "mechanism": (
        "{Tc} blocks NMDA receptors in the central nervous system, which reduces the "
        "transmission of pain signals and limits central sensitization.",
        "By acting on glutamate receptors, {T} lowers the excitability of neurons that carry "
        "pain signals, thereby decreasing overall pain perception in {C}.",
        "{Tc} also influences opioid receptors, monoamine transporters and cholinergic "
        "receptors, which may contribute to its overall effect.",
    ),
    "pharmacokinetics": (
        "{Tc} has a rapid onset of action, typically within {n} minutes when administered "
        "{Radv}, and its effects may last from {m} minutes to several hours.",
        "Metabolized primarily by the liver, {T} produces breakdown products that may extend "
        "the duration of pain relief beyond the session itself.",
        "The bioavailability of {T} given {Radv} is lower than that of the intravenous route, "
        "which is why higher doses are often used.",
    ),
    "administration": (
        "{Rc} of {T} is commonly given in a pain clinic, where the dose is titrated against "
        "pain scores over {n} sessions.",
        "{Rc} is the most common way to deliver {T} in clinical settings, because it allows "
        "precise control of the dose.",
        "Patients usually receive {T} {Radv} once every {n} weeks, although schedules vary "
        "between clinics and between patients.",
    ),
    "efficacy": (
        "{Tc} infusions have shown efficacy in reducing pain intensity and improving function "
        "in patients with {C} who did not respond to first-line treatment.",
        "{Tc} is used to treat {C}, particularly when the pain is refractory to conventional "
        "analgesics and physical therapy.",
        "In {C}, {T} can reduce pain scores by about {n} points on an eleven-point scale "
        "within the first week of treatment.",
        "{Tc} has also been utilized for {C}, {C2}, and {C3}.",
    ),
    "benefit": (
        "One benefit of {T} is that it may lower the need for opioids, cutting total opioid "
        "consumption by up to {pct} percent after surgery.",
        "A key advantage of {T} over conventional analgesics is its rapid relief of severe "
        "pain in patients with {C}.",
    ),
    "adverse": (
        "Common side effects of {T} include dizziness, nausea and transient increases in blood "
        "pressure, which usually resolve within {n} hours.",
        "At higher doses, {T} can cause hallucinations and other dissociative symptoms, so "
        "patients are monitored throughout each session.",
        "{Tc} is generally well tolerated when given under medical supervision at the low doses "
        "used for pain.",
    ),
    "contraindication": (
        "{Tc} should not be used in patients with uncontrolled hypertension, severe liver "
        "disease or a history of psychosis.",
        "Patients with a history of substance misuse may not be suitable candidates for {T} "
        "therapy, and precautions are needed.",
    ),
    "evidence": (
        "Multiple randomized controlled trials have shown that {T} reduces pain in {C} "
        "compared with placebo over the first {n} weeks.",
        "A meta-analysis of {n} trials confirmed a modest reduction in pain intensity with {T} "
        "for {C}, although the included studies were small.",
        "Several observational studies report sustained relief with {T} for up to {n} months "
        "in patients with {C}.",
        "Comprehensive reviews of the available evidence confirm that {T} provides short-term "
        "relief in {C}.",
        "Some studies suggest that {T} may improve mood and sleep in patients with {C}, which "
        "could add to the sense of relief.",
    ),
    "research": (
        "Research into {R} formulations of {T} is underway, and future trials may clarify "
        "which patients with {C} gain the most.",
        "Investigations are exploring whether combining {T} with physical rehabilitation may "
        "improve efficacy in {C}.",
    ),
    "general": (
        "{Cc} is a chronic pain condition characterized by persistent pain, sensory "
        "abnormalities and reduced quality of life.",
        "Patients with {C} often experience pain that responds poorly to standard analgesics, "
        "which drives interest in alternatives.",
        "Insurance coverage for {T} therapy varies, and many patients pay for each session out "
        "of pocket.",
    ),
}
TAILS = ("", "", "", "", " in most published reports", " according to clinical experience",
         " in adults", " in specialist centres")

# Section plan of an article: (title, theme, subsections as (title, theme, kind)).
_H = SectionKind.HEADING.value
_Q = SectionKind.QUESTION.value
SECTION_PLAN: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Understanding {Tt} and Its Role in Pain Relief", "mechanism", (
        ("Mechanism of Action", "mechanism", _H),
        ("Pharmacokinetics and Duration", "pharmacokinetics", _H))),
    ("Administration Methods of {Tt} Therapy", "administration", (
        ("Intravenous Infusion", "administration", _H),
        ("Intranasal Administration", "administration", _H),
        ("Oral and Sublingual Routes", "administration", _H),
        ("Other Methods", "administration", _H))),
    ("Conditions Treated with {Tt} Therapy", "efficacy", (
        ("Neuropathic Pain", "efficacy", _H), ("Fibromyalgia", "efficacy", _H),
        ("Cancer Pain", "efficacy", _H), ("Migraine and Headache", "efficacy", _H))),
    ("Benefits of {Tt} for Pain Management", "benefit", ()),
    ("Risks and Side Effects Associated with {Tt}", "adverse", (
        ("Common Side Effects", "adverse", _H),
        ("Contraindications and Precautions", "contraindication", _H))),
    ("Clinical Evidence and Research Findings", "evidence", (
        ("Randomized Controlled Trials", "evidence", _H),
        ("Observational Studies", "evidence", _H))),
    ("Future Directions in {Tt} Pain Therapy", "research", ()),
    ("Frequently Asked Questions", "general", (
        ("Is {T} therapy safe for long-term use?", "adverse", _Q),
        ("How quickly does {T} relieve pain?", "pharmacokinetics", _Q),
        ("Who should avoid {T}?", "contraindication", _Q),
        ("How many sessions of {T} are needed?", "administration", _Q))),
)
FLAG_KINDS = {FlagKind.UNSUPPORTED: 30, FlagKind.OVERSTATED: 20, FlagKind.CONTESTED: 15,
              FlagKind.OUTDATED: 10, FlagKind.UNVERIFIABLE_SOURCE: 10, FlagKind.OTHER: 15}
STANCES = {Stance.SUPPORTS: 60, Stance.BACKGROUND: 22, Stance.MIXED: 10, Stance.CONTRADICTS: 8}
CONCERN_WEIGHTS = {Concern.NONE: 85, Concern.SERIOUS: 12, Concern.VERY_SERIOUS: 3}


# --- the workload ----------------------------------------------------------------------------


@dataclass(slots=True)
class Workload:
    """Rows per table (in insert order) and what the generator decided, for the report."""

    size: Size
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.setdefault(table, [])


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(slots=True)
class _Citation:
    id: int
    key: str
    treatment: str
    design: StudyDesign | None
    verified: bool
    retracted: bool
    imported_at: datetime


@dataclass(slots=True)
class _Claim:
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


class _Generator:
    def __init__(self, size: Size, seed: int, end: datetime) -> None:
        self.size = size
        self.rng = random.Random(f"{size.name}:{seed}")
        self.seed = seed
        self.end = end
        self.start = end - 365 * DAY
        self.work = Workload(size)
        self.audit: list[dict[str, Any]] = []
        self.users: dict[Role, list[tuple[int, str]]] = {}
        self.citations: list[_Citation] = []
        self.pools: dict[str, tuple[list[_Citation], list[float]]] = {}
        self.claims: dict[int, _Claim] = {}
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

    # -- people --

    def people(self) -> None:
        pw_hash = PasswordHasher().hash(PASSWORD)
        rows = self.work.rows("users")
        created = self.start - 30 * DAY
        rows.append({"id": 1, "username": "system", "display_name": "Evidence Tracker set-up",
                     "role": Role.ADMIN.value, "password_hash": None, "active": True,
                     "is_system": True, "created_at": created, "version": 1})
        system = (1, "system")
        counts = {Role.ADMIN: self.size.admins, Role.EDITOR: self.size.editors,
                  Role.REVIEWER: self.size.reviewers, Role.VIEWER: self.size.viewers}
        for role, n in counts.items():
            for i in range(1, n + 1):
                ident = len(rows) + 1
                name = f"synth-{role.value}-{i:02d}"
                at = created + timedelta(hours=ident)
                rows.append({"id": ident, "username": name,
                             "display_name": f"Synthetic {role.value} {i}", "role": role.value,
                             "password_hash": pw_hash, "active": i != n or n < 3,
                             "is_system": False, "created_at": at, "version": 1})
                self.users.setdefault(role, []).append((ident, name))
                self.event(at, system if ident == 2 else self.users[Role.ADMIN][0], "user.add",
                           "user", ident, f"added {name} as {role.value}",
                           after={"username": name, "role": role.value})

    # -- the reference library --

    def library(self) -> None:
        size, rng = self.size, self.rng
        batches = max(3, min(12, size.citations // 400))
        first_share = 0.5
        times = [self.start + DAY] + [self.start + (30 * k + rng.random() * 5) * DAY
                                      for k in range(1, batches)]
        rows, topic_rows = self.work.rows("citations"), self.work.rows("citation_topics")
        per_batch: dict[int, list[str]] = defaultdict(list)
        lines: dict[int, int] = defaultdict(lambda: 1)
        for n in range(1, size.citations + 1):
            batch = 0 if rng.random() < first_share else rng.randrange(1, batches)
            entry = synthetic_entry(rng, n, self.seed)
            record = entry_record(entry)
            who = self.someone(Role.REVIEWER)
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
            self.citations.append(_Citation(n, record.key, entry["treatment"], record.design,
                                            record.verified, entry["retracted"], times[batch]))
            per_batch[batch].append(record.key)
        for row, cited in zip(rows, self.citations, strict=True):
            if cited.retracted:
                row["retracted"] = True
                row["retraction_note"] = "Synthetic retraction notice (test data)"
        for batch, keys in sorted(per_batch.items()):
            who = self.someone(Role.REVIEWER)
            source = f"synthetic-library-{batch + 1:02d}.bib"
            summary = {"found": len(keys), "added": len(keys), "merged": 0, "unchanged": 0,
                       "merged_in_files": 0, "problems": 0, "refused_entries": 0}
            self.event(times[batch], who, "citations.import", "citation", None,
                       f"imported {source}: {len(keys)} added, 0 merged, 0 unchanged, "
                       "0 refused", after={"sources": [source], **summary,
                                          "added_keys": keys[:200]})
        # Popularity: a few landmark studies are cited everywhere, most once or never.
        by_treatment: dict[str, list[_Citation]] = defaultdict(list)
        for cited in self.citations:
            by_treatment[cited.treatment].append(cited)
        for treatment, pool in by_treatment.items():
            weights = [1 / (rank + 5) ** 0.9 for rank in range(len(pool))]
            self.pools[treatment] = (pool, list(itertools.accumulate(weights)))
        everything = self.citations
        self.pools["*"] = (everything, list(itertools.accumulate(
            1 / (rank + 5) ** 0.9 for rank in range(len(everything)))))

    def cite(self, treatment: str) -> _Citation:
        pool, cumulative = self.pools[treatment if self.rng.random() < 0.8 else "*"]
        index = bisect.bisect(cumulative, self.rng.random() * cumulative[-1])
        return pool[min(index, len(pool) - 1)]

    # -- the articles --

    def articles(self) -> None:
        size, rng = self.size, self.rng
        splits = max(1, round(size.claims * 0.006))
        part_counts = [rng.choice((2, 2, 3)) for _ in range(splits)]
        sentences = size.claims - sum(part_counts)
        weights = [rng.lognormvariate(0, 0.55) for _ in range(size.documents)]
        lengths = [max(8, int(w / sum(weights) * sentences)) for w in weights]
        while sum(lengths) != sentences:
            i = rng.randrange(size.documents)
            step = 1 if sum(lengths) < sentences else -1
            if lengths[i] + step >= 8:
                lengths[i] += step
        ingested = sorted(self.between(self.start + 2 * DAY, self.end - 20 * DAY)
                          for _ in range(size.documents))
        claim_id = 0
        section_id = 0
        for index, (n_claims, t0) in enumerate(zip(lengths, ingested, strict=True), start=1):
            claim_id, section_id = self.article(index, n_claims, t0, claim_id, section_id)
        self.split(part_counts, claim_id)

    def article(self, index: int, n_claims: int, t0: datetime, claim_id: int,
                section_id: int) -> tuple[int, int]:
        rng = self.rng
        treatment = rng.choices(TREATMENTS, TREATMENT_WEIGHTS)[0]
        focus = rng.choices(CONDITIONS, CONDITION_WEIGHTS)[0]
        title = f"Synthetic article {index}: {_capital(treatment)} therapy for {focus}"
        fill = {"T": treatment, "Tc": _capital(treatment), "Tt": treatment.title()}
        plan = [p for p in SECTION_PLAN if p[0].startswith(("Frequently", "Understanding"))
                or rng.random() < 0.8]
        slots: list[tuple[tuple[str, ...], str, float]] = [((), "general", 0.6)]
        sections: list[tuple[tuple[str, ...], str, int]] = []  # path, kind, level
        for top, theme, subs in plan:
            top_title = top.format(**fill)
            chosen = [s for s in subs if rng.random() < 0.75] or list(subs[:1])
            sections.append(((top_title,), _H, 1))
            slots.append(((top_title,), theme, 0.6 if chosen else 1.6))
            for sub_title, sub_theme, kind in chosen:
                path = (top_title, sub_title.format(**fill))
                sections.append((path, kind, 2))
                slots.append((path, sub_theme, 0.5 if kind == _Q else 1.3))
        picked = sorted(rng.choices(range(len(slots)), [w for _, _, w in slots], k=n_claims))
        if 0 not in picked:
            picked[0] = 0
        picked.sort()
        # The text: title, introduction, table of contents, then each section and its claims.
        parts: list[str] = [title, "\n\n"]
        offset = len(title) + 2
        claim_spans: list[tuple[int, int, int, str]] = []  # slot, start, end, sentence
        section_spans: dict[tuple[str, ...], list[int]] = {}
        by_slot: dict[int, list[str]] = defaultdict(list)
        for slot in picked:
            by_slot[slot].append(self.sentence(slots[slot][1], treatment, focus))
        slot_of_path = {path: i for i, (path, _, _) in enumerate(slots)}

        def write(chunk: str) -> int:
            nonlocal offset
            at = offset
            parts.append(chunk)
            offset += len(chunk)
            return at

        def paragraph(slot: int) -> None:
            sentences_ = by_slot.get(slot, [])
            for i, sentence in enumerate(sentences_):
                at = write(sentence)
                claim_spans.append((slot, at, at + len(sentence), sentence))
                write(" " if i < len(sentences_) - 1 else "\n\n")

        paragraph(0)
        write("".join(f"- {path[0]}\n" for path, _, level in sections if level == 1) + "\n")
        for path, _, _ in sections:
            start = write(path[-1])
            write("\n\n")
            paragraph(slot_of_path[path])
            section_spans[path] = [start, offset]
        for path in section_spans:  # a top-level section spans its subsections
            if len(path) == 1:
                children = [v[1] for p, v in section_spans.items() if p[:1] == path]
                section_spans[path][1] = max(children)
        source_text = "".join(parts)
        slug = slugify(title)
        document = {
            "id": index, "slug": slug, "title": title,
            "source_path": f"synthetic/{slug}.txt", "source_format": "text",
            "source_text": source_text,
            "content_hash": hashlib.sha256(source_text.encode()).hexdigest(),
            "ingested_at": t0, "updated_at": t0, "version": 1,
        }
        self.work.rows("documents").append(document)
        self.documents.append(document)
        section_ids: dict[tuple[str, ...], int] = {}
        for ordinal, (path, kind, level) in enumerate(sections):
            section_id += 1
            section_ids[path] = section_id
            self.work.rows("sections").append({
                "id": section_id, "document_id": index,
                "parent_id": section_ids.get(path[:-1]) if level > 1 else None,
                "level": level, "ordinal": ordinal, "title": path[-1], "kind": kind,
                "path_key": PATH_SEPARATOR.join(path), "span_start": section_spans[path][0],
                "span_end": section_spans[path][1], "retired": False})
        body: dict[str, list[int]] = defaultdict(list)
        for ordinal, (slot, start, end, sentence) in enumerate(claim_spans):
            claim_id += 1
            path = slots[slot][0]
            category, rule = article.categorise(sentence, path)
            incomplete = rng.random() < 0.003
            if incomplete:
                sentence = sentence.rstrip(".")
                end = start + len(sentence)
            in_faq = bool(path) and path[0] == "Frequently Asked Questions"
            restates = None
            if in_faq and body.get(category.value) and rng.random() < 0.5:
                restates = rng.choice(body[category.value])
            elif not in_faq:
                body[category.value].append(claim_id)
            row = {
                "id": claim_id, "document_id": index,
                "section_id": section_ids.get(path) if path else None, "parent_id": None,
                "restates_id": restates, "ordinal": ordinal, "text": sentence,
                "span_start": start, "span_end": end, "category": category.value,
                "category_rule": rule, "fingerprint": article.fingerprint(sentence),
                "incomplete": incomplete, "retired": False, "retired_at": None,
                "created_at": t0, "updated_at": t0, "version": 1,
                "override_min_count": None, "override_designs": None, "override_reason": None,
                "override_by_id": None, "override_at": None, "signed_off_by_id": None,
                "signed_off_at": None, "signed_off_status": None,
            }
            self.claims[claim_id] = _Claim(claim_id, index, row["section_id"], sentence,
                                           category, t0, treatment, row=row)
            self.document_claims[index].append(claim_id)
        editor = self.someone(Role.EDITOR, Role.ADMIN)
        n_sections = len(sections)
        self.event(t0, editor, "document.ingest", "document", index,
                   f"ingested {document['source_path']}: {len(claim_spans)} claims in "
                   f"{n_sections} sections", document_id=index,
                   after={"path": document["source_path"],
                          "content_hash": document["content_hash"],
                          "claims": len(claim_spans), "sections": n_sections, "resources": 0})
        if rng.random() < 0.3:
            for ordinal in (1, 2):
                self.work.rows("resources").append({
                    "document_id": index, "ordinal": ordinal,
                    "title": f"Synthetic handbook {ordinal} on {treatment} (listed resource)",
                    "description": "A further-reading book the synthetic article lists.",
                    "span_start": len(source_text), "span_end": len(source_text),
                    "retired": False, "citation_id": None})
        return claim_id, section_id

    def sentence(self, theme: str, treatment: str, focus: str) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            theme = rng.choice(list(SENTENCES))
        template = rng.choice(SENTENCES[theme])
        others = rng.sample([c for c in CONDITIONS if c != focus], 2)
        condition = focus if rng.random() < 0.6 else rng.choices(CONDITIONS, CONDITION_WEIGHTS)[0]
        route = rng.choices(ROUTES, ROUTE_WEIGHTS)[0]
        text_ = template.format(
            T=treatment, Tc=_capital(treatment), C=condition, Cc=_capital(condition),
            C2=others[0], C3=others[1], R=route[2], Rc=_capital(route[0]), Radv=route[1],
            n=rng.randint(2, 30), m=rng.choice((20, 30, 45, 60)), pct=rng.choice((20, 30, 40)))
        tail = rng.choice(TAILS)
        return text_[:-1] + tail + "." if tail and text_.endswith(".") else text_

    def split(self, part_counts: list[int], last_id: int) -> None:
        """Editors split compound sentences (the three-indications kind first) into parts."""
        rng = self.rng
        compound = [c for c in self.claims.values() if ", and " in c.text]
        others = [c for c in self.claims.values() if ", and " not in c.text and "," in c.text]
        rng.shuffle(compound)
        rng.shuffle(others)
        candidates = iter(compound + others)
        claim_id = last_id
        for n_parts in part_counts:
            top = next(c for c in candidates if len(_fragments(c.text, n_parts)) == n_parts)
            fragments = _fragments(top.text, n_parts)
            top.split_at = self.later(top.ingested, 10)
            editor = self.someone(Role.EDITOR)
            row = top.row
            for ordinal, fragment in enumerate(fragments):
                claim_id += 1
                at = top.text.find(fragment)
                part_row = dict(row, id=claim_id, parent_id=top.id, restates_id=None,
                                ordinal=ordinal, text=fragment,
                                span_start=row["span_start"] + at,
                                span_end=row["span_start"] + at + len(fragment),
                                category_rule=f"part of claim #{top.id}",
                                fingerprint=f"{row['fingerprint']}:{ordinal}",
                                incomplete=False, created_at=top.split_at,
                                updated_at=top.split_at)
                self.claims[claim_id] = _Claim(claim_id, top.document, top.section_id,
                                               fragment, top.category, top.split_at,
                                               top.treatment, parent=top.id, row=part_row)
                top.parts.append(claim_id)
            self.event(top.split_at, editor, "claim.split", "claim", top.id,
                       f"claim #{top.id} split into {len(fragments)} parts: synthetic split",
                       document_id=top.document, claim_id=top.id,
                       after={"parts": fragments, "reason": "synthetic split"})
        self.work.facts["split_sentences"] = sum(1 for c in self.claims.values() if c.parts)

    # -- editors' decisions that change what a claim needs, or retire it --

    def overrides_and_revisions(self) -> None:
        rng = self.rng
        tops = [c for c in self.claims.values() if c.parent is None and not c.parts]
        for claim in rng.sample(tops, max(1, len(tops) // 200)):
            designs = sorted(rng.sample([StudyDesign.RCT.value, StudyDesign.COHORT.value,
                                         StudyDesign.SYSTEMATIC_REVIEW.value,
                                         StudyDesign.CASE_SERIES.value], rng.randint(1, 3)))
            editor = self.someone(Role.EDITOR)
            claim.override = (rng.randint(1, 2), designs,
                              "synthetic override: the sentence is narrower than its category",
                              editor[0], self.later(claim.ingested, 30))
        revised = rng.sample(self.documents, max(1, len(self.documents) // 10))
        retired = 0
        for document in revised:
            t_rev = self.between(document["ingested_at"] + 60 * DAY, self.end - DAY)
            if t_rev >= self.end - DAY:
                continue
            ids = [i for i in self.document_claims[document["id"]]
                   if not self.claims[i].parts and self.claims[i].override is None]
            gone = rng.sample(ids, max(1, len(ids) // 30))
            for claim_id in gone:
                self.claims[claim_id].retired_at = t_rev
            retired += len(gone)
            document["updated_at"] = t_rev
            document["version"] = 2
            editor = self.someone(Role.EDITOR)
            for claim_id in gone:
                self.event(t_rev, editor, "claim.retire", "claim", claim_id,
                           "no longer in the article", document_id=document["id"],
                           before={"text": self.claims[claim_id].text},
                           after={"retired": True})
            self.event(t_rev, editor, "document.revise", "document", document["id"],
                       f"re-ingested {document['source_path']}: {len(ids) - len(gone)} kept, "
                       f"0 edited, 0 added, {len(gone)} retired", document_id=document["id"],
                       before={"content_hash": document["content_hash"],
                               "path": document["source_path"]},
                       after={"content_hash": document["content_hash"],
                              "path": document["source_path"], "kept": len(ids) - len(gone),
                              "edited": 0, "added": 0, "retired": len(gone)})
        self.work.facts["retired_claims"] = retired
        self.work.facts["overrides"] = sum(1 for c in self.claims.values() if c.override)

    # -- evidence links --

    def links(self) -> None:
        size, rng = self.size, self.rng
        # Which claims get evidence, and how much: a quarter none, the rest skewed.
        gradable = [c for c in self.claims.values() if not c.parts]  # split: on the parts
        weights = [0.0 if rng.random() < 0.25 else rng.gammavariate(1.3, 1.0) for _ in gradable]
        total = sum(weights)
        counts = [min(60, int(w / total * size.links)) for w in weights]
        positive = [i for i, w in enumerate(weights) if w > 0]
        while sum(counts) < size.links:
            i = rng.choice(positive)
            if counts[i] < 60:
                counts[i] += 1
        pending: list[tuple[datetime, _Claim, _Citation, dict[str, Any]]] = []
        for claim, n in zip(gradable, counts, strict=True):
            chosen: set[int] = set()
            since = claim.split_at or claim.ingested
            if claim.parent is not None:
                since = self.claims[claim.parent].split_at or since
            for _ in range(n):
                for _attempt in range(20):
                    cited = self.cite(claim.treatment)
                    if cited.id not in chosen:
                        break
                else:
                    continue
                chosen.add(cited.id)
                at = self.later(max(since, cited.imported_at), 25)
                if claim.retired_at is not None and at >= claim.retired_at:
                    at = self.between(max(since, cited.imported_at), claim.retired_at)
                pending.append((at, claim, cited, self.judgement()))
        pending.sort(key=lambda p: p[0])
        rows = self.work.rows("evidence_links")
        for link_id, (at, claim, cited, values) in enumerate(pending, start=1):
            who = self.someone(Role.REVIEWER, Role.EDITOR)
            stance = values.pop("stance")
            row = {"id": link_id, "claim_id": claim.id, "citation_id": cited.id,
                   "stance": stance.value, **values, "created_by_id": who[0], "created_at": at,
                   "updated_by_id": None, "updated_at": at, "version": 1}
            state = {"citation": cited.key, "stance": stance.value, "locator": row["locator"],
                     "note": row["note"], **{k: row[k] for k in CONCERNS + UPGRADES}}
            self.event(at, who, "evidence.link", "evidence_link", link_id,
                       f"linked {cited.key} to claim #{claim.id} ({stance.value})",
                       document_id=claim.document, claim_id=claim.id, after=state)
            if rng.random() < 0.06:  # judged again later (GRADE moves certainty, not status)
                name = rng.choice(CONCERNS)
                before = row[name]
                row[name] = Concern.SERIOUS.value if before != Concern.SERIOUS.value \
                    else Concern.NONE.value
                judge = self.someone(Role.REVIEWER)
                row.update(updated_by_id=judge[0], updated_at=self.later(at, 20), version=2)
                self.event(row["updated_at"], judge, "evidence.judge", "evidence_link", link_id,
                           f"{cited.key} on claim #{claim.id}: {name} → {row[name]}",
                           document_id=claim.document, claim_id=claim.id,
                           before={name: before}, after={name: row[name]})
            rows.append(row)
            judgements = grading.Judgements(
                **{k: Concern(row[k]) if row[k] else None for k in CONCERNS},
                **{k: row[k] for k in UPGRADES})
            claim.links.append((at, link_id, grading.Evidence(
                citation=cited.key, design=cited.design, stance=stance, judgements=judgements,
                verified=cited.verified, retracted=cited.retracted)))

    def judgement(self) -> dict[str, Any]:
        rng = self.rng
        judged = rng.random() < 0.35  # most links carry no concern: "not judged" (NULL)
        values: dict[str, Any] = {k: _pick(rng, CONCERN_WEIGHTS).value if judged else None
                                  for k in CONCERNS}
        values["large_effect"] = rng.random() < 0.03
        values["dose_response"] = rng.random() < 0.02
        values["stance"] = _pick(rng, STANCES)
        values["locator"] = rng.choice(("", "", "Table 2", "Figure 3", "p. 14", "Results",
                                        "Abstract", "Table 1, row 4"))
        values["note"] = rng.choice((
            "", "Synthetic note: primary outcome matches the claim.",
            "Synthetic note: small sample, short follow-up.",
            "Synthetic note: population differs from the article's readers.",
            "Synthetic note: effect size reported as a 2-point reduction on an 11-point scale."))
        return values

    # -- grades and their history, replayed link by link --

    def grades(self) -> None:
        """Store each claim's verdict and its status history the way regrade() writes them."""
        for top in self.claims.values():
            if top.parent is None:
                self.replay(top)

    def replay(self, top: _Claim) -> None:
        parts = [self.claims[i] for i in top.parts]
        moments: set[datetime] = {at for at, _, _ in top.links}
        for part in parts:
            moments.update(at for at, _, _ in part.links)
        if top.split_at is not None:
            moments.add(top.split_at)
        if top.override is not None:
            moments.add(top.override[4])
        state: dict[int, tuple[str, str | None, str | None, str, str]] = {}
        changes: dict[int, int] = defaultdict(int)
        last_change: dict[int, datetime] = {}

        def store(claim: _Claim, at: datetime, verdict: grading.Verdict) -> None:
            status = verdict.status.value
            certainty = verdict.certainty.value if verdict.certainty else None
            standing = verdict.standing.value if verdict.standing else None
            requirement = f"{verdict.requirement.description} ({verdict.requirement.reason})"
            new = (status, certainty, standing, verdict.explanation, requirement)
            old = state.get(claim.id)
            if old is None:  # enters the history as not reviewed (note_new_claim)
                claim.history.append((at, None, ClaimStatus.NOT_REVIEWED.value))
                old = (ClaimStatus.NOT_REVIEWED.value, None, None, "", "")
            if old[0] != status:
                claim.history.append((at, old[0], status))
            if old != new:
                changes[claim.id] += 1
                last_change[claim.id] = at
            state[claim.id] = new

        def verdict_of(claim: _Claim, at: datetime, parent_text: str | None) -> grading.Verdict:
            items = [e for t, _, e in claim.links if t <= at]
            if claim.override is not None and claim.override[4] <= at:
                n, designs, why, _, _ = claim.override
                requirement = grading.override_requirement(
                    n, [StudyDesign(d) for d in designs], why)
            else:
                requirement = grading.requirement_for(parent_text or claim.text, claim.category,
                                                      grading.propose_track(claim.text)[0])
            return grading.grade(items, requirement, grading.propose_track(claim.text)[0])

        store(top, top.ingested, verdict_of(top, top.ingested, None))
        for at in sorted(moments):
            if top.retired_at is not None and at >= top.retired_at:
                break
            own = verdict_of(top, at, None)
            live_parts = parts if top.split_at is not None and at >= top.split_at else []
            graded = []
            for part in live_parts:
                verdict = verdict_of(part, at, top.text)
                store(part, at, verdict)
                graded.append((part.text, verdict))
            store(top, at, grading.combine(graded) if graded else own)
        if top.retired_at is not None:
            top.history.append((top.retired_at, state[top.id][0], None))
        for claim in [top, *parts]:
            status, certainty, standing, explanation, requirement = state.get(
                claim.id, (ClaimStatus.NOT_REVIEWED.value, None, None, "", ""))
            track, track_reason = grading.propose_track(claim.text)
            row = claim.row
            row.update(status=status, certainty=certainty, standing=standing,
                       explanation=explanation, requirement=requirement,
                       version=1 + changes[claim.id],
                       updated_at=last_change.get(claim.id, claim.ingested),
                       track=track.value, track_source="rule", track_reason=track_reason,
                       rules_version=grading.RULES_VERSION)
            if claim.retired_at is not None:
                row.update(retired=True, retired_at=claim.retired_at,
                           updated_at=claim.retired_at, version=row["version"] + 1)
            if claim.override is not None:
                n, designs, why, by, at_ = claim.override
                row.update(override_min_count=n, override_designs=designs, override_reason=why,
                           override_by_id=by, override_at=at_, version=row["version"] + 1)

    # -- sign-offs, flags, open questions --

    def sign_offs(self) -> None:
        rng = self.rng
        for claim in self.claims.values():
            row = claim.row
            if claim.parent is not None or row["retired"]:
                continue
            if not (row["status"] == ClaimStatus.SUPPORTED.value and rng.random() < 0.15
                    or rng.random() < 0.01):
                continue
            moves = [h for h in claim.history if h[2] is not None]
            if len(moves) > 1 and rng.random() < 0.1:  # signed off, then the grade moved on
                k = rng.randrange(len(moves) - 1)
                at, status = self.between(moves[k][0], moves[k + 1][0]), moves[k][2]
            else:
                at, status = self.later(moves[-1][0], 10), row["status"]
            editor = self.someone(Role.EDITOR)
            row.update(signed_off_by_id=editor[0], signed_off_at=at, signed_off_status=status,
                       version=row["version"] + 1)
            self.event(at, editor, "claim.sign-off", "claim", claim.id,
                       f"claim #{claim.id} signed off as {status}", document_id=claim.document,
                       claim_id=claim.id, after={"status": status})

    def flags(self) -> None:
        size, rng = self.size, self.rng
        live = [c for c in self.claims.values() if not c.row["retired"]]
        weak = [c for c in live if c.row["status"] != ClaimStatus.SUPPORTED.value]
        open_kinds: set[tuple[int, str]] = set()
        pending = []
        while len(pending) < size.flags:
            claim = rng.choice(weak if weak and rng.random() < 0.7 else live)
            kind = _pick(rng, FLAG_KINDS)
            raised = self.between(claim.ingested + DAY, self.end)
            closed_at = raised + timedelta(days=rng.expovariate(1 / 12), hours=1)
            state = FlagState.OPEN
            if closed_at < self.end and rng.random() < 0.85:
                state = FlagState.RESOLVED if rng.random() < 0.67 else FlagState.DISMISSED
            if state is FlagState.OPEN:
                if (claim.id, kind.value) in open_kinds:
                    continue
                open_kinds.add((claim.id, kind.value))
            pending.append((raised, claim, kind, state, closed_at))
        pending.sort(key=lambda p: p[0])
        rows = self.work.rows("flags")
        for flag_id, (raised, claim, kind, state, closed_at) in enumerate(pending, start=1):
            editor = self.someone(Role.EDITOR)
            reason = rng.choice((
                "Synthetic flag: no source for the figure quoted",
                "Synthetic flag: the sentence says more than the trial found",
                "Synthetic flag: newer studies disagree",
                "Synthetic flag: the cited source cannot be found"))
            row = {"id": flag_id, "claim_id": claim.id, "kind": kind.value, "reason": reason,
                   "state": state.value, "raised_by_id": editor[0], "raised_at": raised,
                   "closed_by_id": None, "closed_at": None, "resolution": None, "version": 1}
            self.event(raised, editor, "flag.raise", "flag", flag_id,
                       f"{kind.value} flag on claim #{claim.id}: {reason}",
                       document_id=claim.document, claim_id=claim.id,
                       after={"kind": kind.value, "reason": reason, "state": "open"})
            if state is not FlagState.OPEN:
                closer = self.someone(Role.EDITOR)
                why = ("Synthetic resolution: evidence added" if state is FlagState.RESOLVED
                       else "Synthetic dismissal: the sentence is hedged enough")
                row.update(closed_by_id=closer[0], closed_at=closed_at, resolution=why,
                           version=2)
                verb = "resolve" if state is FlagState.RESOLVED else "dismiss"
                self.event(closed_at, closer, f"flag.{verb}", "flag", flag_id,
                           f"{kind.value} flag on claim #{claim.id} {state.value}: {why}",
                           document_id=claim.document, claim_id=claim.id,
                           before={"state": "open"}, after={"state": state.value, "why": why})
            rows.append(row)

    def questions(self) -> None:
        rng = self.rng
        question_id = 0
        for document in self.documents:
            ids = [i for i in self.document_claims[document["id"]]
                   if not self.claims[i].row["retired"]]
            treatment = self.claims[ids[0]].treatment
            for k in range(1, rng.randint(3, 6) + 1):
                question_id += 1
                condition = rng.choices(CONDITIONS, CONDITION_WEIGHTS)[0]
                created = self.later(document["ingested_at"], 10)
                editor = self.someone(Role.EDITOR)
                slug = f"synthetic-question-{k}"
                status = _pick(rng, {QuestionStatus.OPEN: 60, QuestionStatus.EMERGING: 25,
                                     QuestionStatus.ANSWERED: 15})
                priority = _pick(rng, {Priority.HIGH: 30, Priority.MEDIUM: 50, Priority.LOW: 20})
                linked = rng.sample(ids, min(len(ids), rng.randint(1, 4)))
                self.work.rows("open_questions").append({
                    "id": question_id, "document_id": document["id"], "slug": slug,
                    "title": f"Synthetic open question {k}: how durable is the relief "
                             f"{treatment} gives in {condition}?",
                    "description": "What the synthetic article leaves open (test data).",
                    "status": status.value, "priority": priority.value,
                    "created_by_id": editor[0], "created_at": created, "updated_at": created,
                    "version": 1})
                self.work.rows("question_claims").extend(
                    {"question_id": question_id, "claim_id": c} for c in linked)
                self.event(created, editor, "question.add", "question", question_id,
                           f"open question {slug!r} added", document_id=document["id"],
                           after={"slug": slug, "status": status.value,
                                  "priority": priority.value, "claims": linked})
                addressed = {self.cite(treatment).id for _ in range(rng.randint(0, 5))}
                for citation_id in sorted(addressed):
                    who = self.someone(Role.REVIEWER)
                    cited = self.citations[citation_id - 1]
                    at = self.later(max(created, cited.imported_at), 30)
                    self.work.rows("question_evidence").append({
                        "question_id": question_id, "citation_id": citation_id,
                        "note": "Synthetic note: addresses the question in part.",
                        "added_by_id": who[0], "added_at": at})
                    self.event(at, who, "question.evidence", "question", question_id,
                               f"{cited.key} addresses {slug!r}", document_id=document["id"],
                               after={"citation": cited.key,
                                      "note": "Synthetic note: addresses the question in part."})

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


def _fragments(sentence: str, n: int) -> list[str]:
    """`n` verbatim fragments of a sentence (its comma-separated pieces, merged)."""
    pieces = [p.strip(" .") for p in sentence.replace(", and ", ", ").split(",")]
    pieces = [p for p in pieces if p]
    while len(pieces) > n:
        pieces[-2:] = [f"{pieces[-2]}, {pieces[-1]}"]
    return [p for p in pieces if p in sentence] or [sentence.strip(".")]


def build(size: Size, *, seed: int = 1, end: datetime | None = None,
          progress: Callable[[str], None] | None = None) -> Workload:
    """Generate the rows of every table for `size` (deterministic for a seed and end)."""
    moment = end or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    gen = _Generator(size, seed, moment)
    steps: list[tuple[str, Callable[[], None]]] = [
        ("users", gen.people), ("library", gen.library), ("articles", gen.articles),
        ("overrides, revisions", gen.overrides_and_revisions), ("links", gen.links),
        ("grades", gen.grades), ("sign-offs", gen.sign_offs), ("flags", gen.flags),
        ("questions", gen.questions)]
    for name, step in steps:
        started = time.perf_counter()
        step()
        if progress:
            progress(f"  generated {name} in {time.perf_counter() - started:.1f} s")
    return gen.finish()


# --- citations as BibTeX and as rows ---------------------------------------------------------


def synthetic_entry(rng: random.Random, n: int, seed: int) -> dict[str, Any]:
    """One synthetic citation's fields, as a library export would hold them."""
    design = _pick(rng, DESIGN_WEIGHTS)
    treatment = rng.choices(TREATMENTS, TREATMENT_WEIGHTS)[0]
    condition = rng.choices(CONDITIONS, CONDITION_WEIGHTS)[0]
    route = rng.choices(ROUTES, ROUTE_WEIGHTS)[0][2] if rng.random() < 0.7 else ""
    year = min(2025, int(2026 - rng.expovariate(1 / 9)))
    people = [(rng.choice(FAMILIES), rng.choice(GIVENS)) for _ in range(rng.randint(1, 8))]
    what = f"{route} {treatment}".strip()
    phrase = DESIGN_PHRASES[design] if rng.random() < 0.85 else ""
    title = f"Synthetic study {n} of {what} for {condition}" + (f": {phrase}" if phrase else "")
    entry_type = {StudyDesign.BOOK: "book", StudyDesign.GUIDELINE: "misc"}.get(
        design, "inproceedings" if rng.random() < 0.04 else "article")
    fields: dict[str, str] = {"title": title,
                              "author": " and ".join(f"{f}, {g}" for f, g in people)
                              + (" and others" if rng.random() < 0.1 else ""),
                              "year": str(year)}
    journal = f"Synthetic Journal of {rng.choice(JOURNAL_TOPICS)}"
    if entry_type == "book":
        fields["publisher"] = "Synthetic Press"
        fields["isbn"] = f"978-0-00-{n % 1000000:06d}-{n % 10}"
    elif entry_type == "inproceedings":
        topic = rng.choice(JOURNAL_TOPICS)
        fields["booktitle"] = f"Proceedings of the Synthetic Congress on {topic}"
    elif entry_type == "misc":
        fields["howpublished"] = "Synthetic Society of Pain Medicine"
    else:
        fields["journal"] = journal
        fields["volume"] = str(rng.randint(1, 80))
        fields["number"] = str(rng.randint(1, 12))
        first = rng.randint(1, 2000)
        fields["pages"] = f"{first}--{first + rng.randint(3, 20)}"
    fields["doi"] = f"{DOI_PREFIX}.{seed}.{n}"
    if rng.random() < 0.6:
        fields["pmid"] = str(90_000_000 + seed * 1_000_000 + n)
    if rng.random() < 0.3:
        fields["url"] = f"https://example.org/synthetic/{n}"
    if rng.random() < 0.8:
        fields["abstract"] = (
            f"Background: {_capital(condition)} is common and hard to treat. Methods: this "
            f"synthetic record describes {phrase or 'a study'} of {what} in "
            f"{rng.randint(12, 400)} participants followed for {rng.randint(1, 52)} weeks. "
            f"Results: pain scores fell by {rng.randint(1, 4)} points on average; "
            f"{rng.randint(5, 40)} percent reported side effects. Conclusions: the findings are "
            "synthetic test data and describe no real study.")
    keywords = [treatment, condition.split(" (")[0], "analgesia"]
    if rng.random() < 0.3 and design in (StudyDesign.RCT, StudyDesign.META_ANALYSIS,
                                         StudyDesign.CASE_REPORT, StudyDesign.COHORT):
        keywords.append({StudyDesign.RCT: "Randomized Controlled Trial",
                         StudyDesign.META_ANALYSIS: "Meta-Analysis",
                         StudyDesign.CASE_REPORT: "Case Reports",
                         StudyDesign.COHORT: "Cohort Study"}[design])
    fields["keywords"] = ", ".join(keywords)
    if rng.random() < 0.7:
        fields["studydesign"] = design.value
    verified = rng.random() < 0.85
    if verified:
        fields["verifiedfrom"] = f"synthetic registry record {n} (test data)"
        if rng.random() < 0.5:
            fields["finding"] = f"Synthetic finding: {what} eased {condition} a little."
    else:
        fields["uncertain"] = "synthetic candidate: details not yet checked"
        fields["seenat"] = "synthetic search results"
    family = people[0][0]
    key_family = bibtex.title_key(family).replace(" ", "") or "anon"
    key = f"{key_family}{year}s{n}"
    return {"key": key, "entry_type": entry_type, "fields": fields, "treatment": treatment,
            "retracted": rng.random() < 0.003}


_LATEX = {"ü": '{\\"u}', "ö": '{\\"o}', "ä": '{\\"a}', "é": "{\\'e}", "è": "{\\`e}",
          "á": "{\\'a}", "í": "{\\'i}", "ó": "{\\'o}", "ø": "{\\o}", "ß": "{\\ss}",
          "Č": "{\\v{C}}", "Ó": "{\\'O}", "ë": '{\\"e}', "ç": "{\\c{c}}", "Ø": "{\\O}",
          "Ü": '{\\"U}', "á ": "{\\'a} "}


def to_latex(text_: str) -> str:
    """Accented letters as LaTeX commands, as older BibTeX exports write them."""
    return "".join(_LATEX.get(ch, ch) for ch in text_)


def render_entry(entry: dict[str, Any], *, latex: bool = False,
                 macros: dict[str, str] | None = None) -> str:
    """The entry as BibTeX text; with `latex`, accents as LaTeX and acronyms in braces; with
    `macros`, journal names replaced by their @string macro."""
    lines = [f"@{entry['entry_type']}{{{entry['key']},"]
    for name, value in entry["fields"].items():
        if name == "journal" and macros and value in macros:
            lines.append(f"  {name} = {macros[value]},")
            continue
        if latex and name in ("title", "author", "abstract"):
            value = to_latex(value).replace("NMDA", "{NMDA}").replace(
                "CRPS", "{CRPS}")
        lines.append(f"  {name} = {{{value}}},")
    lines.append("}")
    return "\n".join(lines)


def entry_record(entry: dict[str, Any]) -> bibtex.CitationRecord:
    """The record the importer would build from the entry (plain-text fields, no LaTeX)."""
    fields = entry["fields"]
    authors_text = fields["author"]
    others = authors_text.endswith(" and others")
    names = authors_text.removesuffix(" and others").split(" and ")
    authors = tuple(bibtex.Person(family=f, given=g) for f, g in
                    (name.split(", ", 1) for name in names))
    keywords = tuple(k.strip() for k in fields["keywords"].split(","))
    design, source, reason = bibtex.detect_design(
        studydesign=fields.get("studydesign"), keywords=keywords, title=fields["title"],
        abstract=fields.get("abstract"), entry_type=entry["entry_type"])
    container = fields.get("journal") or fields.get("booktitle") or fields.get("publisher") \
        or fields.get("howpublished")
    consumed = {"title", "author", "year", "volume", "number", "pages", "doi", "pmid", "isbn",
                "url", "abstract", "keywords", "studydesign", "journal", "booktitle",
                "publisher", "howpublished"}
    extra = {k: v for k, v in fields.items() if k not in consumed}
    verified = "verifiedfrom" in fields
    note = fields["verifiedfrom"] if verified else (
        f"{fields['uncertain']}; seen at: {fields['seenat']}")
    return bibtex.CitationRecord(
        key=entry["key"], entry_type=entry["entry_type"], title=fields["title"],
        authors=authors, others=others, editors=(), year=int(fields["year"]),
        container=container, volume=fields.get("volume"), number=fields.get("number"),
        pages=bibtex.normalise_pages(fields["pages"]) if "pages" in fields else None,
        doi=fields["doi"].lower(), pmid=fields.get("pmid"), isbn=fields.get("isbn"),
        url=fields.get("url"), abstract=fields.get("abstract"), keywords=keywords,
        design=design, design_source=source, design_reason=reason, verified=verified,
        verification_note=note, extra=extra, raw="", line=0)


def citation_row(ident: int, record: bibtex.CitationRecord, raw: str, source: str, line: int,
                 imported_at: datetime, by: int) -> dict[str, Any]:
    """The `citations` row the importer writes for a record (`services.citations._row`)."""
    first = record.authors[0] if record.authors else None
    authors = [{"family": p.family, "given": p.given} for p in record.authors]
    names = "; ".join(f"{p.family}, {p.given}" if p.given else p.family for p in record.authors)
    return {
        "id": ident, "key": record.key, "entry_type": record.entry_type,
        "title": record.title or "", "title_key": bibtex.title_key(record.title or "")[:500],
        "authors": authors, "authors_text": names + ("; et al." if record.others else ""),
        "first_author_key": bibtex.title_key(first.family) if first else "",
        "others": record.others, "editors": [], "year": record.year,
        "container": record.container, "volume": record.volume, "number": record.number,
        "pages": record.pages, "doi": record.doi, "pmid": record.pmid, "isbn": record.isbn,
        "url": record.url, "abstract": record.abstract, "keywords": list(record.keywords),
        "design": record.design.value if record.design else None,
        "design_source": record.design_source.value, "design_reason": record.design_reason,
        "extra": dict(record.extra), "raw": raw, "source_file": source, "source_line": line,
        "imported_at": imported_at, "imported_by_id": by, "verified": record.verified,
        "verification_note": record.verification_note, "retracted": False,
        "retraction_note": None, "updated_at": imported_at, "version": 1,
    }


def write_bib(path: Path, entries: int, *, seed: int = 7) -> Path:
    """A realistic export of `entries` synthetic entries for the import benchmark: LaTeX
    accents and braced acronyms, @string journal macros and month macros, @comment blocks, and
    about 1% duplicates (the same DOI under another key, as merged libraries hold)."""
    rng = random.Random(f"bib:{seed}")
    journals = [f"Synthetic Journal of {t}" for t in JOURNAL_TOPICS]
    macros = {name: f"sj{i}" for i, name in enumerate(journals)}
    out = ["% Synthetic BibTeX library for the import benchmark (test data; never ships).",
           "% DOIs use the 10.5555 test prefix.", ""]
    out += [f'@string{{{macro} = "{name}"}}' for name, macro in macros.items()]
    out.append("")
    previous: list[dict[str, Any]] = []
    for n in range(1, entries + 1):
        if previous and rng.random() < 0.01:
            twin = rng.choice(previous[-500:])
            entry = {**twin, "key": f"{twin['key']}dup{n}", "fields": dict(twin["fields"])}
        else:
            entry = synthetic_entry(rng, n, seed)
            if rng.random() < 0.3:
                entry["fields"]["month"] = rng.choice(("jan", "feb", "mar", "apr", "may",
                                                       "jun", "jul", "aug", "sep", "oct",
                                                       "nov", "dec"))
        previous.append(entry)
        text_ = render_entry(entry, latex=rng.random() < 0.5, macros=macros)
        out.append(re.sub(r"month = \{(\w{3})\}", r"month = \1", text_))
        if n % 1000 == 0:
            out.append(f"@comment{{synthetic batch {n // 1000}}}")
        out.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return path


# --- writing ---------------------------------------------------------------------------------

TABLE_ORDER = ("users", "documents", "sections", "claims", "resources", "citations",
               "citation_topics", "evidence_links", "flags", "open_questions",
               "question_claims", "question_evidence", "status_changes", "audit_events")


def _chunks(rows: Sequence[dict[str, Any]], size: int = CHUNK
            ) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def write(engine: Engine, work: Workload, progress: Callable[[str], None] | None = None) -> None:
    """Bulk-insert every table in one transaction (Core executemany, in chunks); on PostgreSQL
    then move the id sequences past the explicit ids and VACUUM ANALYZE (as autovacuum would)."""
    with engine.begin() as conn:
        for name in TABLE_ORDER:
            rows = work.tables.get(name, [])
            if not rows:
                continue
            started = time.perf_counter()
            table = Base.metadata.tables[name]
            for chunk in _chunks(rows):
                conn.execute(insert(table), list(chunk))
            if progress:
                progress(f"  wrote {len(rows):>7,} {name} in "
                         f"{time.perf_counter() - started:.1f} s")
        if not db.is_sqlite(engine):
            for name in TABLE_ORDER:
                if "id" in Base.metadata.tables[name].c:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {name}))")
    if not db.is_sqlite(engine):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def check_grades(engine: Engine, sample: int = 300, seed: int = 0) -> int:
    """Regrade a sample of claims through the service layer and assert that nothing changes
    (the stored grade is the product's); rolled back. Returns the number checked."""
    columns = (Claim.id, Claim.status, Claim.certainty, Claim.standing, Claim.explanation,
               Claim.requirement, Claim.track)

    def stored(session: Session) -> tuple[set[tuple[Any, ...]], int]:
        history = session.scalar(select(func.count()).select_from(StatusChange))
        return {tuple(r) for r in session.execute(select(*columns))}, int(history or 0)

    with Session(engine) as session, session.begin():
        ids = list(session.scalars(select(Claim.id).where(Claim.retired.is_(False))))
        chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
        before, history = stored(session)
        evidence_service.regrade(session, chosen)  # flushes what it changes
        after, history_after = stored(session)
        session.rollback()
    if before != after or history != history_after:
        wrong = sorted(after - before)[:3]
        raise AssertionError(f"stored grades differ from the product's: {wrong} "
                             f"({history_after - history} status changes added)")
    return len(chosen)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar() or 0)
                for name in TABLE_ORDER}


def create(url: str, size: Size, *, seed: int = 1,
           progress: Callable[[str], None] | None = print) -> dict[str, Any]:
    """Migrate the (empty) database at `url`, generate and write the workload, check a sample
    of grades. Returns what was built and how long each step took."""
    engine = db.make_engine(url)
    try:
        started = time.perf_counter()
        db.migrate(engine)
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM claims")).scalar():
                raise SystemExit(f"{url}: the database already holds claims; use an empty one")
        generated = time.perf_counter()
        work = build(size, seed=seed, progress=progress)
        generate_s = time.perf_counter() - generated
        written = time.perf_counter()
        write(engine, work, progress)
        write_s = time.perf_counter() - written
        checked = check_grades(engine)
        total = time.perf_counter() - started
        rows = counts(engine)
    finally:
        engine.dispose()
    if progress:
        progress(f"  checked {checked} stored grades against the service layer: identical")
    return {"size": size.name, "seed": seed, "rows": rows, "facts": work.facts,
            "generate_s": round(generate_s, 2), "write_s": round(write_s, 2),
            "total_s": round(total, 2)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=list(SIZES), required=True)
    parser.add_argument("--url", required=True, help="an empty database (sqlite:/// or "
                                                     "postgresql://)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    summary = create(args.url, SIZES[args.size], seed=args.seed)
    rows = ", ".join(f"{n} {t}" for t, n in summary["rows"].items())
    print(f"{args.size}: {rows}")
    print(f"generated in {summary['generate_s']} s, written in {summary['write_s']} s, "
          f"{summary['total_s']} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
