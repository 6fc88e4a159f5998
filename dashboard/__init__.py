"""The Streamlit dashboard of Evidence Tracker: `app.py` (navigation), `pages/`, `ui.py`."""
