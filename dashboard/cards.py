"""Tables that read on a phone: each wide table is drawn twice, as the table and as a list of
cards (one Markdown element), and the style in dashboard/narrow.js shows the table on a wide
screen and the cards below `PHONE_WIDTH` px — a 390 px screen gets no sideways-scrolling grid.
Stored text goes into the cards through `ui.escape_markdown`, like every Markdown body."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

from dashboard import ui
from tracker import queries

T = TypeVar("T")

PHONE_WIDTH = 640  # px: dashboard/narrow.js hides `wide_*` below it and `cards_*` above it
CARDS_SHOWN = ui.ROWS_SHOWN  # cards drawn at most (the filters narrow the rest)


def table_or_cards(name: str, table: Callable[[], object], rows: Sequence[T],
                   card: Callable[[T], str]) -> None:
    """`table()` for wide screens; for phones, the first `CARDS_SHOWN` rows as cards (`card`
    writes one as Markdown, escaped): only those are drawn, however long `rows` is."""
    with st.container(key=f"wide_{name}"):
        table()
    with st.container(key=f"cards_{name}"):
        if not rows:
            return
        shown = [card(r) for r in rows[:CARDS_SHOWN]]
        st.markdown("\n\n---\n\n".join(shown))
        if len(rows) > len(shown):
            st.caption(f"The first {len(shown)} of {len(rows)}: narrow them with the "
                       "filters, or turn the phone sideways for the table.")


def claim_card(row: queries.ClaimRow) -> str:
    """A claim as a card: its badges, its number, its text, where it is and its open flags."""
    flags = f" · :orange[flagged: {ui.escape_markdown(', '.join(row.open_flags))}]" \
        if row.open_flags else ""
    part = f" · part of #{row.parent}" if row.parent is not None else ""
    return (f"{ui.grade_badges(row)} **#{row.id}**{part}  \n"
            f"{ui.escape_markdown(row.text)}  \n"
            f":gray[{ui.escape_markdown(ui.section_name(row.section))} · "
            f"{ui.escape_markdown(row.category)}]{flags}")


def citation_card(row: queries.CitationRow) -> str:
    """A citation as a card: key, year, design, verified or not, its title and authors."""
    marks = [f"**{ui.escape_markdown(row.key)}**", str(row.year or "n.d."),
             ui.escape_markdown(row.design or "design unknown"),
             "verified" if row.verified else ":orange[not verified]",
             f"{row.links} link{'' if row.links == 1 else 's'}"]
    if row.retracted:
        marks.append(":red[**retracted**]")
    return (" · ".join(marks) + f"  \n{ui.escape_markdown(row.title)}  \n"
            f":gray[{ui.escape_markdown(ui.shorten(row.authors, 120))}]")


def flag_card(row: queries.FlagRow) -> str:
    """An open or closed flag as a card: what, on which claim, why, by whom."""
    closed = (f"  \n:gray[{ui.escape_markdown(row.state)} by "
              f"{ui.escape_markdown(row.closed_by or '')}: "
              f"{ui.escape_markdown(row.resolution or '')}]") if row.closed_by else ""
    return (f":orange-badge[{ui.escape_markdown(row.kind)}] **flag #{row.id}** on claim "
            f"#{row.claim_id} · {row.raised_at:%Y-%m-%d} by "
            f"{ui.escape_markdown(row.raised_by)}  \n"
            f"{ui.escape_markdown(row.reason)}  \n"
            f":gray[{ui.escape_markdown(ui.shorten(row.claim_text, 140))}]{closed}")
