"""The desk's articles: their text, sections and claims, and the compound sentences editors
split into parts. Categories and fingerprints are the product's own (`tracker.article`)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime

from tracker.article import categorise, fingerprint
from tracker.services.articles import PATH_SEPARATOR, slugify
from tracker.vocabulary import Role, SectionKind

from .generator import DAY, ClaimDraft, Desk, capital
from .vocabulary import (
    CONDITION_WEIGHTS,
    CONDITIONS,
    ROUTE_WEIGHTS,
    ROUTES,
    SECTION_PLAN,
    SENTENCES,
    TAILS,
    TREATMENT_WEIGHTS,
    TREATMENTS,
)

HEADING, QUESTION = SectionKind.HEADING.value, SectionKind.QUESTION.value
Path = tuple[str, ...]  # a section's titles from the top
Slot = tuple[Path, str, float]  # where sentences go: section path, theme, weight
Section = tuple[Path, str, int]  # path, kind, level
ClaimSpan = tuple[int, int, int, str]  # slot, start, end, sentence


def articles(desk: Desk) -> None:
    """The documents, their lengths skewed (each at least 8 sentences), ingested over the
    year; then the splits, so that the claim rows add up to the size's count."""
    size, rng = desk.size, desk.rng
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
    ingested = sorted(desk.between(desk.start + 2 * DAY, desk.end - 20 * DAY)
                      for _ in range(size.documents))
    claim_id = 0
    section_id = 0
    for index, (n_claims, t0) in enumerate(zip(lengths, ingested, strict=True), start=1):
        claim_id, section_id = article(desk, index, n_claims, t0, claim_id, section_id)
    split(desk, part_counts, claim_id)


def article(desk: Desk, index: int, n_claims: int, t0: datetime, claim_id: int,
            section_id: int) -> tuple[int, int]:
    """One article about a treatment: its rows (document, sections, claims, sometimes two
    listed resources) and its ingest event. Returns the last claim and section ids used."""
    rng = desk.rng
    treatment = rng.choices(TREATMENTS, TREATMENT_WEIGHTS)[0]
    focus = rng.choices(CONDITIONS, CONDITION_WEIGHTS)[0]
    title = f"Synthetic article {index}: {capital(treatment)} therapy for {focus}"
    fill = {"T": treatment, "Tc": capital(treatment), "Tt": treatment.title()}
    sections, slots = _outline(desk, fill)
    picked = sorted(rng.choices(range(len(slots)), [w for _, _, w in slots], k=n_claims))
    if 0 not in picked:
        picked[0] = 0
    picked.sort()
    by_slot: dict[int, list[str]] = defaultdict(list)
    for slot in picked:
        by_slot[slot].append(random_sentence(desk, slots[slot][1], treatment, focus))
    source_text, claim_spans, section_spans = _compose(title, sections, slots, by_slot)
    document = _document(desk, index, title, source_text, t0)
    section_ids: dict[Path, int] = {}
    for ordinal, (path, kind, level) in enumerate(sections):
        section_id += 1
        section_ids[path] = section_id
        desk.work.rows("sections").append({
            "id": section_id, "document_id": index,
            "parent_id": section_ids.get(path[:-1]) if level > 1 else None,
            "level": level, "ordinal": ordinal, "title": path[-1], "kind": kind,
            "path_key": PATH_SEPARATOR.join(path), "span_start": section_spans[path][0],
            "span_end": section_spans[path][1], "retired": False})
    claim_id = _claims(desk, index, t0, treatment, slots, claim_spans, section_ids, claim_id)
    editor = desk.someone(Role.EDITOR, Role.ADMIN)
    n_sections = len(sections)
    desk.event(t0, editor, "document.ingest", "document", index,
               f"ingested {document['source_path']}: {len(claim_spans)} claims in "
               f"{n_sections} sections", document_id=index,
               after={"path": document["source_path"],
                      "content_hash": document["content_hash"],
                      "claims": len(claim_spans), "sections": n_sections, "resources": 0})
    if rng.random() < 0.3:
        for ordinal in (1, 2):
            desk.work.rows("resources").append({
                "document_id": index, "ordinal": ordinal,
                "title": f"Synthetic handbook {ordinal} on {treatment} (listed resource)",
                "description": "A further-reading book the synthetic article lists.",
                "span_start": len(source_text), "span_end": len(source_text),
                "retired": False, "citation_id": None})
    return claim_id, section_id


def _outline(desk: Desk, fill: dict[str, str]) -> tuple[list[Section], list[Slot]]:
    """The article's sections (most of the plan's, the first and the FAQ always) and the
    slots its sentences are drawn into (the introduction first)."""
    rng = desk.rng
    plan = [p for p in SECTION_PLAN if p[0].startswith(("Frequently", "Understanding"))
            or rng.random() < 0.8]
    slots: list[Slot] = [((), "general", 0.6)]
    sections: list[Section] = []
    for top, theme, subs in plan:
        top_title = top.format(**fill)
        chosen = [s for s in subs if rng.random() < 0.75] or list(subs[:1])
        sections.append(((top_title,), HEADING, 1))
        slots.append(((top_title,), theme, 0.6 if chosen else 1.6))
        for sub_title, sub_theme, kind in chosen:
            path = (top_title, sub_title.format(**fill))
            sections.append((path, kind, 2))
            slots.append((path, sub_theme, 0.5 if kind == QUESTION else 1.3))
    return sections, slots


def _compose(title: str, sections: list[Section], slots: list[Slot],
             by_slot: dict[int, list[str]]
             ) -> tuple[str, list[ClaimSpan], dict[Path, list[int]]]:
    """The text: title, introduction, table of contents, then each section and its claims;
    with where each claim and each section stands in it."""
    parts: list[str] = [title, "\n\n"]
    offset = len(title) + 2
    claim_spans: list[ClaimSpan] = []
    section_spans: dict[Path, list[int]] = {}
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
    return "".join(parts), claim_spans, section_spans


def _document(desk: Desk, index: int, title: str, source_text: str,
              t0: datetime) -> dict[str, object]:
    """The `documents` row of an article ingested at `t0`."""
    slug = slugify(title)
    document = {
        "id": index, "slug": slug, "title": title,
        "source_path": f"synthetic/{slug}.txt", "source_format": "text",
        "source_text": source_text,
        "content_hash": hashlib.sha256(source_text.encode()).hexdigest(),
        "ingested_at": t0, "updated_at": t0, "version": 1,
    }
    desk.work.rows("documents").append(document)
    desk.documents.append(document)
    return document


def _claims(desk: Desk, index: int, t0: datetime, treatment: str, slots: list[Slot],
            claim_spans: list[ClaimSpan], section_ids: dict[Path, int], claim_id: int) -> int:
    """The article's claim rows, a few incomplete, FAQ answers sometimes restating a claim of
    the body. Returns the last claim id used."""
    rng = desk.rng
    body: dict[str, list[int]] = defaultdict(list)
    for ordinal, (slot, start, end, sentence) in enumerate(claim_spans):
        claim_id += 1
        path = slots[slot][0]
        category, rule = categorise(sentence, path)
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
            "category_rule": rule, "fingerprint": fingerprint(sentence),
            "incomplete": incomplete, "retired": False, "retired_at": None,
            "created_at": t0, "updated_at": t0, "version": 1,
            "override_min_count": None, "override_designs": None, "override_reason": None,
            "override_by_id": None, "override_at": None, "signed_off_by_id": None,
            "signed_off_at": None, "signed_off_status": None,
        }
        desk.claims[claim_id] = ClaimDraft(claim_id, index, row["section_id"], sentence,
                                           category, t0, treatment, row=row)
        desk.document_claims[index].append(claim_id)
    return claim_id


def random_sentence(desk: Desk, theme: str, treatment: str, focus: str) -> str:
    """A sentence on the theme (sometimes another), about the treatment and mostly the
    article's focus condition."""
    rng = desk.rng
    if rng.random() < 0.3:
        theme = rng.choice(list(SENTENCES))
    template = rng.choice(SENTENCES[theme])
    others = rng.sample([c for c in CONDITIONS if c != focus], 2)
    condition = focus if rng.random() < 0.6 else rng.choices(CONDITIONS, CONDITION_WEIGHTS)[0]
    route = rng.choices(ROUTES, ROUTE_WEIGHTS)[0]
    text_ = template.format(
        T=treatment, Tc=capital(treatment), C=condition, Cc=capital(condition),
        C2=others[0], C3=others[1], R=route[2], Rc=capital(route[0]), Radv=route[1],
        n=rng.randint(2, 30), m=rng.choice((20, 30, 45, 60)), pct=rng.choice((20, 30, 40)))
    tail = rng.choice(TAILS)
    return text_[:-1] + tail + "." if tail and text_.endswith(".") else text_


def split(desk: Desk, part_counts: list[int], last_id: int) -> None:
    """Editors split compound sentences (the three-indications kind first) into parts."""
    rng = desk.rng
    compound = [c for c in desk.claims.values() if ", and " in c.text]
    others = [c for c in desk.claims.values() if ", and " not in c.text and "," in c.text]
    rng.shuffle(compound)
    rng.shuffle(others)
    candidates = iter(compound + others)
    claim_id = last_id
    for n_parts in part_counts:
        top = next(c for c in candidates if len(_fragments(c.text, n_parts)) == n_parts)
        fragments = _fragments(top.text, n_parts)
        top.split_at = desk.later(top.ingested, 10)
        editor = desk.someone(Role.EDITOR)
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
            desk.claims[claim_id] = ClaimDraft(claim_id, top.document, top.section_id,
                                               fragment, top.category, top.split_at,
                                               top.treatment, parent=top.id, row=part_row)
            top.parts.append(claim_id)
        desk.event(top.split_at, editor, "claim.split", "claim", top.id,
                   f"claim #{top.id} split into {len(fragments)} parts: synthetic split",
                   document_id=top.document, claim_id=top.id,
                   after={"parts": fragments, "reason": "synthetic split"})
    desk.work.facts["split_sentences"] = sum(1 for c in desk.claims.values() if c.parts)


def _fragments(sentence: str, n: int) -> list[str]:
    """`n` verbatim fragments of a sentence (its comma-separated pieces, merged)."""
    pieces = [p.strip(" .") for p in sentence.replace(", and ", ", ").split(",")]
    pieces = [p for p in pieces if p]
    while len(pieces) > n:
        pieces[-2:] = [f"{pieces[-2]}, {pieces[-1]}"]
    return [p for p in pieces if p in sentence] or [sentence.strip(".")]
