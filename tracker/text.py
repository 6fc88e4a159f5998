"""Text the CLI, the report and the dashboard all show, written once: stored text as inert
Markdown (a title, a note or a username never becomes a link, HTML, math or formatting), and
the sentence summing up a BibTeX import."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.services.citations import ImportReport

__all__ = ["WORD_JOINER", "escape_markdown", "import_summary"]

#: Put after `http`, `https` and `www` and after `@`, it keeps GFM (which links bare URLs and
#: e-mail addresses after escapes are resolved) from making a link, and is invisible.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(https?(?=:)|www(?=\.)|@)")
# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of
# them also defuses what Streamlit adds on top: `:color[...]` directives, `:emoji:` and
# `:material/icon:` short codes and `$math$`.
_EVERY_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# The characters that start Markdown (and GFM) inline constructs, entities and math: enough
# for a file that is also read as plain text.
_MARKDOWN_STARTS = re.compile(r"([\\`*_\[\]()<>#|!~&$])")


def escape_markdown(text: object, *, strict: bool = True) -> str:
    """`text` as inert inline Markdown on one line: it renders exactly as written.

    Folds line breaks into spaces (so no block — heading, list, link definition — can
    start), keeps bare URLs and e-mail addresses from becoming links, and backslash-escapes
    every ASCII punctuation character (`strict`: what Streamlit renders) or only those that
    start Markdown (not `strict`: a report people also read as plain text)."""
    flat = " ".join(str(text).split())
    joined = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, flat)
    return (_EVERY_PUNCTUATION if strict else _MARKDOWN_STARTS).sub(r"\\\1", joined)


def import_summary(report: ImportReport) -> str:
    """What an import did, in one sentence (`tracker import`; the dashboard's Import BibTeX):
    "imported: 3 added, 1 merged into existing citations, … refused (of 5 entries)"."""
    verb = "would import" if report.dry_run or not report.written else "imported"
    return (f"{verb}: {len(report.added)} added, {len(report.merged)} merged into existing "
            f"citations, {len(report.unchanged)} already present, "
            f"{len(report.merged_in_files)} duplicates within the files, "
            f"{report.reported_entries} refused (of {report.found} entries)")
