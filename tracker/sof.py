"""The summary of findings as CSV, Markdown and HTML (pure: rows in, text out).

The layout is the one GRADEpro and MAGICapp made familiar: per effect claim the population,
intervention, comparator and outcome; the number of studies and their designs; participants;
the effect (relative and absolute, with its CI, where a reviewer recorded it); the certainty
with a footnote per GRADE domain; and what the article says beside the wording its evidence
supports (GRADE guideline 26). The HTML prints on A4 (portrait) without cut columns: a fixed
table layout whose columns share the page width and whose cells wrap any long word.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence

from tracker.queries.wording import SofEffect, SofRow

__all__ = ["COLUMNS", "to_csv", "to_html", "to_markdown"]

#: Column heading and its share of the page width (percent) in the HTML.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("What the article says", 15), ("Population", 9), ("Intervention", 10),
    ("Comparator", 9), ("Outcome", 8), ("№ of studies (designs)", 10), ("Participants", 6),
    ("Relative effect (95 % CI)", 7), ("Absolute effect (95 % CI)", 7), ("Certainty", 8),
    ("Wording the evidence supports (GRADE 26)", 11),
)
NO_ADVICE = ("Evidence Tracker records evidence for an article's claims; it gives no medical "
             "advice.")


def _effects(effects: Sequence[SofEffect]) -> str:
    return "; ".join(e.text for e in effects) or "not recorded"


def _participants(row: SofRow) -> str:
    if row.participants is None:
        return "not recorded"
    return (f"{row.participants}" if row.participants_reported == row.studies
            else f"{row.participants} ({row.participants_reported} of {row.studies} studies)")


def _certainty(row: SofRow) -> str:
    return (row.certainty or "not rated").replace("-", " ")


def _cells(row: SofRow) -> list[str]:
    said = row.sentence if row.claim == row.sentence else f"{row.sentence} [part: {row.claim}]"
    return [said, row.population, row.intervention, row.comparator, row.outcome,
            f"{row.studies} ({row.designs})", _participants(row), _effects(row.relative),
            _effects(row.absolute), _certainty(row),
            row.allowed_wording if row.wording_verdict == "overstated"
            else f"{row.wording_verdict}: as the article says"]


def to_csv(rows: Sequence[SofRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["claim", *(c for c, _ in COLUMNS), "certainty footnotes"])
    for row in rows:
        writer.writerow([row.claim_id, *_cells(row), " | ".join(row.footnotes)])
    return out.getvalue()


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def to_markdown(rows: Sequence[SofRow], title: str) -> str:
    lines = [f"# Summary of findings: {_md(title)}", "", NO_ADVICE, "",
             "| # | " + " | ".join(c for c, _ in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    notes: list[str] = []
    for row in rows:
        cells = _cells(row)
        marks = []
        for note in row.footnotes:
            notes.append(note)
            marks.append(f"[^{len(notes)}]")
        cells[9] += " " + " ".join(marks) if marks else ""
        lines.append(f"| {row.claim_id} | " + " | ".join(_md(c) for c in cells) + " |")
    lines.append("")
    lines += [f"[^{i}]: {_md(n)}" for i, n in enumerate(notes, 1)]
    return "\n".join(lines) + "\n"


_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: system-ui, sans-serif; font-size: 9pt; margin: 0; }
main { max-width: 186mm; margin: 0 auto; }
table.sof { width: 100%; table-layout: fixed; border-collapse: collapse; }
table.sof th, table.sof td { border: 1px solid #999; padding: 2px 3px; vertical-align: top;
  overflow-wrap: break-word; hyphens: auto; text-align: left; }
table.sof th { background: #eee; font-size: 7pt; }
table.sof td { font-size: 7.5pt; }
table.sof tr { break-inside: avoid; }
ol.notes { font-size: 7.5pt; overflow-wrap: break-word; }
@media print { body { font-size: 8pt; } }
"""


def to_html(rows: Sequence[SofRow], title: str) -> str:
    esc = html.escape
    cols = "".join(f'<col style="width:{w}%">' for _, w in COLUMNS)
    head = "".join(f"<th>{esc(c)}</th>" for c, _ in COLUMNS)
    body: list[str] = []
    notes: list[str] = []
    for row in rows:
        cells = [esc(c) for c in _cells(row)]
        marks = []
        for note in row.footnotes:
            notes.append(note)
            marks.append(f'<sup><a href="#n{len(notes)}">{len(notes)}</a></sup>')
        cells[9] += "".join(marks)
        body.append(f'<tr id="claim-{row.claim_id}">'
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    listed = "".join(f'<li id="n{i}">{esc(n)}</li>' for i, n in enumerate(notes, 1))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Summary of findings: {esc(title)}</title><style>{_CSS}</style></head>"
            f"<body><main><h1>Summary of findings</h1><p>{esc(title)}</p>"
            f"<p><small>{esc(NO_ADVICE)}</small></p>"
            f'<table class="sof"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
            f'<h2>Certainty: reasons by GRADE domain</h2><ol class="notes">{listed}</ol>'
            "</main></body></html>\n")
