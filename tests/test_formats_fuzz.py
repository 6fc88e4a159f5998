"""Bad input in RIS, PubMed MEDLINE and CSL-JSON, property-tested as BibTeX is in
tests/test_fuzz.py and tests/test_bad_input.py: mutated real-shaped files (byte flips,
truncations, deleted and duplicated spans, NULs, invalid UTF-8), arbitrary text, fields at
and past their limit, wrong encodings. Every input parses or is refused with where and why;
nothing raises anything else; an import changes the database by exactly what its report says
(nothing half-written). `--long` runs many more examples."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.conftest import ROOT, scaled
from tests.helpers import snapshot
from tracker import bibtex, db, formats, limits
from tracker.bibtex import ParsedBib
from tracker.services import citations
from tracker.services.access import system_actor

FIXTURES = ROOT / "tests" / "fixtures" / "formats"
FILES = [FIXTURES / name for name in ("same.ris", "same.nbib", "same.json")]
TIMEOUT = scaled(60, 3600)
FUZZ = settings(max_examples=scaled(100, 3000), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(max_examples=scaled(15, 300), deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture])
INSERTIONS = [b"\x00", b"\x01", b"\x1b[31m", b"\r", b"\r\n", b"\xff", b"\xc3", b"\xed\xa0\x80",
              b"\xfe\xff", b"TY  - JOUR\n", b"ER  - \n", b"PMID- 1\n", b"      ", b"\n\n",
              b"DO  - not a doi\n", b"PY  - in press\n", b"LID - x [doi]\n", b"[", b"]",
              b"{", b"}", b'"', b",", b"\\", b"\xc3\xa9", "中".encode()]


def fmt_of(name: str, text: str) -> str:
    return formats.detect_format(name, text)


def assert_sound(parsed: ParsedBib, source: str) -> None:
    """Every record is imported, merged or refused; every problem says where (a line, or the
    record's index for JSON) and why; what was accepted fits the database and writes out."""
    refused = {p.entry_number for p in parsed.problems if p.entry_number is not None}
    assert len(parsed.records) + len(parsed.merges) + len(refused) == parsed.found
    for problem in parsed.problems:
        assert problem.source == source and problem.message, problem
        assert len(str(problem)) < 2000, problem
        if problem.entry_number is not None:
            assert (problem.line is not None and problem.line >= 1) or (
                f"record {problem.entry_number}" in problem.message), problem
    for record in parsed.records:
        assert record.key and len(record.key) <= limits.MAX_KEY_CHARS
        assert len(record.raw) <= limits.MAX_ENTRY_CHARS
        texts = [record.key, record.title or "", *record.extra.values(), *record.keywords,
                 *(p.family + p.given for p in record.authors + record.editors)]
        assert not any("\x00" in text for text in texts), record.key
        assert all(len(text) <= limits.MAX_FIELD_CHARS for text in texts)
    formats.to_ris(parsed.records)
    formats.to_csl_json(parsed.records)
    bibtex.to_bibtex(parsed.records)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    path = draw(st.sampled_from(FILES))
    data = bytearray(path.read_bytes() * draw(st.integers(1, 3)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "truncate", "delete", "duplicate", "insert"]))
        size = len(data)
        at = draw(st.integers(0, size))
        if kind == "flip" and size:
            data[min(at, size - 1)] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "delete":
            del data[at:min(size, at + draw(st.integers(0, 400)))]
        elif kind == "duplicate":
            data[at:at] = data[at:min(size, at + draw(st.integers(0, 400)))]
        else:
            data[at:at] = draw(st.sampled_from(INSERTIONS)) * draw(st.integers(1, 3))
    return path.name, bytes(data)


@pytest.mark.timeout(TIMEOUT)
@given(mutated())
@FUZZ
def test_mutated_files_parse_or_are_refused_with_a_reason(case: tuple[str, bytes]) -> None:
    name, data = case
    try:
        decoded = bibtex.decode_bib_bytes(data, name)
    except bibtex.BibFileError as error:
        assert name in str(error) and error.message
        return
    assert_sound(formats.parse_references(decoded.text, name, fmt_of(name, decoded.text)), name)


@pytest.mark.timeout(TIMEOUT)
@given(st.sampled_from(["x.ris", "x.nbib", "x.json"]), st.text(max_size=3000))
@FUZZ
def test_any_text_parses_or_is_refused_with_a_reason(name: str, text: str) -> None:
    assert_sound(formats.parse_references(text, name, fmt_of(name, text)), name)


@pytest.mark.timeout(TIMEOUT)
@given(st.integers(limits.MAX_FIELD_CHARS - 2, limits.MAX_FIELD_CHARS + 2),
       st.sampled_from(["ris", "pubmed", "csl-json"]))
@FEW
def test_a_field_imports_up_to_its_limit_and_is_refused_past_it(size: int, fmt: str) -> None:
    abstract = "a" * size
    text = {"ris": f"TY  - JOUR\nTI  - Long\nAB  - {abstract}\nER  - \n",
            "pubmed": f"PMID- 1\nTI  - Long\nAB  - {abstract}\n",
            "csl-json": json.dumps([{"id": "long", "title": "Long", "abstract": abstract}])}[fmt]
    parsed = formats.parse_references(text, "f", fmt)
    if size <= limits.MAX_FIELD_CHARS:
        assert parsed.records[0].abstract == abstract and not parsed.problems
    else:
        [problem] = parsed.problems
        assert problem.field == "abstract" and "at most" in problem.message


@pytest.mark.parametrize("name", ["same.ris", "same.nbib", "same.json"])
def test_a_file_in_a_wrong_stated_encoding_is_refused_naming_the_line(name: str) -> None:
    data = (FIXTURES / name).read_text("utf-8").replace("Ketamine", "Kétamine").encode("utf-8")
    data = data.replace("é".encode(), b"\x81")  # undefined in Windows-1252
    with pytest.raises(bibtex.BibFileError, match=r"line \d+: byte 0x81 is not"):
        bibtex.decode_bib_bytes(data, name, "cp1252")


@pytest.mark.timeout(scaled(120, 3600))
@given(case=mutated(), mode=st.sampled_from(["lenient", "strict", "dry-run"]))
@FEW
def test_a_mutated_file_changes_the_database_by_exactly_what_the_report_says(
        engine: Engine, case: tuple[str, bytes], mode: str) -> None:
    name, data = case
    try:
        text = bibtex.decode_bib_bytes(data, name).text
    except bibtex.BibFileError:
        return
    before = snapshot(engine)
    with db.writing(engine) as session:
        report = citations.import_bibtex(
            session, system_actor(session),
            [citations.BibSource(name, text, None, fmt_of(name, text))],
            strict=mode == "strict", dry_run=mode == "dry-run")
    after = snapshot(engine)
    if not report.written:
        assert after == before
        return
    assert len(after["citations"]) == len(before["citations"]) + len(report.added)
    wrote = bool(report.added or report.merged)
    assert (after == before) == (not wrote)
