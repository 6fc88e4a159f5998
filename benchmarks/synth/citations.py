"""Synthetic citations: one entry's fields as a library export holds them, as BibTeX text,
as the record the importer builds and as the `citations` row it writes; and a whole BibTeX
file of them for the import benchmarks (`write_bib`)."""

from __future__ import annotations

import random
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from tracker import bibtex
from tracker.vocabulary import StudyDesign

from .generator import capital, pick
from .vocabulary import (
    CONDITION_WEIGHTS,
    CONDITIONS,
    DESIGN_PHRASES,
    DESIGN_WEIGHTS,
    FAMILIES,
    GIVENS,
    JOURNAL_TOPICS,
    ROUTE_WEIGHTS,
    ROUTES,
    TREATMENT_WEIGHTS,
    TREATMENTS,
)

DOI_PREFIX = "10.5555/synth"  # 10.5555 is the DOI test prefix


def synthetic_entry(rng: random.Random, n: int, seed: int) -> dict[str, Any]:
    """One synthetic citation's fields, as a library export would hold them."""
    design = pick(rng, DESIGN_WEIGHTS)
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
            f"Background: {capital(condition)} is common and hard to treat. Methods: this "
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

