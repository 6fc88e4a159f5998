"""Article: the article as a reader sees it, each claim marked with its verdict and its
numbered references; pick a claim to see its evidence, flags and history."""

import streamlit as st

from dashboard import ui
from tracker import queries
from tracker.vocabulary import ClaimStatus

PICK_KEY = "article_claim"
#: Sentences nothing counted bears on: the reader sees "citation needed".
NEEDS_CITATION = (ClaimStatus.NOT_REVIEWED.value, ClaimStatus.NO_EVIDENCE_FOUND.value)


def claim_markdown(item: queries.ArticleClaim) -> str:
    """One claim: its verdict badge, its text (inert), its reference numbers."""
    claim = item.claim
    references = "".join(f"\\[{n}\\]" for n in item.markers)
    needed = (" :red[*citation needed*]" if claim.status in NEEDS_CITATION else "")
    flagged = " :orange-badge[:material/flag: flagged]" if claim.open_flags else ""
    cited = "".join(f" :blue-badge[cited by the article: {ui.escape_markdown(c.kind)} "
                    f"{ui.escape_markdown(c.identifier[:60])}]" for c in item.cited)
    return (f"{ui.grade_badges(claim)} {ui.escape_markdown(claim.text)} "
            f"{references}{needed}{flagged}{cited} :gray[· claim {claim.id}]")


def section_markdown(section: queries.ArticleSection) -> str:
    depth = min(section.level + 3, 6)
    heading = f"{'#' * depth} {ui.escape_markdown(section.title)}"
    return "\n\n".join([heading, *(claim_markdown(item) for item in section.claims)])


def legend() -> None:
    st.markdown(" ".join(ui.status_badge(s.value) for s in ClaimStatus)
                + " — numbers in brackets are the references below.")


def article(view: queries.ArticleView) -> None:
    with st.container(height=760, border=True):
        st.subheader(ui.escape_markdown(view.document.title), anchor=False)
        if view.introduction:
            st.markdown("\n\n".join(claim_markdown(item) for item in view.introduction))
        for section in view.sections:
            st.markdown(section_markdown(section))
        st.subheader("References", anchor=False)
        if not view.references:
            st.caption("No evidence linked yet.")
        st.markdown("\n".join(f"{n}. {ui.escape_markdown(text)} — {ui.escape_markdown(key)}"
                              for n, key, text in view.references))


def claim_panel(view: queries.ArticleView) -> None:
    items = view.introduction + [item for s in view.sections for item in s.claims]
    labels = {item.claim.id: ui.claim_label(item.claim) for item in items}
    st.subheader("A claim in full", anchor=False)
    claim_id = st.selectbox("Claim", list(labels), index=None, key=PICK_KEY,
                            format_func=lambda cid: labels.get(cid, f"#{cid}"),
                            placeholder="Pick a claim (type words or its number)")
    if claim_id is None:
        st.caption("Pick a claim to see its evidence, flags and history.")
        return
    ui.claim_detail(ui.read(queries.claim_detail, claim_id))


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Article", document)
    view = ui.read(queries.article_view, document.id)
    legend()
    left, right = st.columns([3, 2], gap="medium")
    with left:
        article(view)
    with right:
        claim_panel(view)


ui.with_document(render)
