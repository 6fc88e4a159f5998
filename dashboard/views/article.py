"""Article: the article as a reader sees it, each claim marked with its verdict and its
numbered references. Open a sentence ("›") to see its evidence, flags and history beside the
text and act on it by role; `?claim=30` is the permalink of claim 30."""

import streamlit as st

from dashboard import actions, ui
from tracker import queries
from tracker.vocabulary import ClaimStatus

PICK_KEY = "article_claim"
#: Sentences nothing counted bears on: the reader sees why ("citation needed", or the source
#: linked to it that does not count yet).
NEEDS_CITATION = (ClaimStatus.NOT_REVIEWED.value, ClaimStatus.NO_EVIDENCE_FOUND.value)
UNVERIFIED = ("source unverified", "the source linked to this sentence is not yet checked "
              "against its bibliographic record, so it does not count as evidence")
RETRACTED = ("source retracted", "the source linked to this sentence was retracted, so it "
             "does not count as evidence")


def missing_source(item: queries.ArticleClaim) -> str:
    """What a sentence with no counted source lacks, in words: its linked sources are
    unverified (or retracted), or it has none ("citation needed")."""
    if not item.counted and item.unverified:
        return f" :orange[*{UNVERIFIED[0]}*]"
    if not item.counted and item.retracted:
        return f" :red[*{RETRACTED[0]}*]"
    if item.claim.status in NEEDS_CITATION and not item.markers:
        return " :red[*citation needed*]"
    return ""


def claim_markdown(item: queries.ArticleClaim, chosen: bool = False) -> str:
    """One claim: its verdict badge, its text (inert), its reference numbers."""
    claim = item.claim
    references = "".join(f"\\[{n}\\]" for n in item.markers)
    flagged = " :orange-badge[:material/flag: flagged]" if claim.open_flags else ""
    cited = "".join(f" :blue-badge[cited by the article: {ui.escape_markdown(c.kind)} "
                    f"{ui.escape_markdown(c.identifier[:60])}]" for c in item.cited)
    text = ui.escape_markdown(claim.text)
    if chosen:
        text = f":violet-background[{text}]"
    return (f"{ui.grade_badges(claim)} {text} "
            f"{references}{missing_source(item)}{flagged}{cited} :gray[· claim {claim.id}]")


def legend() -> None:
    st.markdown(" ".join(ui.status_badge(s.value) for s in ClaimStatus)
                + " — numbers in brackets are the references below; › opens a sentence.",
                help="**Citation needed**: no source is linked. **Source unverified**: a "
                     "source is linked but not yet checked against its record, so it does not "
                     "count. Certainty is GRADE's (high, moderate, low, very low); *not yet "
                     "appraised* means a study behind it still needs its appraisal. Hover "
                     "over a sentence's ? to read what its badges mean and why.\n\n"
                     + ui.badge_glossary(ui.BADGE_MEANINGS))


def sentence(item: queries.ArticleClaim, chosen: int | None) -> None:
    text, button = st.columns([24, 1], vertical_alignment="center")
    text.markdown(claim_markdown(item, item.claim.id == chosen),
                  help=ui.badge_help(item.claim))
    if button.button("›", key=f"open_claim_{item.claim.id}", type="tertiary",
                     help=f"Open claim {item.claim.id} beside the text"):
        open_claim(item.claim.id)


def open_claim(claim_id: int | None) -> None:
    """Show `claim_id` beside the text and put it in the address (its permalink)."""
    st.session_state[PICK_KEY] = claim_id
    if claim_id is None:
        st.query_params.pop("claim", None)
    else:
        st.query_params["claim"] = str(claim_id)
    st.rerun()


def article(view: queries.ArticleView, chosen: int | None) -> None:
    st.subheader(ui.escape_markdown(view.document.title), anchor=False)
    for item in view.introduction:
        sentence(item, chosen)
    for section in queries.sections_with_claims(view):
        depth = min(section.level + 3, 6)
        st.markdown(f"{'#' * depth} {ui.escape_markdown(section.title)}")
        for item in section.claims:
            sentence(item, chosen)
    st.subheader("References", anchor=False)
    if not view.references:
        st.caption("No evidence linked yet.")
    st.markdown("\n".join(f"{n}. {ui.escape_markdown(text)} — {ui.escape_markdown(key)}"
                          for n, key, text in view.references))


def from_address(ids: set[int]) -> None:
    """`?claim=N` (a permalink) opens claim N, before the picker is drawn."""
    wanted = st.query_params.get("claim")
    if wanted is None or not wanted.isdigit():
        return
    if int(wanted) in ids and st.session_state.get(PICK_KEY) != int(wanted):
        st.session_state[PICK_KEY] = int(wanted)


def picked() -> None:
    claim_id = st.session_state.get(PICK_KEY)
    if claim_id is None:
        st.query_params.pop("claim", None)
    else:
        st.query_params["claim"] = str(claim_id)


def claim_panel(view: queries.ArticleView, claim_id: int | None) -> None:
    items = view.introduction + [item for s in view.sections for item in s.claims]
    labels = {item.claim.id: ui.claim_label(item.claim) for item in items}
    st.subheader("A claim in full", anchor=False)
    st.selectbox("Claim", list(labels), index=None, key=PICK_KEY, on_change=picked,
                 format_func=lambda cid: labels.get(cid, f"#{cid}"),
                 placeholder="Pick a claim (type words or its number)")
    if claim_id is None:
        st.caption("Open a sentence (›) or pick a claim to see its evidence, flags and "
                   "history; the address then links to it.")
        return
    ui.claim_detail(ui.read(queries.claim_detail, claim_id))
    actions.claim_actions(claim_id)


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Article", document)
    view = ui.read(queries.article_view, document.id)
    ids = {item.claim.id for item in view.introduction} | {
        item.claim.id for s in view.sections for item in s.claims}
    from_address(ids)
    chosen = st.session_state.get(PICK_KEY)
    chosen = chosen if chosen in ids else None
    legend()
    left, right = st.columns([3, 2], gap="medium")
    with left:
        article(view, chosen)
    with right:
        claim_panel(view, chosen)


ui.with_document(render)
