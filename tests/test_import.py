"""BibTeX import through the service layer and the CLI: counts, duplicates against the
database, strict and dry-run, encodings, round trip through export, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pybtex.database
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tests.conftest import ROOT, SHARED, cli_env
from tests.helpers import do_import
from tracker import bibtex, db, exports
from tracker.cli import app
from tracker.errors import InvalidInput
from tracker.models import AuditEvent, Citation, CitationTopic
from tracker.queries.records import export_records
from tracker.revision import revision_of
from tracker.services import citations, users
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import Role

CORPORA = SHARED / "corpora"
LIBRARY = ROOT / "references" / "library.bib"
needs_corpora = pytest.mark.skipif(not CORPORA.exists(),
                                   reason=f"the shared BibTeX corpora are not at {CORPORA}")


def count(engine: Engine) -> int:
    with db.reading(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Citation)) or 0)


@needs_corpora
@pytest.mark.slow
def test_every_corpus_file_imports_and_every_entry_is_accounted_for(engine: Engine) -> None:
    files = sorted(p for p in CORPORA.rglob("*.bib"))
    assert len(files) > 100
    for path in files:
        text, _ = bibtex.read_bib_file(path)
        report = do_import(engine, (str(path.relative_to(CORPORA)), text))
        accounted = (len(report.added) + len(report.merged) + len(report.unchanged)
                     + len(report.merged_in_files) + report.reported_entries)
        assert accounted == report.found, (path.name, report.summary())
        again = do_import(engine, (str(path.relative_to(CORPORA)), text))
        assert not again.added and not again.merged, (path.name, again.summary())
        accounted = (len(again.unchanged) + len(again.merged_in_files)
                     + again.reported_entries)
        assert accounted == again.found == report.found, (path.name, again.summary())
        for problem in report.problems:
            assert problem.source.endswith(path.name)


def test_the_curated_library_imports_cleanly_and_reimport_changes_nothing(
        engine: Engine) -> None:
    text, encoding = bibtex.read_bib_file(LIBRARY)
    first = do_import(engine, ("library.bib", text), strict=True)
    assert first.written and not first.problems
    assert len(first.added) == first.found == 77
    with db.reading(engine) as session:
        verified = session.scalar(select(func.count()).where(Citation.verified.is_(True)))
        assert verified == 43  # re-verified against authoritative records (2026-12-07)
        crps = session.scalar(select(Citation).where(Citation.key == "schwartzman2009"))
        assert crps is not None and crps.design == "rct" and crps.design_source == "entry"
        assert "finding" in crps.extra and crps.raw.startswith("@article{schwartzman2009")
        topics = set(session.scalars(select(CitationTopic.value).where(
            CitationTopic.citation_id == crps.id)))
        assert {"CRPS", "IV"} <= topics
        revision = revision_of(session)
    again = do_import(engine, ("library.bib", text))
    assert not again.added and not again.merged and len(again.unchanged) == 77
    with db.reading(engine) as session:
        assert revision_of(session) == revision


def test_duplicates_against_the_database_fill_and_report_conflicts(engine: Engine) -> None:
    do_import(engine, ("a.bib", """
@article{first, title={Ketamine for pain: a trial}, author={Doe, Jane}, year={2019},
  doi={10.1000/abc}, journal={Pain}}
@article{second, title={Another study of ketamine}, author={Roe, Richard}, year={2018},
  pmid={12345}}
@article{third, title={A third, rather specific title}, author={Poe, Edgar}, year={2017}}
"""))
    report = do_import(engine, ("b.bib", """
@article{same-doi, title={Ketamine for pain: a trial}, author={Doe, Jane}, year={2019},
  doi={https://doi.org/10.1000/ABC}, volume={12}, journal={Pain Medicine}}
@article{same-pmid, title={Another study of ketamine}, year={2018}, pmid={12345}, pages={1--9}}
@article{same-title, title={A Third, Rather Specific Title!}, author={Poe, E.}, year={2017},
  url={https://example.org/third}}
"""))
    merged = {m.key: m for m in report.merged}
    assert merged["same-doi"].matched_on == "doi" and merged["same-doi"].filled == ("volume",)
    assert ("container", "Pain", "Pain Medicine") in merged["same-doi"].conflicts
    assert merged["same-pmid"].matched_on == "pmid" and merged["same-pmid"].filled == ("pages",)
    assert merged["same-title"].matched_on == "title+year+first author"
    assert count(engine) == 3
    with db.reading(engine) as session:
        first = session.scalar(select(Citation).where(Citation.key == "first"))
        assert first is not None and (first.volume, first.container) == ("12", "Pain")


MACRO_FILE = """@string{pm = "Pain Medicine"}
@article{macro1, title={Ketamine infusions for CRPS}, author={Doe, Jane}, year={2019},
  journal=pm, doi={10.1000/m1}}
@article{macro2, title={Oral ketamine for neuropathic pain}, author={Roe, Ann}, year={2020},
  journal=pm}
"""


def test_a_re_import_skips_the_entries_stored_as_written(engine: Engine) -> None:
    """Each citation keeps the digest of the entry it came from (text and the file's @string
    macros): the same entries again are reported unchanged without being decoded."""
    first = do_import(engine, ("m.bib", MACRO_FILE))
    assert sorted(first.added) == ["macro1", "macro2"]
    with db.reading(engine) as session:
        stored = {key: digest for key, digest in session.execute(
            select(Citation.key, Citation.entry_digest))}
        revision = revision_of(session)
    assert stored == {r.key: r.digest for r in bibtex.parse_bibtex(MACRO_FILE).records}
    assert all(len(d or "") == 64 for d in stored.values())
    again = do_import(engine, ("m.bib", MACRO_FILE))
    assert not again.added and not again.merged and not again.problems
    assert [(m.key, m.matched_on, m.line) for m in again.unchanged] == [
        ("macro1", bibtex.MATCH_AS_WRITTEN, 2), ("macro2", bibtex.MATCH_AS_WRITTEN, 4)]
    with db.reading(engine) as session:
        assert revision_of(session) == revision


def test_a_changed_macro_or_entry_takes_the_full_path(engine: Engine) -> None:
    """The same entry text under another @string value is not the entry that was stored: it
    is decoded and compared (a conflict, never an overwrite); so is an edited entry."""
    do_import(engine, ("m.bib", MACRO_FILE))
    other_macro = do_import(engine, ("m.bib", MACRO_FILE.replace('"Pain Medicine"', '"PAIN"')))
    assert not other_macro.added and not other_macro.merged
    notes = {m.key: m for m in other_macro.unchanged}
    assert notes["macro1"].matched_on == "doi"
    assert ("container", "Pain Medicine", "PAIN") in notes["macro1"].conflicts
    edited = do_import(engine, ("m.bib", MACRO_FILE.replace("year={2020},", "year={2020}, "
                                                            "volume={7},")))
    assert [(m.key, m.filled) for m in edited.merged] == [("macro2", ("volume",))]
    assert [m.key for m in edited.unchanged] == ["macro1"]
    assert edited.unchanged[0].matched_on == bibtex.MATCH_AS_WRITTEN


def test_a_citation_without_a_digest_is_matched_as_before(engine: Engine) -> None:
    """Citations stored before revision 0007 have no digest: their re-import is decoded and
    matched on identifiers, and still changes nothing."""
    do_import(engine, ("m.bib", MACRO_FILE))
    with db.writing(engine) as session:
        session.execute(Citation.__table__.update().values(entry_digest=None))
    again = do_import(engine, ("m.bib", MACRO_FILE))
    assert not again.added and not again.merged
    assert {m.key: m.matched_on for m in again.unchanged} == {
        "macro1": "doi", "macro2": bibtex.MATCH_TITLE}


def test_strict_imports_nothing_when_any_entry_is_bad(engine: Engine) -> None:
    source = ("bad.bib", "@article{ok, title={Fine}, author={A, B}, year={2001}}\n\n"
                         "@article{noyear, title={Bad year}, year={20019}}\n")
    strict = do_import(engine, source, strict=True)
    assert not strict.written and count(engine) == 0
    [problem] = strict.problems
    assert (problem.line, problem.key, problem.field) == (3, "noyear", "year")
    lenient = do_import(engine, source)
    assert lenient.written and lenient.added == ["ok"] and count(engine) == 1


def test_dry_run_writes_nothing(engine: Engine) -> None:
    text, _ = bibtex.read_bib_file(LIBRARY)
    report = do_import(engine, ("library.bib", text), dry_run=True)
    assert len(report.added) == 77 and not report.written
    assert count(engine) == 0


def test_key_already_used_by_another_citation_is_renamed(engine: Engine) -> None:
    do_import(engine, ("a.bib", "@book{smith, title={One book}, author={Smith, A}, year={2000}}"))
    report = do_import(engine, ("b.bib",
                                "@book{smith, title={Other book}, author={Smith, B}, year={2001}}"))
    assert report.renamed == [("smith", "smith-2")] and report.added == ["smith-2"]


def test_a_renamed_entry_re_imports_as_the_citation_it_became(engine: Engine) -> None:
    """An entry stored under key-2 because its key was taken is found again by its digest, not
    added a third time (without year or author, nothing else would match it)."""
    do_import(engine, ("a.bib", "@misc{note, title={A web page}}"))
    other = ("b.bib", "@misc{note, title={Another web page}}")
    assert do_import(engine, other).added == ["note-2"]
    again = do_import(engine, other)
    assert not again.added and not again.renamed
    assert [(m.key, m.into, m.matched_on) for m in again.unchanged] == [
        ("note", "note-2", bibtex.MATCH_AS_WRITTEN)]
    assert count(engine) == 2


def test_latin1_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.bib"
    path.write_bytes("@article{m, title={Étude de la kétamine}, author={Müller, Jürgen}, "
                     "year={2010}}".encode("latin-1"))
    text, encoding = bibtex.read_bib_file(path)
    assert encoding != "utf-8"
    report = do_import(engine, (str(path), text))
    assert report.added == ["m"]
    with db.reading(engine) as session:
        stored = session.scalar(select(Citation).where(Citation.key == "m"))
        assert stored is not None and stored.title == "Étude de la kétamine"
        assert stored.authors[0]["family"] == "Müller"


def test_export_round_trip_and_pybtex(engine: Engine, blank_engine: Engine) -> None:
    text, _ = bibtex.read_bib_file(LIBRARY)
    do_import(engine, ("library.bib", text))
    with db.reading(engine) as session:
        exported = exports.export(session, "bibtex")
        originals = export_records(session)
    parsed = pybtex.database.parse_string(exported, "bibtex")
    assert len(parsed.entries) == 77
    db.migrate(blank_engine)
    report = do_import(blank_engine, ("export.bib", exported), strict=True)
    assert len(report.added) == 77
    with db.reading(blank_engine) as session:
        copies = {r.key: r for r in export_records(session)}
    for original in originals:
        copy = copies[original.key]
        for name in ("title", "authors", "year", "container", "doi", "pmid", "design",
                     "verified", "verification_note", "pages", "volume", "number", "extra"):
            assert getattr(copy, name) == getattr(original, name), (original.key, name)


def test_viewers_cannot_import(engine: Engine, make_actor: Callable[[Engine, Role], Actor]
                               ) -> None:
    viewer = make_actor(engine, Role.VIEWER)
    from tracker.errors import PermissionDenied
    with pytest.raises(PermissionDenied):
        do_import(engine, ("a.bib", "@misc{x, title={X}}"), actor=viewer)


def reviewer(engine: Engine) -> str:
    """A reviewer for the command line (see `cli_env`)."""
    with db.writing(engine) as session:
        users.add_user(session, system_actor(session), "rui", Role.REVIEWER, "password-1")
    return "rui"


def test_cli_import_json_report_and_audit(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "two.bib"
    path.write_text("@article{a, title={Alpha}, author={A, A}, year={2001}}\n"
                    "@article{b, title={Beta}, year={1066x}}\n", encoding="utf-8")
    env = cli_env(engine, reviewer(engine))
    result = CliRunner().invoke(app, ["import-bib", str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["summary"]["added"] == 1 and report["summary"]["refused_entries"] == 1
    assert report["problems"][0]["line"] == 2
    strict = CliRunner().invoke(app, ["import-bib", str(path), "--strict"], env=env)
    assert strict.exit_code == 1 and "nothing imported (--strict)" in strict.output
    with db.reading(engine) as session:
        assert session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "citations.import")) == "citations.import"


# --- refusals, warnings and identities (issue 12) ---------------------------------------------


def test_macro_expansion_is_bounded_over_the_whole_import(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack: one long macro used by every entry (decoded once, stored every time). The
    import — all its files — is refused whole, naming where the total went over."""
    monkeypatch.setattr(bibtex.values, "MAX_IMPORT_EXPANSION_CHARS", 50_000)
    macro = "@string{big = {" + "x" * 10_000 + "}}\n"
    first = macro + "".join(f"@misc{{a{n}, title = big}}\n" for n in range(3))
    second = macro + "".join(f"@misc{{b{n}, title = big}}\n" for n in range(3))
    with pytest.raises(InvalidInput, match=(
            r"^second.bib: 4: b2: title: @string macros expand this import's fields to more "
            r"than 50,000 characters in all; the import is refused .*nothing was written$")):
        do_import(engine, ("first.bib", first), ("second.bib", second))
    assert count(engine) == 0
    assert do_import(engine, ("first.bib", first)).added == ["a0", "a1", "a2"]


def test_redefined_and_undefined_macros_are_warnings(engine: Engine) -> None:
    text = ("@string{jnl = {Pain}}\n@string{JNL = {Anesthesiology}}\n"
            "@article{a, title = {A}, journal = jnl, publisher = nowhere, year = {2001}}\n"
            "@article{b, title = {B}, journal = jnl, publisher = nowhere, year = {2002}}\n")
    report = do_import(engine, ("m.bib", text), strict=True)
    assert report.written and report.added == ["a", "b"] and not report.problems
    assert [(w.line, w.key, w.field, w.kind) for w in report.warnings] == [
        (2, None, None, "warning"), (3, "a", "publisher", "warning")]
    assert "'JNL' is defined again (first on line 1)" in report.warnings[0].message
    assert "'nowhere', which the file does not define" in report.warnings[1].message
    assert report.summary()["warnings"] == 2


@pytest.mark.parametrize("doi", [
    "10.1000/ab\u200bc",  # zero-width space
    "10.1000/abc\u202e",  # right-to-left override
    "10.1000/a\u00adbc",  # soft hyphen
    "10.\u0661\u0660\u0660\u0660/abc",  # Arabic-Indic digits
    "10.１０００/abc",  # full-width digits
])
def test_dois_with_invisible_or_foreign_digits_are_refused(engine: Engine, doi: str) -> None:
    assert bibtex.normalise_doi(doi) is None
    report = do_import(engine, ("d.bib", "@article{plain, title={T}, doi={10.1000/abc}}\n"
                                         f"@article{{twin, title={{T2}}, doi={{{doi}}}}}\n"))
    assert report.added == ["plain"]
    [problem] = report.problems
    assert (problem.key, problem.field) == ("twin", "doi")
    assert bibtex.normalise_doi("10.1000/Caf\u0065\u0301") == "10.1000/caf\u00e9"  # NFC


def test_keys_differing_only_in_case_are_one_key(engine: Engine) -> None:
    within = do_import(engine, ("k.bib", "@misc{Smith2020, title={One}}\n"
                                         "@misc{smith2020, title={Two}}\n"))
    assert within.added == ["Smith2020"]
    [problem] = within.problems
    assert (problem.kind, problem.key, problem.line) == ("duplicate-key", "smith2020", 2)
    assert "differs only in case from 'Smith2020' on line 1" in problem.message
    same = do_import(engine, ("again.bib", "@misc{SMITH2020, title={One}}\n"))
    assert not same.added and [u.into for u in same.unchanged] == ["Smith2020"]
    other = do_import(engine, ("other.bib", "@misc{SMITH2020, title={Another work}}\n"))
    assert other.added == ["SMITH2020-2"] and other.renamed == [("SMITH2020", "SMITH2020-2")]
    with db.reading(engine) as session:
        assert citations.citation_by_key(session, "smith2020").key == "Smith2020"


def test_a_file_refused_whole_fails_the_command(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bibtex.pipeline, "MAX_BIB_BLOCKS", 3)
    path = tmp_path / "many.bib"
    path.write_text("".join(f"@misc{{k{n}, title={{T{n}}}}}\n" for n in range(5)),
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["import-bib", str(path)], env=cli_env(
        engine, reviewer(engine)))
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {path}: has more than 3 blocks")
    assert "the import is refused, nothing was written" in result.output
    assert count(engine) == 0
