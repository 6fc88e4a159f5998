"""Tests for tracker.bibtex: reading, normalising, validating, merging and writing BibTeX."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from datetime import date
from pathlib import Path

import pybtex.database
import pytest
from bibtexparser.middlewares.names import split_multiple_persons_names
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tracker.bibtex import (
    _RULE_STEMS,
    DESIGN_RULES,
    BibFileError,
    CitationRecord,
    ParsedBib,
    Person,
    Problem,
    _split_names,
    decode_latex,
    decode_verbatim,
    dedupe_keys,
    design_from_label,
    detect_design,
    encode_latex,
    encode_verbatim,
    entry_digest,
    merge_records,
    normalise_doi,
    normalise_pages,
    normalise_pmid,
    parse_bib_file,
    parse_bibtex,
    parse_names,
    read_bib_file,
    title_key,
    to_bibtex,
    to_csv,
    to_json,
)
from tracker.vocabulary import DesignSource, StudyDesign

SHARED = Path(__file__).parents[2] / "shared"
CORPORA = SHARED / "corpora"
REFERENCES = SHARED / "references"
NEXT_YEAR = date.today().year + 1


pytestmark = pytest.mark.usefixtures("quiet_bibtexparser")


def entries_in_problems(parsed: ParsedBib) -> int:
    """Entries reported in problems, each counted once."""
    return len({p.entry_number for p in parsed.problems if p.entry_number is not None})


def assert_invariant(parsed: ParsedBib) -> None:
    accounted = len(parsed.records) + len(parsed.merges) + entries_in_problems(parsed)
    assert accounted == parsed.found, parsed.problems
    for problem in parsed.problems:  # entry problems name the entry, the others do not
        assert (problem.key is None) == (problem.entry_number is None), problem


def without_location(records: tuple[CitationRecord, ...]) -> list[CitationRecord]:
    return [dataclasses.replace(r, raw="", line=0) for r in records]


def only(parsed: ParsedBib) -> CitationRecord:
    assert len(parsed.records) == 1, (parsed.records, parsed.problems)
    return parsed.records[0]


def round_trip(records: tuple[CitationRecord, ...]) -> ParsedBib:
    return parse_bibtex(to_bibtex(records), "written.bib")


def assert_pybtex_reads(text: str, count: int) -> None:
    data = pybtex.database.parse_string(text, "bibtex")
    assert len(data.entries) == count


# ---------------------------------------------------------------------------------------------
# Macros, comments, preambles
# ---------------------------------------------------------------------------------------------


def test_string_macros_are_resolved_with_concatenation() -> None:
    parsed = parse_bibtex(
        """@string{jn = "Journal of {Pain}"}
@STRING{ pub = {Pain } # jn }
@article{k1,
  title = "Ketamine " # "for " # {Pain},
  journal = JN,
  publisher = pub,
  year = 2019,
}
"""
    )
    record = only(parsed)
    assert record.title == "Ketamine for Pain"
    assert record.container == "Journal of Pain"
    assert record.extra["publisher"] == "Pain Journal of Pain"
    assert record.year == 2019
    assert parsed.strings == 2


@pytest.mark.parametrize(
    ("macro", "month"),
    [
        ("jan", "January"),
        ("feb", "February"),
        ("mar", "March"),
        ("apr", "April"),
        ("may", "May"),
        ("jun", "June"),
        ("jul", "July"),
        ("aug", "August"),
        ("sep", "September"),
        ("oct", "October"),
        ("nov", "November"),
        ("dec", "December"),
        ("Jul", "July"),
        ("{jan}", "jan"),
        ('"12"', "12"),
    ],
)
def test_month_macros(macro: str, month: str) -> None:
    record = only(parse_bibtex(f"@article{{k, title={{T}}, year=2000, month = {macro}}}"))
    assert record.extra["month"] == month


def test_a_string_can_override_a_month_macro() -> None:
    record = only(parse_bibtex('@string{jan = "Janvier"}\n@misc{k, title={T}, month=jan}'))
    assert record.extra["month"] == "Janvier"


def test_comments_and_preambles_are_counted_not_recorded() -> None:
    parsed = parse_bibtex(
        """% a line comment
@comment{jabref-meta: databaseType:bibtex;}
@preamble{ "\\newcommand{\\noopsort}[1]{} " }
@article{k, title = {Only entry}, year = {1999}}
free text between entries is an implicit comment
"""
    )
    assert [r.key for r in parsed.records] == ["k"]
    assert parsed.preambles == 1
    assert parsed.comments == 3
    assert parsed.problems == ()
    assert parsed.found == 1


# ---------------------------------------------------------------------------------------------
# LaTeX decoding and encoding
# ---------------------------------------------------------------------------------------------

ACCENTS_ENTRY = r"""@article{accents,
  author = {M{\"u}ller, J{\"o}rg and Gonz{\'a}lez, Mar{\'\i}a and {\O}stergaard, S{\o}ren and
            D{\v{s}}ek, {\AA}sa},
  title = {{\"O}ber {\ss}tra{\ss}e, \c{c}a, \v{s}a, {\'\i}, Stra\ss e -- 12--18 ``q'' A~B
           \& 5\% a\_b {DNA} $\alpha$ \emph{em} \mkbibacro{NASA}},
  journal = {Revista Espa{\~n}ola},
  year = {2020},
  pages = {12--18},
  url = {https://example.org/a--b~c_d},
}"""


def test_latex_is_decoded_for_display_and_raw_keeps_the_original() -> None:
    record = only(parse_bibtex(ACCENTS_ENTRY))
    assert record.title == ("Öber ßtraße, ça, ša, í, Straße – 12–18 “q” A B & 5% a_b DNA α em NASA")
    assert record.authors == (
        Person("Müller", "Jörg"),
        Person("González", "María"),
        Person("Østergaard", "Søren"),
        Person("Dšek", "Åsa"),
    )
    assert record.container == "Revista Española"
    assert record.pages == "12–18"
    assert record.url == "https://example.org/a--b~c_d"  # verbatim: no dashes, no spaces
    assert record.raw == ACCENTS_ENTRY
    assert record.line == 1


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\'e", "é"),
        (r"\"{o}", "ö"),
        (r"{\ss}", "ß"),
        (r"\o", "ø"),
        (r"\aa", "å"),
        (r"\c{c}", "ç"),
        (r"\v{s}", "š"),
        (r"{\'\i}", "í"),
        (r"\'{\i}", "í"),
        (r"\H{o}", "ő"),
        (r"\k{a}", "ą"),
        (r"\u{g}", "ğ"),
        (r"\L{}ukasz", "Łukasz"),
        ("a--b", "a–b"),
        ("a---b", "a—b"),
        ("A~B", "A B"),
        (r"\& \% \_ \$ \# \{ \}", "& % _ $ # { }"),
        ("{The} {DNA}", "The DNA"),
        ("multi\n   line\ttext", "multi line text"),
        (r"\alpha-helix", "α-helix"),
        (r"\textit{in vivo}", "in vivo"),
        (r"{\em emphasis}", "emphasis"),
        (r"\url{http://x.org/a~b--c}", "http://x.org/a~b--c"),
        (r"\noopsort{1973c}1981", "1981"),
        ("plain title", "plain title"),
    ],
)
def test_decode_latex(latex: str, text: str) -> None:
    assert decode_latex(latex) == text


def test_verbatim_fields_only_lose_braces_and_escapes() -> None:
    assert decode_verbatim(r"{10.1000/A\_B}") == "10.1000/A_B"
    assert decode_verbatim("http://a.org/~x--y") == "http://a.org/~x--y"
    assert decode_verbatim(encode_verbatim(r"a\b{c}")) == r"a\b{c}"


# Display text: any printable character, plus the characters and pairs LaTeX treats specially.
SPECIALS = [*"\\{}$%&#_~^-–—`'\"@,=()[]", "--", "``", "''", r"\'e", "{\\ss}", "\t", "\n", "  "]
display_text = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")),
        st.sampled_from(SPECIALS),
    ),
    max_size=40,
).map("".join)


def collapse(text: str) -> str:
    return re.sub(r"[ \t\n\r\f\v]+", " ", text).strip(" \t\n\r\f\v")


@given(display_text)
@settings(max_examples=300, deadline=None)
def test_encode_latex_round_trips(text: str) -> None:
    assert decode_latex(encode_latex(text)) == collapse(text)


@given(display_text)
@settings(max_examples=200, deadline=None)
def test_encode_verbatim_round_trips(text: str) -> None:
    assert decode_verbatim(encode_verbatim(text)) == collapse(text)


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


def test_and_others_and_corporate_authors() -> None:
    record = only(
        parse_bibtex(
            """@report{who,
  author = {{World Health Organization} and {Par Pharmaceutical} and Clements and others},
  editor = {Ludwig van Beethoven and King, Jr., Martin Luther and Brinch Hansen, Per},
  title = {Report},
}"""
        )
    )
    assert record.authors == (
        Person("World Health Organization", corporate=True),
        Person("Par Pharmaceutical", corporate=True),
        Person("Clements"),
    )
    assert record.others is True
    assert record.editors == (
        Person("van Beethoven", "Ludwig"),
        Person("King Jr.", "Martin Luther"),
        Person("Brinch Hansen", "Per"),
    )


def test_a_name_starting_with_a_macro_keeps_its_first_letters() -> None:
    people, _ = parse_names(r"Smith, J. and \AA{}berg, K. and \'Eric Zola")
    assert people == (Person("Smith", "J."), Person("Åberg", "K."), Person("Zola", "Éric"))


def test_literal_braces_are_written_so_bibtex_and_pybtex_agree() -> None:
    record = CitationRecord(key="b", entry_type="misc", title="Sets {a, b} and \\ paths")
    text = to_bibtex([record])
    assert r"\textbraceleft{}" in text
    assert only(parse_bibtex(text)).title == record.title
    assert_pybtex_reads(text, 1)


@given(st.text(alphabet=" \t\r\naAnNdDxX,.~-", max_size=30))
@settings(max_examples=500, deadline=None)
def test_fast_name_split_agrees_with_bibtexparser(value: str) -> None:
    assert _split_names(value) == split_multiple_persons_names(value)


def test_names_are_split_by_bibtexparser() -> None:
    value = "Doe, J. and {Simon and Schuster} and A AND B"
    people, others = parse_names(value)
    assert len(people) == len(split_multiple_persons_names(value)) == 4
    assert people[1] == Person("Simon and Schuster", corporate=True)
    assert not others


# ---------------------------------------------------------------------------------------------
# Files and encodings
# ---------------------------------------------------------------------------------------------

UMLAUT_ENTRY = "@article{m, author = {Müller, Jörg}, title = {Über Schmerz}, year = {2001}}\n"


def test_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "utf8.bib"
    path.write_bytes(UMLAUT_ENTRY.encode("utf-8"))
    assert read_bib_file(path) == (UMLAUT_ENTRY, "utf-8")
    parsed = parse_bib_file(path)
    assert only(parsed).authors == (Person("Müller", "Jörg"),)
    assert parsed.problems == ()
    assert parsed.source == str(path)


def test_latin1_file_is_decoded_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.bib"
    path.write_bytes(UMLAUT_ENTRY.encode("latin-1"))
    text, encoding = read_bib_file(path)
    assert (text, encoding) == (UMLAUT_ENTRY, "cp1252")
    parsed = parse_bib_file(path)
    assert only(parsed).title == "Über Schmerz"
    assert [p.kind for p in parsed.problems] == ["encoding"]
    assert "read as Windows-1252 (confidence 0.88" in parsed.problems[0].message


def test_cp1252_quotes_and_an_undefined_byte(tmp_path: Path) -> None:
    quotes = tmp_path / "quotes.bib"
    quotes.write_bytes(b"@misc{q, title = {\x93Quoted\x94 d\xe9j\xe0 vu}}")
    assert read_bib_file(quotes) == ("@misc{q, title = {“Quoted” déjà vu}}", "cp1252")
    undefined = tmp_path / "undefined.bib"
    undefined.write_bytes(b"@misc{u, title = {caf\xe9 \x81}}")
    with pytest.raises(BibFileError, match=r"line 1: '\\x81' and others read implausibly"):
        read_bib_file(undefined)
    assert read_bib_file(undefined, "latin-1") == ("@misc{u, title = {café \x81}}", "iso8859-1")


def test_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "bom.bib"
    path.write_bytes(b"\xef\xbb\xbf" + UMLAUT_ENTRY.encode("utf-8"))
    assert read_bib_file(path) == (UMLAUT_ENTRY, "utf-8-sig")
    parsed = parse_bib_file(path)
    assert only(parsed).line == 1
    assert parsed.problems == ()
    assert only(parse_bibtex("\ufeff" + UMLAUT_ENTRY)).raw == UMLAUT_ENTRY.strip()


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "utf16.bib"
    path.write_bytes(UMLAUT_ENTRY.encode("utf-16"))
    assert read_bib_file(path) == (UMLAUT_ENTRY, "utf-16")


def test_binary_and_unreadable_files_raise(tmp_path: Path) -> None:
    binary = tmp_path / "paper.bib"
    binary.write_bytes(b"%PDF-1.4\x00\x01\x02")
    with pytest.raises(BibFileError, match="binary"):
        read_bib_file(binary)
    with pytest.raises(BibFileError, match="cannot be read"):
        read_bib_file(tmp_path / "missing.bib")
    with pytest.raises(BibFileError):
        parse_bib_file(tmp_path)


def test_gbk_corpus_file_decodes_as_gbk() -> None:
    path = CORPORA / "bibtexparser-tests-v2" / "gbk_test.bib"
    if not path.exists():
        pytest.skip(f"{CORPORA} is not available")
    assert read_bib_file(path)[1] == "gbk"
    parsed = parse_bib_file(path)
    record = only(parsed)
    assert record.authors == (Person("凯撒"),)
    assert record.container == "测试期刊"
    assert [p.kind for p in parsed.problems] == ["encoding"]


def test_crlf_keeps_raw_and_line_numbers() -> None:
    text = (
        "% header\r\n\r\n@article{a,\r\n  title = {First\r\n   title},\r\n  year = {2001}\r\n}\r\n"
        "\r\n@article{b,\r\n  title = {Second},\r\n  year = {20019}\r\n}\r\n"
    )
    parsed = parse_bibtex(text, "crlf.bib")
    record = only(parsed)
    assert record.title == "First title"
    assert record.line == 3
    assert record.raw == "@article{a,\r\n  title = {First\r\n   title},\r\n  year = {2001}\r\n}"
    assert [(p.line, p.key, p.field) for p in parsed.problems] == [(9, "b", "year")]


def test_bare_cr_line_ends_give_line_numbers() -> None:
    parsed = parse_bibtex("% old mac\r\r@misc{a, title={A}}\r@misc{b, title={B}}\r")
    assert [r.line for r in parsed.records] == [3, 4]


# ---------------------------------------------------------------------------------------------
# Validation and duplicate keys
# ---------------------------------------------------------------------------------------------

INVALID = """@article{gooddoi,
  title = {Fine},
  doi = {10.1000/OK},
}

@article{baddoi,
  title = {Broken DOI},
  doi = {10.10/nope},
}

@article{badyear,
  title = {Far future},
  year = {20019},
}

@article{notitle,
  author = {Smith, J.},
  year = {2019},
}

@misc{nourl,
  url = {https://example.org},
}

@article{twice,
  title = {Typo 2019a},
  year = {2019a},
  doi = {not a doi},
}
"""


def test_validation_problems_name_line_key_and_field() -> None:
    parsed = parse_bibtex(INVALID, "refs.bib")
    assert [r.key for r in parsed.records] == ["gooddoi"]
    assert parsed.records[0].doi == "10.1000/ok"
    found = [(p.line, p.key, p.field, p.kind) for p in parsed.problems]
    assert found == [
        (6, "baddoi", "doi", "invalid"),
        (11, "badyear", "year", "invalid"),
        (16, "notitle", "title", "invalid"),
        (21, "nourl", "title", "invalid"),
        (25, "twice", "year", "invalid"),
        (25, "twice", "doi", "invalid"),
    ]
    year = parsed.problems[1]
    assert "year '20019' is not a plausible year" in year.message
    assert str(year) == f"refs.bib: 11: badyear: year: {year.message}"
    assert parsed.found == 6
    assert_invariant(parsed)


def test_year_from_biblatex_date_when_no_year() -> None:
    record = only(parse_bibtex("@online{d, title = {Dated}, date = {2012-05-01/2012-06}}"))
    assert record.year == 2012
    assert record.extra["date"] == "2012-05-01/2012-06"
    assert only(parse_bibtex("@online{d, title = {Dated}, date = {19XX}}")).year is None
    assert only(parse_bibtex(f"@misc{{n, title = {{Next}}, year = {NEXT_YEAR}}}")).year == (
        NEXT_YEAR
    )


def test_entries_without_key_are_invalid() -> None:
    parsed = parse_bibtex("@article{, title = {Keyless}}\n@article{, title = {Keyless too}}")
    assert parsed.records == ()
    assert [(p.line, p.key, p.kind) for p in parsed.problems] == [
        (1, "", "invalid"),
        (2, "", "invalid"),
    ]
    assert "no citation key" in parsed.problems[1].message
    assert_invariant(parsed)


def test_percent_comments_inside_entries_are_ignored() -> None:
    record = only(
        parse_bibtex(
            """@article{c,
  title = {Commented},
  % a comment on its own line
  journal = {J},
  publisher = {P} % a comment after the value
  ,month = jan % and after a macro
}"""
        )
    )
    assert record.container == "J"
    assert record.extra == {"publisher": "P", "month": "January"}


def test_duplicate_keys_are_reported() -> None:
    parsed = parse_bibtex(
        "@article{same, title = {One}}\n@article{same, title = {Two}}\n@book{other, title={X}}\n"
    )
    assert [r.title for r in parsed.records] == ["One", "X"]
    (problem,) = parsed.problems
    assert (problem.kind, problem.line, problem.key) == ("duplicate-key", 2, "same")
    assert "line 1" in problem.message
    assert parsed.found == 3
    assert_invariant(parsed)


def test_broken_blocks_are_parse_problems() -> None:
    parsed = parse_bibtex(
        """@article{broken, title = {Unclosed
@article{fine, title = {Fine}}
@article{dupfield, title = {A}, title = {B}}
@comment{never closed
"""
    )
    assert [r.key for r in parsed.records] == ["fine"]
    kinds = [(p.line, p.key, p.kind) for p in parsed.problems]
    assert kinds == [(1, "broken", "parse"), (3, "dupfield", "parse"), (4, None, "parse")]
    assert parsed.problems[1].field == "title"
    assert parsed.found == 3
    assert_invariant(parsed)


# ---------------------------------------------------------------------------------------------
# Duplicates within a file
# ---------------------------------------------------------------------------------------------


def test_merge_by_doi_fills_and_lists_conflicts() -> None:
    parsed = parse_bibtex(
        """@article{a1,
  author = {Smith, John},
  title = {Ketamine for pain},
  year = {2019},
  doi = {10.1000/K1},
  keywords = {ketamine},
}
@article{a2,
  author = {Smith, J.},
  title = {Ketamine for {Pain}.},
  journal = {Pain},
  year = {2020},
  doi = {https://doi.org/10.1000/k1},
  keywords = {ketamine, pain},
  note = {From PubMed},
}
"""
    )
    record = only(parsed)
    (merge,) = parsed.merges
    assert (merge.kept_key, merge.merged_key, merge.line, merge.matched_on) == (
        "a1",
        "a2",
        8,
        "doi",
    )
    assert merge.filled == ("container", "keywords", "note")
    assert merge.conflicts == (("author", "Smith, John", "Smith, J."), ("year", "2019", "2020"))
    assert record.year == 2019  # the kept value is never overwritten
    assert record.authors == (Person("Smith", "John"),)
    assert record.container == "Pain"
    assert record.keywords == ("ketamine", "pain")
    assert record.extra["note"] == "From PubMed"
    assert_invariant(parsed)


def test_merge_by_pmid() -> None:
    parsed = parse_bibtex(
        """@article{p1, title = {First form}, pmid = {29870457}}
@article{p2, title = {Second form}, pmid = {PMID: 29870457}, volume = {43}}
"""
    )
    record = only(parsed)
    assert record.pmid == "29870457"
    assert record.volume == "43"
    assert parsed.merges[0].matched_on == "pmid"
    assert parsed.merges[0].conflicts == (("title", "First form", "Second form"),)
    assert record.title == "First form"


def test_merge_by_title_year_and_first_author() -> None:
    parsed = parse_bibtex(
        r"""@article{t1, author = {M{\"u}ller, A.}, title = {{Ketamine} and the {NMDA} receptor},
  year = {2001}}
@inproceedings{t2, author = {Muller, Anna and Roe, R.}, title = {Ketamine and the NMDA Receptor},
  year = {2001}, pages = {5--9}}
@article{t3, author = {Muller, A.}, title = {Ketamine and the NMDA receptor}, year = {2002}}
@article{t4, author = {Muller, A.}, title = {Ketamine and the NMDA receptor}, year = {2001},
  pages = {10--12}}
"""
    )
    assert [r.key for r in parsed.records] == ["t1", "t3", "t4"]
    (merge,) = parsed.merges
    assert merge.matched_on == "title+year+first author"
    assert merge.filled == ("pages",)
    assert ("entry_type", "article", "inproceedings") in merge.conflicts
    assert parsed.records[0].pages == "5–9"


def test_title_match_does_not_merge_contradicting_identifiers() -> None:
    parsed = parse_bibtex(
        """@article{v1, author = {Doe, J.}, title = {Editorial}, year = {1990}, volume = {1}}
@article{v2, author = {Doe, J.}, title = {Editorial}, year = {1990}, volume = {2}}
@article{d1, author = {Doe, J.}, title = {Preprint}, year = {1990}, doi = {10.1000/a}}
@article{d2, author = {Doe, J.}, title = {Preprint}, year = {1990}, doi = {10.1000/b}}
"""
    )
    assert len(parsed.records) == 4
    assert parsed.merges == ()


def test_merge_records_directly() -> None:
    kept = CitationRecord(key="k", entry_type="article", title="T", year=2000, doi="10.1/x")
    incoming = CitationRecord(
        key="i", entry_type="article", title="T", year=2001, volume="3", doi="10.1/x"
    )
    merged, merge = merge_records(kept, incoming)
    assert (merged.year, merged.volume) == (2000, "3")
    assert merge.matched_on == "doi"
    assert merge.filled == ("volume",)
    assert merge.conflicts == (("year", "2000", "2001"),)


def test_merge_never_replaces_a_confirmed_design() -> None:
    confirmed = CitationRecord(
        key="k",
        entry_type="article",
        title="Ketamine in rats",
        doi="10.1000/x",
        design=StudyDesign.COHORT,
        design_source=DesignSource.CONFIRMED,
        design_reason="confirmed by a reviewer",
    )
    incoming = only(parse_bibtex("@article{i, title={T}, doi={10.1000/x}, studydesign={rct}}"))
    merged, merge = merge_records(confirmed, incoming)
    assert (merged.design, merged.design_source) == (StudyDesign.COHORT, DesignSource.CONFIRMED)
    assert ("studydesign", "cohort", "rct") in merge.conflicts
    merged, merge = merge_records(incoming, confirmed)
    assert (merged.design, merged.design_source) == (StudyDesign.RCT, DesignSource.ENTRY)


def test_merging_an_unverified_note_unverifies() -> None:
    parsed = parse_bibtex(
        """@article{v, title = {T}, doi = {10.1000/x}, verifiedfrom = {https://pubmed}}
@article{u, title = {T}, doi = {10.1000/x}, uncertain = {pages not seen}}
"""
    )
    record = only(parsed)
    assert record.verified is False
    assert record.verification_note == "pages not seen"


def test_dedupe_keys_and_title_key() -> None:
    record = only(
        parse_bibtex(
            r"""@article{k, author = {{\O}stergaard, S. and Roe, R.},
  title = {{The} Gnats \& Gnus: {M}\"{u}ller's  test}, year = {1986},
  doi = {DOI:10.1000/ABC}, pmid = {123}}"""
        )
    )
    assert title_key(record.title or "") == "the gnats gnus muller s test"
    assert dedupe_keys(record) == (
        "10.1000/abc",
        "123",
        "the gnats gnus muller s test|1986|ostergaard",
    )
    assert record.dedupe_keys == dedupe_keys(record)
    no_year = dataclasses.replace(record, year=None)
    assert dedupe_keys(no_year)[2] is None


@pytest.mark.parametrize(
    ("value", "doi"),
    [
        ("10.1097/AAP.0000000000000808", "10.1097/aap.0000000000000808"),
        ("https://doi.org/10.1000/ABC", "10.1000/abc"),
        ("http://dx.doi.org/10.1000/abc", "10.1000/abc"),
        ("doi:10.1000/abc", "10.1000/abc"),
        ("DOI: 10.1000/abc", "10.1000/abc"),
        ("http://doi.acm.org/10.1145/1137627.1137631", "10.1145/1137627.1137631"),
        ("https://doi.org/10.1002%2F(SICI)1097", "10.1002/(sici)1097"),
        ("  10.1093/pm/pnac046 ", "10.1093/pm/pnac046"),
        ("10.1000", None),
        ("10.10/x", None),
        ("10.1000/a b", None),
        ("https://example.org/10.1000/x", None),
        ("", None),
    ],
)
def test_normalise_doi(value: str, doi: str | None) -> None:
    assert normalise_doi(value) == doi


def test_normalise_pmid_and_pages() -> None:
    assert normalise_pmid("PMID: 22248834") == "22248834"
    assert normalise_pmid("not a number") is None
    assert normalise_pages("12--18") == "12–18"
    assert normalise_pages("S1-S53") == "S1–S53"
    assert normalise_pages("e1234") == "e1234"


def test_malformed_pmid_is_kept_in_extra_and_pubmed_eprint_is_read() -> None:
    kept = only(parse_bibtex("@article{a, title={T}, pmid={see note}}"))
    assert (kept.pmid, kept.extra["pmid"]) == (None, "see note")
    eprint = only(parse_bibtex("@article{b, title={T}, eprint={123}, eprinttype={pubmed}}"))
    assert eprint.pmid == "123"
    from_url = only(parse_bibtex("@misc{c, title={T}, url={https://doi.org/10.1000/XY}}"))
    assert from_url.doi == "10.1000/xy"


# ---------------------------------------------------------------------------------------------
# Study design and verification
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "design"),
    [
        ("rct", StudyDesign.RCT),
        ("RCT", StudyDesign.RCT),
        ("Randomized Controlled Trial", StudyDesign.RCT),
        ("randomised_controlled_trial", StudyDesign.RCT),
        ("meta-analysis", StudyDesign.META_ANALYSIS),
        ("Meta Analysis", StudyDesign.META_ANALYSIS),
        ("meta_analysis", StudyDesign.META_ANALYSIS),
        ("systematic review", StudyDesign.SYSTEMATIC_REVIEW),
        ("cohort study", StudyDesign.COHORT),
        ("case report", StudyDesign.CASE_REPORT),
        ("Case  Series", StudyDesign.CASE_SERIES),
        ("review", StudyDesign.NARRATIVE_REVIEW),
        ("consensus", StudyDesign.GUIDELINE),
        ("guideline", StudyDesign.GUIDELINE),
        ("animal study", StudyDesign.PRECLINICAL),
        ("in vitro", StudyDesign.PRECLINICAL),
        ("pharmacology", StudyDesign.PHARMACOLOGY),
        ("book", StudyDesign.BOOK),
        ("drug label", StudyDesign.REGULATORY_LABEL),  # a label is no pharmacology study
        ("Prescribing information", StudyDesign.REGULATORY_LABEL),
        ("regulatory-label", StudyDesign.REGULATORY_LABEL),
        ("rapid-review", StudyDesign.RAPID_REVIEW),
        ("Rapid Response Report", StudyDesign.RAPID_REVIEW),
        ("thesis", StudyDesign.THESIS),
        ("Masters thesis", StudyDesign.THESIS),
        ("grey literature", StudyDesign.THESIS),
        ("crossover of sorts", None),
    ],
)
def test_design_from_label(label: str, design: StudyDesign | None) -> None:
    assert design_from_label(label) == design


def test_design_from_studydesign_field() -> None:
    record = only(parse_bibtex("@article{a, title = {A review}, studydesign = {RCT}}"))
    assert (record.design, record.design_source) == (StudyDesign.RCT, DesignSource.ENTRY)
    assert record.design_reason == "studydesign field: rct"
    assert "studydesign" not in record.extra


def test_design_from_pubmed_publication_types() -> None:
    record = only(
        parse_bibtex(
            "@article{a, title = {Ketamine}, "
            "keywords = {Humans; Review; Randomized Controlled Trial; Pain}}"
        )
    )
    assert (record.design, record.design_source) == (StudyDesign.RCT, DesignSource.ENTRY)
    assert record.design_reason == "keyword 'Randomized Controlled Trial'"


@pytest.mark.parametrize(
    ("title", "design", "words"),
    [
        (
            "Ketamine: a systematic review and meta-analysis",
            StudyDesign.META_ANALYSIS,
            "meta-analys",
        ),
        ("A systematic review of ketamine", StudyDesign.SYSTEMATIC_REVIEW, "systematic review"),
        ("A double-blind, placebo-controlled trial", StudyDesign.RCT, "double-blind"),
        ("Randomised comparison", StudyDesign.RCT, "randomised"),
        ("A prospective cohort of 200 patients", StudyDesign.COHORT, "prospective"),
        ("A case-control study of cystitis", StudyDesign.CASE_CONTROL, "case-control"),
        ("Bladder dysfunction: a report of ten cases", StudyDesign.CASE_SERIES, "a report of ten"),
        ("Ketamine cystitis: a case report", StudyDesign.CASE_REPORT, "case report"),
        ("Consensus guidelines on ketamine", StudyDesign.GUIDELINE, "guideline"),
        ("Ketamine in rats", StudyDesign.PRECLINICAL, "rats"),
        ("Bioavailability of oral ketamine", StudyDesign.PHARMACOLOGY, "bioavailability"),
        ("Ketamine: a review", StudyDesign.NARRATIVE_REVIEW, "review"),
    ],
)
def test_design_suggested_from_title(title: str, design: StudyDesign, words: str) -> None:
    found, source, reason = detect_design(title=title)
    assert (found, source) == (design, DesignSource.SUGGESTED)
    assert "title" in reason
    assert words in reason


def test_design_suggested_from_abstract_book_or_unknown() -> None:
    assert detect_design(title="Ketamine", abstract="Mice were given ketamine.")[0] == (
        StudyDesign.PRECLINICAL
    )
    assert detect_design(title="Pain", entry_type="book") == (
        StudyDesign.BOOK,
        DesignSource.SUGGESTED,
        "entry type @book",
    )
    # a thesis is grey literature, even when its title says it is a meta-analysis
    assert detect_design(title="Ketamine: a meta-analysis", entry_type="mastersthesis") == (
        StudyDesign.THESIS,
        DesignSource.SUGGESTED,
        "entry type @mastersthesis",
    )
    assert detect_design(title="Host software", entry_type="techreport") == (
        None,
        DesignSource.UNKNOWN,
        "no design information",
    )


RULE_WORDS = re.findall(
    r"\S+",
    "meta - analysis analyses systematic literature review reviews overview of cochrane "
    "randomised randomized double blind placebo controlled rct rcts case control series a "
    "report ten 12 cases retrospective study chart cohort prospective observational "
    "longitudinal guideline guidelines consensus position statement rat rats mice mouse "
    "murine in vitro cell cells receptors expressed oocyte animal models pharmacokinetics "
    "bioavailability pharmacodynamic x",
)


@given(st.lists(st.sampled_from(RULE_WORDS), max_size=8).map(" ".join))
@settings(max_examples=500, deadline=None)
def test_rule_shortcut_never_hides_a_match(text: str) -> None:
    for rule in DESIGN_RULES:
        match = rule.pattern.search(text)
        if match is not None:
            assert any(stem in match.group(0) for stem in _RULE_STEMS), (rule.name, text)


def test_design_rules_are_data() -> None:
    assert [rule.design for rule in DESIGN_RULES][:3] == [
        StudyDesign.META_ANALYSIS,
        StudyDesign.SYSTEMATIC_REVIEW,
        StudyDesign.RCT,
    ]
    assert all(rule.name for rule in DESIGN_RULES)


def test_unrecognised_studydesign_stays_in_extra() -> None:
    record = only(parse_bibtex("@article{a, title = {A trial in mice}, studydesign = {weird}}"))
    assert record.extra["studydesign"] == "weird"
    assert (record.design, record.design_source) == (
        StudyDesign.PRECLINICAL,
        DesignSource.SUGGESTED,
    )


def test_verification_rule() -> None:
    parsed = parse_bibtex(
        """@article{v, title = {V}, verifiedfrom = {https://pubmed.ncbi.nlm.nih.gov/1}}
@article{u, title = {U}, verifiedfrom = {https://a}, uncertain = {Year inferred},
  seenat = {https://b}}
@article{n, title = {N}}
"""
    )
    verified, uncertain, plain = parsed.records
    assert (verified.verified, verified.verification_note) == (
        True,
        "https://pubmed.ncbi.nlm.nih.gov/1",
    )
    assert (uncertain.verified, uncertain.verification_note) == (
        False,
        "Year inferred; seen at: https://b",
    )
    assert (plain.verified, plain.verification_note) == (False, None)


# ---------------------------------------------------------------------------------------------
# The curated reference library
# ---------------------------------------------------------------------------------------------


def reference(name: str) -> Path:
    path = REFERENCES / name
    if not path.exists():
        pytest.skip(f"{REFERENCES} is not available")
    return path


def test_ketamine_verified_library() -> None:
    parsed = parse_bib_file(reference("ketamine-verified.bib"))
    assert parsed.found == 60
    assert len(parsed.records) == 60
    assert parsed.problems == ()
    assert parsed.merges == ()
    assert all(r.verified and r.verification_note for r in parsed.records)
    assert all(r.design_source is DesignSource.ENTRY for r in parsed.records)
    assert all(r.design_reason.startswith("studydesign field") for r in parsed.records)
    by_key = {r.key: r for r in parsed.records}
    cohen = by_key["cohen2018chronic"]
    assert cohen.design is StudyDesign.GUIDELINE
    assert cohen.doi == "10.1097/aap.0000000000000808"
    assert cohen.pages == "521–546"
    assert cohen.authors[0] == Person("Cohen", "Steven P.")
    assert "finding" in cohen.extra
    assert by_key["ketalar2020label"].authors == (Person("Par Pharmaceutical", corporate=True),)
    assert by_key["tran2020cadth"].extra["month"] == "May"


def test_ketamine_unverified_library() -> None:
    parsed = parse_bib_file(reference("ketamine-unverified.bib"))
    assert parsed.found == 18
    assert not any(r.verified for r in parsed.records)
    assert all(r.verification_note and "seen at: " in r.verification_note for r in parsed.records)
    # The one entry whose title was never seen is rejected, as every titleless entry is.
    assert [(p.key, p.field, p.kind) for p in parsed.problems] == [
        ("jmcr2008cystitis", "title", "invalid")
    ]
    assert len(parsed.records) == 17
    by_key = {r.key: r for r in parsed.records}
    assert by_key["clements1982"].others is True
    assert by_key["clements1982"].authors == (Person("Clements"),)
    assert by_key["colinavargas2023"].authors[0] == Person("Colina Vargas", "Yerlin Andrés")
    assert_invariant(parsed)


@pytest.mark.parametrize("name", ["ketamine-verified.bib", "ketamine-unverified.bib"])
def test_reference_library_round_trips(name: str) -> None:
    parsed = parse_bib_file(reference(name))
    text = to_bibtex(parsed.records)
    again = parse_bibtex(text)
    assert without_location(again.records) == without_location(parsed.records)
    assert again.problems == ()
    assert_pybtex_reads(text, len(parsed.records))


# ---------------------------------------------------------------------------------------------
# Real corpora
# ---------------------------------------------------------------------------------------------


def corpus_files() -> list[Path]:
    return sorted(CORPORA.rglob("*.bib")) if CORPORA.exists() else []


def source_counts(path: Path) -> tuple[int, int] | None:
    """(entries, failed blocks) for a file, from its folder's SOURCE.txt."""
    source = path.parent / "SOURCE.txt"
    if not source.exists():
        return None
    for line in source.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and parts[0] == path.name and len(parts) > 4:
            return int(parts[2]), int(parts[4])
    return None


@pytest.mark.skipif(not CORPORA.exists(), reason=f"shared corpora not found at {CORPORA}")
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_file_parses_and_accounts_for_every_entry(path: Path) -> None:
    parsed = parse_bib_file(path)
    assert_invariant(parsed)
    counts = source_counts(path)
    if counts is not None:
        entries, failed = counts
        assert entries <= parsed.found <= entries + failed
    for problem in parsed.problems:
        assert problem.message and "\n" not in problem.message
    for record in parsed.records:
        assert record.title
        assert record.doi is None or re.match(r"^10\.\d{4,9}/\S+$", record.doi)
        assert record.year is None or 1500 <= record.year <= NEXT_YEAR
        assert record.raw.startswith("@")


MESSY = [
    "biblatex-examples/biblatex-examples.bib",
    "bibtexparser-tests-v1/features2.bib",
    "bibtexparser-tests-v1/traps.bib",
    "jabref-testbib/testjabref.bib",
    "pybtex-tests/tests_data_xampl_mixed.bib",
    "typst-biblatex-tests/valid_comments.bib",
]


@pytest.mark.skipif(not CORPORA.exists(), reason=f"shared corpora not found at {CORPORA}")
@pytest.mark.parametrize("name", MESSY)
def test_messy_corpus_files_round_trip(name: str) -> None:
    parsed = parse_bib_file(CORPORA / name)
    assert parsed.records
    text = to_bibtex(parsed.records)
    again = parse_bibtex(text)
    assert without_location(again.records) == without_location(parsed.records)
    assert again.problems == ()
    assert again.merges == ()
    assert_pybtex_reads(text, len(parsed.records))


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def test_to_bibtex_writes_the_container_so_it_reads_back() -> None:
    record = only(
        parse_bibtex(
            "@techreport{r, title = {RFC}, howpublished = {Internet RFCs}, "
            "publisher = {RFC Editor}, institution = {RFC Editor}, year = 1969}"
        )
    )
    assert record.container == "RFC Editor"
    assert record.extra == {"howpublished": "Internet RFCs", "institution": "RFC Editor"}
    text = to_bibtex([record])
    assert "publisher = {RFC Editor}" in text
    assert without_location(round_trip((record,)).records) == without_location((record,))


def test_the_entry_digest_covers_the_text_and_the_macros() -> None:
    """What a re-import compares: the same text under other @string values is another entry."""
    plain = parse_bibtex(ACCENTS_ENTRY)
    [record] = plain.records
    assert record.digest == entry_digest(record.raw) and len(record.digest) == 64
    entry = '@article{m, title={T}, author={A, B}, year={2001}, journal=jp}'
    [one] = parse_bibtex('@string{jp = "J Pain"}\n' + entry).records
    [two] = parse_bibtex('@string{jp = "Pain"}\n' + entry).records
    [three] = parse_bibtex(entry).records
    assert one.raw == two.raw == three.raw
    assert len({one.digest, two.digest, three.digest}) == 3
    assert three.digest == entry_digest(entry)
    skipped = parse_bibtex(ACCENTS_ENTRY, known=lambda digests: {
        d: "stored-key" for d in digests if d == record.digest})
    assert not skipped.records and skipped.found == 1
    assert [(k.key, k.into, k.line, k.number) for k in skipped.known] == [
        ("accents", "stored-key", record.line, 1)]


def test_to_csv_and_to_json() -> None:
    parsed = parse_bibtex(ACCENTS_ENTRY)
    rows = list(csv.DictReader(io.StringIO(to_csv(parsed.records))))
    assert len(rows) == 1
    assert rows[0]["key"] == "accents"
    assert rows[0]["authors"].startswith("Müller, Jörg; González, María")
    assert rows[0]["pages"] == "12–18"
    (item,) = json.loads(to_json(parsed.records))
    assert item["authors"][0] == {"family": "Müller", "given": "Jörg"}
    assert item["year"] == 2020
    assert item["design_source"] == "unknown"
    assert item["raw"] == ACCENTS_ENTRY
    # every field but the import's bookkeeping (the digest that lets a re-import skip work)
    assert set(item) >= {f.name for f in dataclasses.fields(CitationRecord)} - {"digest"}
    assert "digest" not in item


@pytest.mark.parametrize("title", ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-2+3",
                                   "@SUM(A1)", "\tTab", "\rCR"])
def test_csv_cells_never_start_a_formula(title: str) -> None:
    parsed = parse_bibtex("@article{k, title = {T}, year = {2020}, author = {Doe, J.}}")
    record = dataclasses.replace(parsed.records[0], title=title, pages="-")
    [row] = csv.DictReader(io.StringIO(to_csv([record])))
    assert row["title"] == "'" + title
    assert row["pages"] == "'-"
    assert row["key"] == "k" and row["year"] == "2020"


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_csv_cells_start_no_formula_however_the_line_is_split(separator: str) -> None:
    """Opened in a spreadsheet that splits on `;` (or a comma, or a tab), every piece of a
    cell is a cell: none may start a formula."""
    parsed = parse_bibtex("@article{k, title = {T}, year = {2020}, author = {Doe, J.}}")
    title = f"x{separator}=cmd|' /C calc'!A0{separator}y{separator}+1{separator}@SUM(1)"
    record = dataclasses.replace(parsed.records[0], title=title, container="A;-B\n=C")
    text = to_csv([record])
    [row] = csv.DictReader(io.StringIO(text))
    for value in (row["title"], row["container"]):
        for piece in re.split(r"[;,\t\r\n]", value):
            assert not piece.startswith(("=", "+", "-", "@")), (value, piece)
    for line in text.splitlines():
        for cell in re.split("[;\t]", line):
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), cell
    assert row["title"].replace("'", "") == title.replace("'", "")


def test_problem_str_omits_missing_parts() -> None:
    problem = Problem("a.bib", None, None, None, "encoding", "not UTF-8")
    assert str(problem) == "a.bib: not UTF-8"


# ---------------------------------------------------------------------------------------------
# Property: the round trip holds for open-ended titles, names and years
# ---------------------------------------------------------------------------------------------

letters = st.characters(whitelist_categories=("Lu", "Ll", "Lo"))
word = st.text(letters, min_size=1, max_size=8) | st.sampled_from(
    ["and", "others", "van", "de", "Jr.", "O'Neil", "Smith-Jones", "{x}", "a,b", "\\o", "~"]
)
words = st.lists(word, min_size=1, max_size=3).map(" ".join)
people = st.builds(
    lambda family, given, corporate: Person(family, "" if corporate else given, corporate),
    words,
    st.one_of(st.just(""), words),
    st.booleans(),
)
keys = st.from_regex(r"[A-Za-z][A-Za-z0-9:_-]{0,15}", fullmatch=True)
extra_values = st.dictionaries(
    st.sampled_from(["note", "finding", "address", "series", "annote"]),
    display_text.map(collapse).filter(bool),
    max_size=3,
)


@given(
    key=keys,
    entry_type=st.sampled_from(["article", "book", "misc", "inproceedings", "techreport"]),
    title=display_text,
    authors=st.lists(people, max_size=4).map(tuple),
    others=st.booleans(),
    year=st.none() | st.integers(1500, NEXT_YEAR),
    container=st.none() | display_text.map(collapse).filter(bool),
    pages=st.none() | st.from_regex(r"[1-9][0-9]{0,3}(--[1-9][0-9]{0,3})?", fullmatch=True),
    url=st.none() | display_text.map(collapse).filter(bool),
    extra=extra_values,
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip_property(
    key: str,
    entry_type: str,
    title: str,
    authors: tuple[Person, ...],
    others: bool,
    year: int | None,
    container: str | None,
    pages: str | None,
    url: str | None,
    extra: dict[str, str],
) -> None:
    assume(collapse(title))
    candidate = CitationRecord(
        key=key,
        entry_type=entry_type,
        title=collapse(title),
        authors=authors,
        others=others and bool(authors),
        year=year,
        container=container,
        pages=normalise_pages(pages) if pages else None,
        url=url,
        extra=extra,
    )
    first = only(parse_bibtex(to_bibtex([candidate])))
    assert first.title == candidate.title
    assert first.authors == candidate.authors
    assert first.others == candidate.others
    assert first.year == candidate.year
    assert first.container == candidate.container
    assert first.pages == candidate.pages
    assert first.url == candidate.url
    assert dict(first.extra) == extra
    text = to_bibtex([first])
    second = only(parse_bibtex(text))
    assert dataclasses.replace(second, raw="", line=0) == dataclasses.replace(first, raw="", line=0)
    assert_pybtex_reads(text, 1)


bibtex_soup = st.lists(
    st.sampled_from(
        [
            "@article{",
            "@string{",
            "@comment{",
            "@preamble{",
            "@misc(",
            "k1,",
            "k2,",
            "title",
            "author",
            "year",
            "doi",
            " = ",
            "{",
            "}",
            '"',
            "#",
            ",",
            "\n",
            "\r\n",
            "%",
            "and",
            "others",
            "2019",
            "10.1000/x",
            "\\'e",
            "\\",
            "jan",
            ")",
            "x",
        ]
    ),
    max_size=40,
).map("".join)


@given(bibtex_soup)
@settings(max_examples=300, deadline=None)
def test_any_text_parses_without_exception_and_accounts_for_entries(text: str) -> None:
    parsed = parse_bibtex(text)
    assert_invariant(parsed)
    again = parse_bibtex(to_bibtex(parsed.records))
    assert without_location(again.records) == without_location(parsed.records)
