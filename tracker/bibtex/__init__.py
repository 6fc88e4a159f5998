"""BibTeX in and out: read a reviewer's .bib file, normalise its entries into citation records,
and write records back as BibTeX, CSV or JSON. Pure: no database, no printing.

The rules (encoding, limits, field values, names, validation, identifiers, study design,
duplicates, round trip) are stated in docs/bibtex.md, each with the module that holds it:
`model` (values), `files`, `latex`, `names`, `values`, `records`, `designs`, `dedupe`,
`pipeline` (`parse_bibtex`) and `writing`. This package re-exports their public names, so
callers import from `tracker.bibtex` (and so do a few private names: `_inert_cell`, which
exports.py uses, and expressions the tests pin against those they replaced).
"""

from __future__ import annotations

from tracker.bibtex.dedupe import (
    MATCH_AS_WRITTEN,
    MATCH_DOI,
    MATCH_PMID,
    MATCH_TITLE,
    MERGED_FIELDS,
    FieldMerger,
    Identifiers,
    compatible,
    dedupe_keys,
    duplicate_reason,
    merge_duplicates,
    merge_records,
    same_title,
    title_key,
)
from tracker.bibtex.designs import (
    _RULE_STEMS as _RULE_STEMS,
)
from tracker.bibtex.designs import (
    DESIGN_RULES,
    FIELD_REASON,
    NO_DESIGN,
    DesignRule,
    design_from_label,
    detect_design,
)
from tracker.bibtex.files import (
    UNICODE_ENCODINGS,
    Decoded,
    decode_bib_bytes,
    decode_bib_file,
    parse_bib_file,
    read_bib_bytes,
    read_bib_file,
)
from tracker.bibtex.latex import decode_latex, decode_verbatim, encode_latex, encode_verbatim
from tracker.bibtex.model import (
    BibFileError,
    CitationRecord,
    Known,
    KnownEntry,
    Merge,
    ParsedBib,
    Person,
    Problem,
)
from tracker.bibtex.names import _NAME_SEPARATOR as _NAME_SEPARATOR
from tracker.bibtex.names import _split_names as _split_names
from tracker.bibtex.names import parse_names, people_text
from tracker.bibtex.pipeline import entry_digest, parse_bibtex, prepare_text
from tracker.bibtex.records import (
    _DOI_PREFIX as _DOI_PREFIX,
)
from tracker.bibtex.records import (
    CONTAINER_FIELDS,
    NO_KEY,
    normalise_doi,
    normalise_pages,
    normalise_pmid,
)
from tracker.bibtex.values import (
    MONTH_MACROS,
    NAME_FIELDS,
    VERBATIM_FIELDS,
    ExpansionBudget,
    ExpansionLimit,
)
from tracker.bibtex.writing import CSV_COLUMNS, to_bibtex, to_csv, to_json
from tracker.bibtex.writing import _inert_cell as _inert_cell
from tracker.vocabulary import DesignSource, StudyDesign

__all__ = [
    "CONTAINER_FIELDS",
    "CSV_COLUMNS",
    "DESIGN_RULES",
    "FIELD_REASON",
    "MATCH_AS_WRITTEN",
    "MATCH_DOI",
    "MATCH_PMID",
    "MATCH_TITLE",
    "MERGED_FIELDS",
    "MONTH_MACROS",
    "NAME_FIELDS",
    "NO_DESIGN",
    "NO_KEY",
    "UNICODE_ENCODINGS",
    "VERBATIM_FIELDS",
    "BibFileError",
    "CitationRecord",
    "Decoded",
    "DesignRule",
    "DesignSource",
    "ExpansionBudget",
    "ExpansionLimit",
    "FieldMerger",
    "Identifiers",
    "Known",
    "KnownEntry",
    "Merge",
    "ParsedBib",
    "Person",
    "Problem",
    "StudyDesign",
    "compatible",
    "decode_bib_bytes",
    "decode_bib_file",
    "decode_latex",
    "decode_verbatim",
    "dedupe_keys",
    "design_from_label",
    "detect_design",
    "duplicate_reason",
    "encode_latex",
    "encode_verbatim",
    "entry_digest",
    "merge_duplicates",
    "merge_records",
    "normalise_doi",
    "normalise_pages",
    "normalise_pmid",
    "parse_bib_file",
    "parse_bibtex",
    "parse_names",
    "people_text",
    "prepare_text",
    "read_bib_bytes",
    "read_bib_file",
    "same_title",
    "title_key",
    "to_bibtex",
    "to_csv",
    "to_json",
]
