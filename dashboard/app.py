"""Evidence Tracker dashboard: `tracker dashboard` (tracker/serve.py runs this file).

The entry point: navigation, the banner, the sidebar shared by every page (document picker,
sign-in) and the footer. Each page is one file in `views/`; shared widgets are in `ui.py`. (Not
`pages/`: a folder of that name next to the entry point puts Streamlit in its older
directory-based navigation until `st.navigation` first runs, so on a fresh server a deep link
would run a page without this file.) The database is the one `TRACKER_DATABASE_URL` names
(default: `tracker.db` in the user's data directory, `tracker.config.default_database_path`).
"""

import streamlit as st

from dashboard import ui  # an installed package (editable or not): `tracker dashboard` runs it

# The favicon is an emoji (drawn by the browser from a data: URL): a page's `:material/…:`
# icon would make Streamlit fetch it from fonts.gstatic.com, and the dashboard makes no
# request that leaves its own origin (tests/e2e/test_workflows.py).
st.set_page_config(page_title=ui.APP_NAME, page_icon=ui.FAVICON, layout="wide")

PAGES = {
    "Read": [
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:",
                default=True),
        st.Page("views/article.py", title="Article", icon=":material/article:"),
        st.Page("views/claims.py", title="Claims", icon=":material/format_list_bulleted:"),
        st.Page("views/questions.py", title="Open questions", icon=":material/help:"),
        st.Page("views/scorecard.py", title="Scorecard", icon=":material/checklist:"),
    ],
    "Review": [
        st.Page("views/evidence.py", title="Evidence", icon=":material/library_books:"),
        st.Page("views/appraisal.py", title="Appraisal", icon=":material/fact_check:"),
        st.Page("views/dual.py", title="Dual review", icon=":material/group:"),
        st.Page("views/queue.py", title="Editorial queue", icon=":material/flag:"),
        st.Page("views/wording.py", title="Wording & PICO", icon=":material/spellcheck:"),
    ],
    "Share": [
        st.Page("views/sof.py", title="Summary of findings", icon=":material/table_chart:"),
        st.Page("views/export.py", title="Export", icon=":material/download:"),
    ],
}

page = st.navigation(PAGES)
ui.banner()
ui.narrow_screens()
if ui.start_run():
    ui.restore_sign_in()
    ui.document_picker()
    ui.sign_in_panel()
    ui.write_cookie()
    ui.show_flash()
    page.run()
ui.footer()
