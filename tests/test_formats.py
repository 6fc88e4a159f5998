"""RIS, PubMed MEDLINE and CSL-JSON in (through the BibTeX import's pipeline) and RIS and
CSL-JSON out (issue 19)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import rispy
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tests.conftest import cli_env
from tests.helpers import do_import, source, text_of
from tracker import bibtex, db, exports, formats
from tracker.cli import app
from tracker.errors import InvalidInput
from tracker.formats import csl, medline, ris
from tracker.limits import MAX_FIELD_CHARS
from tracker.models import Citation
from tracker.services import citations, users
from tracker.services.access import system_actor
from tracker.vocabulary import Role


def stored(engine: Engine) -> list[tuple[object, ...]]:
    """Every citation's fields (what an import could change), in key order."""
    with db.reading(engine) as session:
        return [(c.key, c.title, c.authors_text, c.editors, c.year, c.container, c.volume,
                 c.number, c.pages, c.doi, c.pmid, c.isbn, c.url, c.abstract, c.keywords,
                 c.extra, c.version)
                for c in session.scalars(select(Citation).order_by(Citation.key))]


def export(engine: Engine, fmt: str) -> str:
    with db.reading(engine) as session:
        return exports.export(session, fmt)


# --- reading each format ---------------------------------------------------------------------


def test_each_format_is_detected_by_suffix_or_first_line() -> None:
    assert [formats.detect_format(n, "") for n in ("a.bib", "a.ris", "a.nbib", "a.json")] == [
        "bibtex", "ris", "pubmed", "csl-json"]
    assert formats.detect_format("a.txt", "\ufeffTY  - JOUR\n") == "ris"
    assert formats.detect_format("pubmed-x.txt", "\nPMID- 1\n") == "pubmed"
    assert formats.detect_format("export.txt", '[{"id": "x"}]') == "csl-json"
    assert formats.detect_format("export.txt", "@article{x, title={T}}") == "bibtex"


def test_pubmed_keeps_abstract_mesh_publication_types_and_identifiers() -> None:
    parsed = medline.parse_medline(text_of("same.nbib"), "same.nbib")
    assert parsed.found == 2 and not parsed.problems
    first = parsed.records[0]
    assert first.title == ("Ketamine infusions for complex regional pain syndrome: a "
                           "randomised controlled trial")  # PubMed's closing full stop dropped
    assert first.abstract is not None and "two lines of the MEDLINE record" in first.abstract
    assert "Complex Regional Pain Syndromes/*drug therapy" in first.keywords
    assert "Randomized Controlled Trial" in first.keywords
    assert (first.design, first.design_source.value) == (bibtex.StudyDesign.RCT, "entry")
    assert (first.doi, first.pmid, first.pages) == ("10.5555/test.alpha", "90000001", "101–109")
    assert first.extra["pmcid"] == "PMC9000001" and first.extra["shortjournal"] == "J Test Pain"
    assert [str(p) for p in first.authors] == ["Anna B Example", "Carl Sample"]
    assert first.line == 1 and parsed.records[1].line == 28


def test_ris_keeps_keywords_abstract_and_a_pubmed_accession_number() -> None:
    parsed = ris.parse_ris(text_of("same.ris"), "same.ris")
    assert parsed.found == 3 and not parsed.problems
    alpha, beta, _gamma = parsed.records
    assert alpha.key == "ris-alpha" and alpha.doi == "10.5555/test.alpha"
    assert alpha.keywords == ("ketamine", "complex regional pain syndromes")
    assert alpha.abstract == "A made-up abstract for a test fixture."
    assert beta.pmid == "90000002" and beta.key == "placeholder2019graded"


def test_csl_json_reads_numbers_date_parts_and_doi_addresses() -> None:
    parsed = csl.parse_csl_json(text_of("same.json"), "same.json")
    gamma, alpha = parsed.records
    assert (gamma.volume, gamma.year, gamma.pages) == ("3", 2018, "1–20")
    assert gamma.keywords == ("mirror therapy", "stroke")
    assert (alpha.key, alpha.doi, alpha.pmid) == ("csl-alpha", "10.5555/test.alpha", "90000001")


# --- one pipeline: merging across formats ----------------------------------------------------


def test_bibtex_ris_pubmed_and_csl_files_of_the_same_papers_merge_into_one_each(
        engine: Engine) -> None:
    report = do_import(engine, source("same.bib"), source("same.ris"), source("same.nbib"),
                       source("same.json"))
    assert report.found == 10 and not report.problems
    assert sorted(report.added) == ["alpha2021", "beta2019", "gamma2018"]
    assert len(report.merged_in_files) == 7
    with db.reading(engine) as session:
        alpha = session.scalar(select(Citation).where(Citation.key == "alpha2021"))
        assert alpha is not None
        # filled from the other formats: PMID, abstract, MeSH, PMCID
        assert alpha.pmid == "90000001" and alpha.abstract is not None
        assert "Humans" in alpha.keywords and alpha.extra["pmcid"] == "PMC9000001"
        assert session.scalar(select(func.count()).select_from(Citation)) == 3


def test_formats_imported_one_after_another_merge_into_the_stored_citations(
        engine: Engine) -> None:
    do_import(engine, source("same.bib"))
    for name in ("same.ris", "same.nbib", "same.json"):
        report = do_import(engine, source(name))
        assert not report.added and not report.problems, (name, report.summary())
    assert [row[0] for row in stored(engine)] == ["alpha2021", "beta2019", "gamma2018"]


def test_a_re_import_of_an_unchanged_ris_file_skips_the_stored_records(engine: Engine) -> None:
    do_import(engine, source("same.ris"))
    again = do_import(engine, source("same.ris"))
    assert not again.added and not again.merged and len(again.unchanged) == 3
    assert {m.matched_on for m in again.unchanged} == {bibtex.MATCH_AS_WRITTEN}


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [("same.ris", "ris"), ("same.nbib", "ris"),
                                           ("same.json", "csl-json"), ("same.nbib", "csl-json")])
def test_import_export_import_changes_nothing(engine: Engine, blank_engine: Engine,
                                              name: str, fmt: str) -> None:
    do_import(engine, source(name))
    written = export(engine, fmt)
    before = stored(engine)
    again = do_import(engine, source(f"export.{'ris' if fmt == 'ris' else 'json'}", written))
    assert not again.added and not again.merged and not again.problems, again.summary()
    assert stored(engine) == before
    # and into an empty database, the export gives the same citations and the same export
    db.migrate(blank_engine)
    do_import(blank_engine, source(f"export.{'ris' if fmt == 'ris' else 'json'}", written))
    assert [row[:-1] for row in stored(blank_engine)] == [row[:-1] for row in before]
    assert export(blank_engine, fmt) == written


def test_ris_export_is_read_by_rispy(engine: Engine) -> None:
    do_import(engine, source("same.nbib"))
    entries = rispy.loads(export(engine, "ris"))
    assert [e["type_of_reference"] for e in entries] == ["JOUR", "JOUR"]
    assert entries[0]["doi"] == "10.5555/test.alpha"
    assert entries[0]["authors"] == ["Example, Anna B", "Sample, Carl"]
    assert entries[0]["accession_number"] == "PMID: 90000001"


def test_csl_json_export_is_read_and_formatted_by_citeproc(engine: Engine) -> None:
    citeproc = pytest.importorskip("citeproc")
    from citeproc.source.json import CiteProcJSON

    do_import(engine, source("same.bib"), source("same.nbib"))
    items = json.loads(export(engine, "csl-json"))
    bib_source = CiteProcJSON(items)
    style = citeproc.CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = citeproc.CitationStylesBibliography(style, bib_source,
                                                       citeproc.formatter.plain)
    for item in items:
        bibliography.register(citeproc.Citation([citeproc.CitationItem(item["id"])]))
    text = "\n".join(str(entry) for entry in bibliography.bibliography())
    assert "Ketamine infusions for complex regional pain syndrome" in text
    assert "Placeholder" in text and "2019" in text


# --- bad input: where and why, nothing half-written -------------------------------------------


def test_a_truncated_ris_record_is_reported_with_its_line_and_the_rest_import(
        engine: Engine) -> None:
    text = text_of("same.ris")
    cut = text[: text.rindex("ER  -")]  # the last record loses its end
    report = do_import(engine, source("cut.ris", cut + "\nTY  - JOUR\nTI  - Next\nPY  - 2020\n"
                                      "ER  - \n"))
    problem, = report.problems
    assert (problem.source, problem.line, problem.kind) == ("cut.ris", 27, "parse")
    assert "no end line 'ER  -'" in problem.message
    assert len(report.added) == 3 and report.reported_entries == 1 and report.found == 4


def test_ris_records_read_in_one_pass_are_the_records_read_one_by_one() -> None:
    """rispy reads a file's records in one pass; a record whose second line continues
    nothing (rispy would extend the previous record's last tag) makes it read them alone."""
    text = text_of("same.ris").replace("\n", "\r\n")
    keyworded = "TY  - JOUR\nTI  - Keyworded\nPY  - 2020\nKW  - Cohort\nER  - \n"
    lone = "TY  - JOUR\n  a line that continues nothing\nTI  - Lone\nPY  - 2020\nER  - \n"
    for whole in (text, text + keyworded + lone, lone + text):
        one_by_one = [ris.parse_ris(part + "ER  - \n") for part in whole.split("ER  - ")[:-1]]
        parsed = ris.parse_ris(whole)
        assert [replace(r, line=0) for r in parsed.records] == [
            replace(r, line=0) for p in one_by_one for r in p.records]
        assert [r.line for r in parsed.records] == sorted(r.line for r in parsed.records)
        assert all(r.raw.startswith("TY  - ") and r.raw.rstrip().endswith("ER  -")
                   and "\r" not in r.raw for r in parsed.records)


def test_a_record_rispy_cannot_read_is_named_and_the_others_import(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(f"TY  - JOUR\nTI  - Title {n}\nPY  - 2020\nER  - \n\n" for n in range(3))
    broken = rispy.RisParser.parse_lines

    def parse_lines(self: Any, lines: Any) -> Any:
        entries = broken(self, lines)
        if any(e.get("title") == "Title 1" for e in entries):
            raise ValueError("a rispy bug")
        return entries

    monkeypatch.setattr(rispy.RisParser, "parse_lines", parse_lines)
    parsed = ris.parse_ris(text, "bug.ris")
    assert [r.title for r in parsed.records] == ["Title 0", "Title 2"]
    problem, = parsed.problems
    assert (problem.line, problem.kind, problem.entry_number) == (6, "parse", 2)
    assert "rispy could not read this record: a rispy bug" in problem.message


def test_a_damaged_medline_record_is_refused_and_named(engine: Engine) -> None:
    text = "PMID- 1\nTI  - Fine title.\nDP  - 2020\n\nPMID- 2\nTI  - Broken\n<html>oops\n"
    report = do_import(engine, source("bad.nbib", text))
    problem, = report.problems
    assert (problem.line, problem.key, problem.kind) == (7, "2", "parse")
    assert report.added == ["anon2020fine"] and report.found == 2


def test_broken_json_is_one_problem_with_line_and_column(engine: Engine) -> None:
    text = text_of("same.json")[:200]
    report = do_import(engine, source("cut.json", text))
    problem, = report.problems
    assert problem.line is not None and "is not valid JSON" in problem.message
    assert not report.added


def test_bad_records_name_their_field_and_strict_writes_nothing(engine: Engine) -> None:
    huge = "x" * (MAX_FIELD_CHARS + 1)
    text = ("TY  - JOUR\nTI  - Fine\nPY  - 2020\nER  - \n"
            f"TY  - JOUR\nTI  - Huge\nAB  - {huge}\nER  - \n"
            "TY  - JOUR\nTI  - Nul\x00here\nER  - \n"
            "TY  - JOUR\nTI  - Bad year\nPY  - in press\nER  - \n"
            "TY  - JOUR\nTI  - Bad doi\nDO  - not a doi\nER  - \n"
            "TY  - JOUR\nAU  - Untitled, A\nER  - \n")
    strict = do_import(engine, source("bad.ris", text), strict=True)
    assert not strict.written and stored(engine) == []
    assert [(p.line, p.field) for p in strict.problems] == [
        (5, "abstract"), (9, "title"), (12, "year"), (16, "doi"), (20, "title")]
    report = do_import(engine, source("bad.ris", text))
    assert report.added == ["anon2020fine"] and report.reported_entries == 5


def test_csl_items_that_are_not_objects_are_named_by_index(engine: Engine) -> None:
    report = do_import(engine, source("x.json", '[{"id": "ok", "title": "Fine"}, 42, '
                                               '{"id": "no-title"}]'))
    assert [(p.entry_number, p.key, p.message.split(":")[0]) for p in report.problems] == [
        (2, None, "record 2 is a JSON int, not an object with CSL variables"),
        (3, "no-title", "record 3")]
    assert report.added == ["ok"]


def test_ris_in_a_legacy_encoding_is_read_and_noted(tmp_path: Path) -> None:
    data = "TY  - JOUR\nTI  - Étude de la douleur chronique chez l'enfant\nPY  - 2020\nER  - \n"
    decoded = bibtex.decode_bib_bytes(data.encode("cp1252"), "legacy.ris")
    assert decoded.encoding != "utf-8" and "Étude" in decoded.text
    parsed = formats.parse_references(decoded.text, "legacy.ris", "ris")
    assert parsed.records[0].title == "Étude de la douleur chronique chez l'enfant"


def test_too_many_records_refuse_the_import(engine: Engine,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tracker.formats.records.MAX_BIB_BLOCKS", 2)
    text = "".join(f"TY  - JOUR\nTI  - T{i}\nER  - \n" for i in range(3))
    with pytest.raises(InvalidInput, match="has 3 records; at most 2"):
        do_import(engine, source("many.ris", text))
    assert stored(engine) == []


# --- the command line ------------------------------------------------------------------------


def test_cli_imports_every_format_with_json_report_and_dry_run(engine: Engine,
                                                               tmp_path: Path) -> None:
    with db.writing(engine) as session:
        users.add_user(session, system_actor(session), "rev", Role.REVIEWER, "password-1")
    env = cli_env(engine, "rev")
    paths = []
    for name in ("same.bib", "same.ris", "same.nbib", "same.json"):
        path = tmp_path / name
        path.write_text(text_of(name), encoding="utf-8")
        paths.append(str(path))
    dry = CliRunner().invoke(app, ["import-bib", *paths, "--dry-run", "--json"], env=env)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["summary"]["added"] == 3 and stored(engine) == []
    result = CliRunner().invoke(app, ["import-bib", *paths], env=env)
    assert result.exit_code == 0, result.output
    assert "3 added" in result.output and len(stored(engine)) == 3
    forced = tmp_path / "records.txt"
    forced.write_text(text_of("same.ris"), encoding="utf-8")
    again = CliRunner().invoke(app, ["import-bib", str(forced), "--format", "ris", "--json"],
                               env=env)
    assert json.loads(again.output)["summary"]["unchanged"] == 3


# --- the dashboard ---------------------------------------------------------------------------

from tests.helpers_dashboard import button, evidence_tab, plain  # noqa: E402


def test_the_dashboard_import_takes_a_pasted_ris_record(
        shipped_engine: Engine, open_app: Any, make_actor: Any) -> None:  # noqa: F811
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    evidence_tab(at, "Import BibTeX")
    at.text_area(key="import_text").input(
        "TY  - JOUR\nID  - dashris2024\nTI  - A pasted RIS record\nAU  - Paste, Pat\n"
        "PY  - 2024\nER  - \n")
    button(at, "Import").click().run()
    assert not at.exception
    assert any("Imported: 1 added" in plain(s.value) for s in at.success)
    with db.reading(shipped_engine) as session:
        assert citations.citation_by_key(session, "dashris2024").year == 2024
