"""Evidence: find citations; reviewers import BibTeX, link citations to claims with a stance
and GRADE judgements, and edit or remove links."""

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from dashboard import actions, cards, ui
from tracker import bibtex, formats, grading, queries, retractions, text
from tracker.services import citations, evidence
from tracker.services import retractions as retractions_service
from tracker.services.access import Actor
from tracker.vocabulary import (
    DOMAIN_LABELS,
    DOWNGRADE_DOMAINS,
    LINK_UPGRADES,
    Concern,
    Stance,
    StudyDesign,
)

PAGE_SIZE = 25
TAB_KEY = "evidence_tab"
TABS = ["Find and link", "Edit or remove a link", "Import BibTeX"]
WRITES = ("evidence.link", "evidence.edit", "evidence.unlink", "citations.import")  # use cases
RESULTS_KEY = "citation_results"
CITATION_KEY = "link_citation"
REPORT_KEY = "import_report"
PREFILLED_KEY = "link_prefilled"  # the LinkPrefill the link form was filled in from
SEEN_KEY = "seen_link_versions"  # link id -> the version the reviewer started editing
CONCERNS = {d.value: DOMAIN_LABELS[d] for d in DOWNGRADE_DOMAINS}
UPGRADES = {d.value: DOMAIN_LABELS[d] for d in LINK_UPGRADES}
VERIFIED = {"all": None, "verified": True, "unverified": False}


# --- find ------------------------------------------------------------------------------------


def citation_label(row: queries.CitationRow) -> str:
    return (f"{row.key} · {row.year or 'n.d.'} · {row.design or 'design unknown'} · "
            f"{ui.shorten(row.title, 70)}")


def find_citations() -> list[queries.CitationRow]:
    """Search box and results table; selecting a row picks the citation to link."""
    words, design, verified = st.columns([3, 1, 1])
    search = words.text_input(
        "Search key, title, authors, DOI or PMID", key="citation_search",
        help='Every word must match, in the title, abstract, keywords or finding (any ending, '
             'and synonyms: CRPS also finds "complex regional pain syndrome") or in the key, '
             'authors, DOI or PMID. Put "a phrase" in quotes.')
    chosen_design = design.selectbox("Design", ["all", *(d.value for d in StudyDesign)],
                                     key="citation_design")
    chosen = queries.CitationFilter(
        search=search.strip() or None,
        design=None if chosen_design == "all" else chosen_design,
        verified=VERIFIED[verified.selectbox("Verified", list(VERIFIED),
                                             key="citation_verified")],
    )
    total = ui.read(queries.citation_count, chosen)
    offset = ui.paginate(total, PAGE_SIZE, key="citation_page")
    rows = ui.read(queries.citations, chosen, limit=PAGE_SIZE, offset=offset)
    st.caption(f"{total} citation{' matches' if total == 1 else 's match'} "
               "(most-linked first).")

    table_key = ui.fresh_key(RESULTS_KEY)  # renewed after a link: no stale tick

    def picked() -> None:
        selected = st.session_state[table_key]["selection"]["rows"]
        if selected:
            st.session_state[CITATION_KEY] = rows[selected[0]].id

    cards.table_or_cards("citations", lambda: st.dataframe(
        [{"key": r.key, "title": r.title, "authors": r.authors, "year": r.year,
          "design": r.design or "unknown", "level": r.level, "verified": r.verified,
          "retracted": r.retracted, "links": r.links, **ui.identifier_cells(r.doi, r.pmid)}
         for r in rows],
        hide_index=True, key=table_key, on_select=picked, selection_mode="single-row",
        column_config={"title": st.column_config.TextColumn("Title", width="large"),
                       "year": st.column_config.NumberColumn("Year", format="%d"),
                       "level": st.column_config.NumberColumn("CEBM level"),
                       **ui.IDENTIFIER_COLUMNS}), rows, cards.citation_card)
    return rows


# --- link ------------------------------------------------------------------------------------


NOT_JUDGED = "not judged"


def judgement_inputs(prefix: str, current: dict[str, Any] | None = None
                     ) -> grading.Judgements:
    """GRADE judgement widgets (five concerns, two reasons to rate up)."""
    values = current or {}
    # "not judged" is a state of its own (stored as nothing), never read as "none" (no concerns)
    concerns = [NOT_JUDGED, *(c.value for c in Concern)]
    chosen: dict[str, Any] = {}
    for column, (name, label) in zip(st.columns(len(CONCERNS)), CONCERNS.items(), strict=True):
        picked = column.selectbox(label, concerns, key=f"{prefix}_{name}",
                                  index=concerns.index(values.get(name) or NOT_JUDGED))
        chosen[name] = None if picked == NOT_JUDGED else picked
    for column, (name, label) in zip(st.columns(len(UPGRADES)), UPGRADES.items(), strict=True):
        chosen[name] = column.checkbox(label, value=bool(values.get(name)),
                                       key=f"{prefix}_{name}")
    return grading.Judgements.stored(chosen)


def apply_prefill() -> None:
    """After "Link this" on a claim's suggested studies: open "Find and link", search for the
    study and fill in the link form with the claim and the study (before the widgets exist)."""
    prefill = st.session_state.pop(ui.LINK_PREFILL_KEY, None)
    if not isinstance(prefill, ui.LinkPrefill):
        return
    state = st.session_state
    state[TAB_KEY] = TABS[0]
    state["citation_search"] = prefill.search
    state["citation_design"] = "all"
    state["citation_verified"] = "all"
    state.pop("citation_page", None)
    state["link_claim"] = prefill.claim_id
    state[CITATION_KEY] = prefill.citation_id
    state[PREFILLED_KEY] = prefill


def link_form(claims: list[queries.ClaimRow], results: list[queries.CitationRow]) -> None:
    prefill = st.session_state.get(PREFILLED_KEY)
    if isinstance(prefill, ui.LinkPrefill) and (
            st.session_state.get("link_claim"), st.session_state.get(CITATION_KEY)) == (
            prefill.claim_id, prefill.citation_id):
        st.info(f"Filled in from the suggested studies of claim #{prefill.claim_id}. A "
                "suggestion is not evidence: read the study, then choose its stance and "
                "judgements.", icon=":material/lightbulb:")
    claim_labels = {c.id: ui.claim_label(c) for c in claims}
    citation_labels = {r.id: citation_label(r) for r in results}
    if st.session_state.get(CITATION_KEY) not in citation_labels:
        st.session_state.pop(CITATION_KEY, None)
    with st.form("link_form"):
        st.subheader("Link a citation to a claim", anchor=False)
        claim_id = st.selectbox("Claim", list(claim_labels), index=None, key="link_claim",
                                format_func=lambda cid: claim_labels.get(cid, f"#{cid}"),
                                placeholder="Type words of the claim or its number")
        citation_id = st.selectbox("Citation (from the search results above)",
                                   list(citation_labels), index=None, key=CITATION_KEY,
                                   format_func=lambda cid: citation_labels.get(cid, str(cid)),
                                   placeholder="Search above, then pick here or in the table")
        stance, locator = st.columns(2)
        chosen_stance = stance.selectbox("Stance", [s.value for s in Stance], key="link_stance")
        where = locator.text_input("Locator (page, table, figure)", key="link_locator")
        note = st.text_area("Note (a short quote or summary)", key="link_note", height=80)
        st.caption("GRADE judgements of this study for this claim")
        judgements = judgement_inputs("link")
        submitted = st.form_submit_button("Link", type="primary", icon=":material/link:")
    if not submitted:
        return
    if claim_id is None or citation_id is None:
        st.error("Pick a claim and a citation to link.")
        return

    def link(session: Session, actor: Actor) -> queries.ClaimRow:
        evidence.link_evidence(session, actor, claim_id, citation_id, Stance(chosen_stance),
                               locator=where, note=note, judgements=judgements)
        return queries.claim(session, claim_id)

    ui.perform(link, lambda row: f"Linked to claim #{row.id}. Now {row.explanation}",
               reset={"link_claim": None, CITATION_KEY: None, "link_locator": "",
                      "link_note": "", "link_stance": Stance.SUPPORTS.value,
                      **{f"link_{name}": "none" for name in CONCERNS},
                      **{f"link_{name}": False for name in UPGRADES}},
               renew=[RESULTS_KEY])


# --- edit or remove --------------------------------------------------------------------------


def edit_links(claims: list[queries.ClaimRow]) -> None:
    claim_labels = {c.id: ui.claim_label(c) for c in claims}
    claim_id = st.selectbox("Claim", list(claim_labels), index=None, key="edit_claim",
                            format_func=lambda cid: claim_labels.get(cid, f"#{cid}"),
                            placeholder="Pick the claim whose evidence to change")
    if claim_id is None:
        return
    links = {e.link_id: e for e in ui.read(queries.evidence, [claim_id])}
    if not links:
        st.caption("No evidence linked to this claim yet.")
        return
    link_id = st.selectbox(
        "Evidence link", list(links), key="edit_link",
        format_func=lambda lid: (f"#{lid} · {links[lid].citation_key} · {links[lid].stance} · "
                                 f"{ui.shorten(links[lid].citation_title, 60)}"))
    if link_id is None:
        return
    edit_link(links[link_id])


def edit_link(link: queries.EvidenceRow) -> None:
    seen: dict[int, int] = st.session_state.setdefault(SEEN_KEY, {})
    version = seen.setdefault(link.link_id, link.version)
    if version != link.version:
        st.warning(f"Link #{link.link_id} changed since you started editing it (version "
                   f"{version}, now {link.version}). Saving will be refused; reload first.")
        if st.button("Reload the link", key=f"reload_{link.link_id}"):
            seen.pop(link.link_id, None)
            st.rerun()

    def forget() -> None:
        seen.pop(link.link_id, None)

    if ui.may("evidence.edit"):
        edit_form(link, version, forget)
    if ui.may("evidence.unlink"):
        remove_form(link, version, forget)


def edit_form(link: queries.EvidenceRow, version: int, forget: Callable[[], None]) -> None:
    prefix = f"edit_{link.link_id}"
    with st.form(f"edit_form_{link.link_id}"):
        stances = [s.value for s in Stance]
        stance, locator = st.columns(2)
        chosen_stance = stance.selectbox("Stance", stances, index=stances.index(link.stance),
                                         key=f"{prefix}_stance")
        where = locator.text_input("Locator", value=link.locator, key=f"{prefix}_locator")
        note = st.text_area("Note", value=link.note, key=f"{prefix}_note", height=80)
        judgements = judgement_inputs(prefix, link.judgements)
        saved = st.form_submit_button("Save changes", icon=":material/save:")
    if saved:
        ui.perform(lambda session, actor: evidence.update_link(
            session, actor, link.link_id, expected_version=version,
            stance=Stance(chosen_stance), locator=where, note=note, judgements=judgements),
            f"Link #{link.link_id} saved.", then=forget)


def remove_form(link: queries.EvidenceRow, version: int, forget: Callable[[], None]) -> None:
    prefix = f"edit_{link.link_id}"
    with st.form(f"remove_form_{link.link_id}", border=False):
        sure = st.checkbox(f"Yes, remove link #{link.link_id}", key=f"{prefix}_sure")
        removed = st.form_submit_button("Remove link", icon=":material/link_off:")
    if removed and not sure:
        st.error("Tick the box to confirm the removal.")
    elif removed:
        ui.perform(lambda session, actor: evidence.unlink(
            session, actor, link.link_id, expected_version=version),
            f"Link #{link.link_id} removed.", then=forget)


# --- import ----------------------------------------------------------------------------------


ENCODINGS = {"detect": None, "UTF-8": "utf-8", "Latin-1": "latin-1", "Latin-2": "iso8859-2",
             "Latin-9": "iso8859-15", "Windows-1252": "cp1252"}


def uploaded_source(name: str, data: bytes, encoding: str | None = None
                    ) -> citations.BibSource:
    """Decode an upload exactly as the CLI decodes a file, and tell its format the same way
    (BibTeX, RIS, PubMed MEDLINE or CSL-JSON)."""
    try:
        decoded = bibtex.decode_bib_bytes(data, name, encoding)
    except bibtex.BibFileError as exc:
        raise ValueError(f"{name}: {exc.message}") from None
    return citations.BibSource(name, decoded.text, decoded,
                               formats.detect_format(name, decoded.text))


def import_form() -> None:
    with st.form("import_form"):
        st.subheader("Import references", anchor=False)
        pasted = st.text_area("Paste BibTeX entries (or RIS, PubMed, CSL-JSON records)",
                              key="import_text", height=200)
        files = st.file_uploader("…or upload BibTeX, RIS, PubMed (.nbib) or CSL-JSON files",
                                 type=["bib", "bibtex", "txt", "ris", "nbib", "json"],
                                 accept_multiple_files=True, key=ui.fresh_key("import_files"))
        strict_col, dry_col, encoding_col = st.columns(3)
        strict = strict_col.checkbox("Strict: any problem means nothing is imported",
                                     key="import_strict")
        dry_run = dry_col.checkbox("Dry run: report only, write nothing", key="import_dry")
        encoding = encoding_col.selectbox("Encoding of files that are not UTF-8",
                                          list(ENCODINGS), key="import_encoding")
        submitted = st.form_submit_button("Import", type="primary", icon=":material/upload:")
    if submitted:
        run_import(pasted, files or [], strict=strict, dry_run=dry_run,
                   encoding=ENCODINGS[encoding])
    report = st.session_state.get(REPORT_KEY)
    if isinstance(report, citations.ImportReport):
        import_report(report)


def run_import(pasted: str, files: list[Any], *, strict: bool, dry_run: bool,
               encoding: str | None = None) -> None:
    """Decode and parse (outside the write transaction, as the signed-in user: the service
    refuses anyone who may not import), then import."""
    if not ui.may("citations.import"):
        ui.needs("citations.import", "import BibTeX")
        return
    sources = ([citations.BibSource("pasted text", pasted, None,
                                    formats.detect_format("pasted text", pasted))]
               if pasted.strip() else [])
    try:
        sources += [uploaded_source(f.name, f.getvalue(), encoding) for f in files]
    except ValueError as exc:
        ui.show_error(exc)
        return
    if not sources:
        st.error("Paste BibTeX or choose a file to import.")
        return
    parsed = ui.prepare(lambda session, actor: citations.parse_import(session, actor, sources))
    if parsed is None:
        return
    ui.perform(lambda session, actor: citations.import_bibtex(
        session, actor, parsed, strict=strict, dry_run=dry_run),
        lambda report: import_summary(report), remember=REPORT_KEY,
        reset={} if dry_run else {"import_text": ""}, renew=[] if dry_run else ["import_files"])


def import_summary(report: citations.ImportReport) -> str:
    """The CLI's summary line."""
    summary = text.import_summary(report)
    return summary[:1].upper() + summary[1:] + "."


LINK_FROM_REPORT = 8  # "Link KEY" buttons under an import's report (the first added)


def link_added(key: str) -> None:
    """From the import report to the link form: search for the new citation and pick it
    (a callback: it runs before the tabs are drawn)."""
    state = st.session_state
    state[TAB_KEY] = TABS[0]
    state["citation_search"] = key
    state["citation_design"] = "all"
    state["citation_verified"] = "all"
    state.pop("citation_page", None)
    state[CITATION_KEY] = ui.read(queries.citation_detail, key).row.id


def import_report(report: citations.ImportReport) -> None:
    st.markdown(f"**Last import** ({ui.escape_markdown(', '.join(report.sources))})")
    st.text(import_summary(report))
    if report.strict and report.problems:
        st.error("Nothing imported (strict): fix the problems below and import again.")
    elif report.dry_run:
        st.info("Dry run: nothing was written.")
    for note in report.encodings:
        st.warning(ui.escape_markdown(f"{note.source}: {note.note}"))
    if report.warnings:
        st.caption("Warnings (imported, but check them):")
        ui.table([{"source": w.source, "line": w.line, "key": w.key or "",
                   "field": w.field or "", "warning": w.message} for w in report.warnings],
                 {"warning": st.column_config.TextColumn("Warning", width="large")})
    if report.problems:
        st.caption("Problems (entries refused):")
        ui.table([{"source": p.source, "line": p.line, "key": p.key or "",
                   "field": p.field or "", "kind": p.kind, "problem": p.message}
                  for p in report.problems],
                 {"problem": st.column_config.TextColumn("Problem", width="large")})
    if report.added:
        st.caption("Added:")
        st.text(", ".join(report.added))
        if report.written and ui.may("evidence.link"):
            for column, key in zip(st.columns(4), report.added[:LINK_FROM_REPORT],
                                   strict=False):
                column.button(f"Link {key}", key=f"link_added_{key}", on_click=link_added,
                              args=(key,), icon=":material/add_link:",
                              help="Open Find and link with this citation picked")
    merges = report.merged + report.unchanged
    if merges:
        st.caption("Matched citations already in the database:")
        ui.table([{"entry": m.key, "into": m.into, "same": m.matched_on,
                   "filled": ", ".join(m.filled) or "nothing new",
                   "source": f"{m.source}:{m.line}" if m.line else m.source} for m in merges])
    conflicts = [{"citation": m.into, "field": name, "kept": kept, "ignored": ignored,
                  "source": f"{m.source}:{m.line}" if m.line else m.source}
                 for m in merges for name, kept, ignored in m.conflicts]
    if conflicts:
        st.caption("Differing values (the stored value was kept):")
        ui.table(conflicts)
    if report.merged_in_files:
        st.caption("Duplicates within the files (merged):")
        ui.table([{"duplicate": m.merged_key, "line": m.line, "merged into": m.kept_key,
                   "same": m.matched_on} for m in report.merged_in_files])
    if report.renamed:
        st.caption("Keys already used by another citation (imported under a new key):")
        ui.table([{"key in file": old, "imported as": new} for old, new in report.renamed])


def retraction_form() -> None:
    """Admins: check the library against the Retraction Watch CSV (as the CLI's
    `tracker citations check-retractions`)."""
    with st.form("retraction_form"):
        st.subheader("Check retraction notices", anchor=False)
        st.caption("The Retraction Watch database as CSV (the layout Crossref publishes): "
                   "notices are recorded on the citations they match by DOI or PMID; "
                   "retracted studies stop counting and changed verdicts are flagged.")
        upload = st.file_uploader("Retraction Watch CSV", type=["csv"], key="retraction_file")
        submitted = st.form_submit_button("Check retraction notices",
                                          icon=":material/report:")
    if not submitted:
        return
    if upload is None:
        st.error("Choose the Retraction Watch CSV file.")
        return
    try:
        notices = retractions.parse_bytes(upload.getvalue(), upload.name)
    except retractions.NoticeFileError as exc:
        ui.show_error(exc)
        return
    ui.perform(lambda session, actor: retractions_service.check_retractions(
        session, actor, notices),
        lambda report: (f"Recorded {len(report.recorded)} notices "
                        f"({report.already} recorded before); {len(report.retracted)} "
                        f"citations retracted; {len(report.changed)} claims changed verdict "
                        "and were flagged."))


# --- the page --------------------------------------------------------------------------------


def render(document: queries.DocumentRow) -> None:
    apply_prefill()
    ui.page_title("Evidence", document)
    if not any(ui.may(use) for use in WRITES):
        find_citations()
        ui.needs("evidence.link", "import BibTeX and link, judge or remove evidence")
        return
    # Stateful tabs: the open tab survives the rerun after a write, and only it is computed.
    find_tab, edit_tab, import_tab = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
    if find_tab.open:
        with find_tab:
            results = find_citations()
            picked = {r.id: r.key for r in results}.get(st.session_state.get(CITATION_KEY, 0))
            if picked is not None:
                actions.citation_pane(picked)
            if ui.may("evidence.link"):
                link_form(ui.read(queries.claims, queries.ClaimFilter(document_id=document.id)),
                          results)
    if edit_tab.open:
        with edit_tab:
            edit_links(ui.read(queries.claims, queries.ClaimFilter(document_id=document.id)))
    if import_tab.open and ui.may("citations.import"):
        with import_tab:
            import_form()
            if ui.may("citations.check-retractions"):
                retraction_form()


ui.with_document(render)
