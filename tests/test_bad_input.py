"""Bad input through the service layer and the CLI, on SQLite and PostgreSQL: a 100 MB file,
deep nesting, huge fields, invalid UTF-8, control characters, NUL, @string bombs. Each input
is imported or refused with a message naming the file, line and field; after a refusal the
database is exactly as it was (every row of every table compared); nothing raises anything
but a domain error, and nothing runs longer than its timeout."""

from __future__ import annotations

import json
import tomllib
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests import helpers
from tests.conftest import ARTICLE, ROOT, cli_env, scaled
from tests.helpers import do_import
from tests.strategies import mutated_article, mutated_bib
from tracker import bibtex, db, limits
from tracker.cli import app
from tracker.errors import Conflict, InvalidInput
from tracker.models import Citation, Claim, Document, EvidenceLink, Flag, Section
from tracker.services import articles, citations, evidence, flags, questions, users
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import FlagKind, FlagState, Role, Stance

TABLES = ("citations", "citation_topics", "audit_events", "documents", "sections", "claims",
          "resources", "evidence_links", "flags", "users")
MB = limits.MB
DB_FUZZ = settings(max_examples=scaled(12, 200), deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow, HealthCheck.data_too_large])


pytestmark = pytest.mark.usefixtures("quiet_bibtexparser")


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import or an ingest can touch. The command line's user is
    made first (see `cli`), so that making it is not taken for a change."""
    cli_user(engine)
    return helpers.snapshot(engine, TABLES)


def citation_count(engine: Engine) -> int:
    with db.reading(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Citation)) or 0)


_CLI_ENVIRONMENTS: dict[str, dict[str, str]] = {}


def cli_user(engine: Engine) -> dict[str, str]:
    """The environment of an editor's `tracker` command on `engine` (made once per database,
    with its token on PostgreSQL: `cli_env`)."""
    url = engine.url.render_as_string(hide_password=False)
    if url not in _CLI_ENVIRONMENTS:
        with db.writing(engine) as session:
            users.add_user(session, system_actor(session), "cli-editor", Role.EDITOR,
                           "password-1")
        _CLI_ENVIRONMENTS[url] = cli_env(engine, "cli-editor")
    return _CLI_ENVIRONMENTS[url]


def cli(engine: Engine, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=cli_user(engine))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


# --- one file of bad entries between good ones --------------------------------------------------


class BadFile:
    """BibTeX text built entry by entry, remembering where each entry starts."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line = 1
        self.expected: list[tuple[int, str, str | None, str]] = []  # line, key, field, words
        self.good: list[str] = []

    def add(self, text: str, *, key: str | None = None, field: str | None = None,
            words: str = "", good: str | None = None) -> None:
        if key is not None:
            self.expected.append((self.line, key, field, words))
        if good is not None:
            self.good.append(good)
        self.parts.append(text + "\n\n")
        self.line += text.count("\n") + 2

    @property
    def text(self) -> str:
        return "".join(self.parts)


CONTROL_TITLE = "Control \x01\x02\x1b[31m\x7f characters"
UNICODE_TITLE = "Étude 中文 \U0001f600 Ω"
LONG_KEY = "k" * (limits.MAX_KEY_CHARS + 1)
BAD = BadFile()
BAD.add("@article{good1, title={Ketamine for chronic pain}, author={Doe, Jane}, year={2019}}",
        good="good1")
BAD.add("@article{hugetitle, title={" + "x" * limits.MAX_FIELD_CHARS + "}}",
        key="hugetitle", field="title", words="a field may hold at most 200,000")
BAD.add("@article{tenmb,\n  title={" + "word " * 2_000_000 + "}}",
        key="tenmb", words="entry is 10,000,027 characters long")
BAD.add("@article{million, title={T}, author={" + " and ".join(["Roe, R."] * 1_000_000) + "}}",
        key="million", words="an entry may be at most 1,000,000")
BAD.add("@article{zipbomb, title={" + "{" * 100_000 + "x" + "}" * 100_000 + "}}",
        key="zipbomb", field="title", words="characters long")
BAD.add("@article{deep, title={" + "{" * limits.MAX_BRACE_DEPTH + "x" + "}" * 100 + "}}",
        key="deep", field="title", words="braces are nested more than 100 deep")
BAD.add("@article{nul, title={Not\x00text}}", key="nul", field="title", words="NUL")
BAD.add("@article{controls, title={" + CONTROL_TITLE + "}, year={2020}}", good="controls")
BAD.add("@string{a0 = {laugh}}\n" + "\n".join(f"@string{{a{n} = a{n - 1} # a{n - 1}}}"
                                               for n in range(1, 40)))
BAD.add("@misc{laughs, title = a39}", key="laughs", field="title", words="was refused")
BAD.add("@article{" + LONG_KEY + ", title={T}}", key=LONG_KEY[:79] + "…",
        words="citation key is 181 characters long")
BAD.add("@" + "t" * 33 + "{longtype, title={T}}", key="longtype", words="entry type")
BAD.add("@article{unicode, title={" + UNICODE_TITLE + "}}", good="unicode")
BAD.add("@article{good2, title={Another good one}, doi={10.1000/good2}}", good="good2")


def assert_reported(report: citations.ImportReport, source: str) -> None:
    found = {(p.line, p.key, p.field): p for p in report.problems if p.key is not None}
    for line, key, field, words in BAD.expected:
        problem = found.get((line, key, field))
        assert problem is not None, (line, key, field, sorted(found))
        assert problem.source == source and words in problem.message, problem


@pytest.mark.timeout(120)
def test_each_bad_entry_is_refused_with_its_line_and_field_and_the_rest_imports(
        shipped_engine: Engine) -> None:
    before = citation_count(shipped_engine)
    report = do_import(shipped_engine, ("bad.bib", BAD.text))
    assert report.written and sorted(report.added) == sorted(BAD.good)
    assert_reported(report, "bad.bib")
    assert citation_count(shipped_engine) == before + len(BAD.good)
    with db.reading(shipped_engine) as session:
        stored = {c.key: c for c in session.scalars(select(Citation).where(
            Citation.key.in_(BAD.good)))}
    assert stored["controls"].title == CONTROL_TITLE and stored["controls"].year == 2020
    assert stored["unicode"].title == UNICODE_TITLE


@pytest.mark.timeout(120)
def test_strict_and_dry_run_leave_the_database_exactly_as_it_was(shipped_engine: Engine) -> None:
    before = snapshot(shipped_engine)
    strict = do_import(shipped_engine, ("bad.bib", BAD.text), strict=True)
    assert not strict.written
    assert_reported(strict, "bad.bib")
    assert snapshot(shipped_engine) == before
    dry = do_import(shipped_engine, ("bad.bib", BAD.text), dry_run=True)
    assert not dry.written and sorted(dry.added) == sorted(BAD.good)
    assert snapshot(shipped_engine) == before


@pytest.mark.timeout(60)
def test_values_at_each_limit_are_stored_whole(engine: Engine) -> None:
    """The limits fit the columns: PostgreSQL would refuse a longer key or entry type."""
    key = "k" * limits.MAX_KEY_CHARS
    entry_type = "t" * limits.MAX_ENTRY_TYPE_CHARS
    title = "x" * (limits.MAX_FIELD_CHARS - 2)
    deep = "{" * (limits.MAX_BRACE_DEPTH - 1) + "Deep" + "}" * (limits.MAX_BRACE_DEPTH - 1)
    authors = " and ".join(f"Author{n}, A." for n in range(5000))
    text = (f"@{entry_type}{{{key}, title={{{title}}}, author={{{authors}}}}}\n"
            f"@article{{deep, title={{{deep}}}}}\n")
    report = do_import(engine, ("limits.bib", text), strict=True)
    assert report.written and sorted(report.added) == sorted([key, "deep"]), report.problems
    again = do_import(engine, ("other.bib", f"@article{{{key}, title={{Another work}}}}"))
    assert again.renamed == [(key, key + "-2")]
    with db.reading(engine) as session:
        stored = session.scalar(select(Citation).where(Citation.key == key))
        assert stored is not None and stored.entry_type == entry_type
        assert stored.title == title and len(stored.authors) == 5000
        assert session.scalar(select(Citation.title).where(Citation.key == "deep")) == "Deep"


def test_too_many_entries_in_one_import_is_refused_whole(
        shipped_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(citations, "MAX_IMPORT_ENTRIES", 5)
    before = snapshot(shipped_engine)
    three = "".join(f"@misc{{k{n}, title={{Work {n}}}}}\n" for n in range(3))
    with pytest.raises(InvalidInput, match=r"^second\.bib: the import holds more than 5 "
                                           r"entries \(6 so far\); import the files in"):
        do_import(shipped_engine, ("first.bib", three), ("second.bib", three.replace("k", "j")))
    assert snapshot(shipped_engine) == before


def test_pasted_text_over_the_limit_is_refused_whole(shipped_engine: Engine) -> None:
    before = snapshot(shipped_engine)
    with pytest.raises(InvalidInput, match=r"^pasted text: the text is 67,108,865 characters "
                                           r"long.*; the import is refused, nothing was "
                                           r"written$"):
        do_import(shipped_engine, ("pasted text", " " * (limits.MAX_BIB_TEXT_CHARS + 1)),
                  ("good.bib", "@misc{fine, title={Fine}}"))
    assert snapshot(shipped_engine) == before


def test_a_doi_or_pmid_held_by_another_citation_is_a_conflict_not_a_clash(engine: Engine
                                                                          ) -> None:
    do_import(engine, ("a.bib", "@article{one, title={One}, doi={10.1000/x}}\n"
                                "@article{two, title={Two}, pmid={123}}"))
    report = do_import(engine, ("b.bib", "@article{three, title={One}, doi={10.1000/x}, "
                                         "pmid={123}, volume={7}}"))
    [merge] = report.merged
    assert (merge.into, merge.filled) == ("one", ("volume",))
    assert merge.conflicts == (("pmid", "none (two has 123)", "123"),)
    with db.reading(engine) as session:
        one = session.scalar(select(Citation).where(Citation.key == "one"))
        assert one is not None and (one.pmid, one.volume) == (None, "7")


def test_a_source_path_longer_than_its_column_keeps_its_end(engine: Engine) -> None:
    name = "/".join(["d" * 200] * 6) + "/library.bib"
    do_import(engine, (name, "@misc{k, title={T}}"))
    with db.reading(engine) as session:
        stored = session.scalar(select(Citation.source_file))
    assert stored is not None and len(stored) == 1000 and stored.endswith("d/library.bib")


@pytest.mark.timeout(scaled(120, 3600))
@given(case=mutated_bib(), mode=st.sampled_from(["lenient", "strict", "dry-run"]))
@DB_FUZZ
def test_a_mutated_corpus_file_changes_the_database_by_exactly_what_the_report_says(
        shipped_engine: Engine, case: tuple[str, bytes], mode: str) -> None:
    name, data = case
    try:
        text, _ = bibtex.read_bib_bytes(data, name)
    except bibtex.BibFileError:
        return  # refused before the database is touched (tests/test_fuzz.py checks why)
    before = snapshot(shipped_engine)
    report = do_import(shipped_engine, (name, text), strict=mode == "strict",
                       dry_run=mode == "dry-run")
    after = snapshot(shipped_engine)
    if not report.written:
        assert after == before
        return
    assert len(after["citations"]) == len(before["citations"]) + len(report.added)
    wrote = bool(report.added or report.merged)
    assert len(after["audit_events"]) == len(before["audit_events"]) + wrote
    assert (after == before) == (not wrote)


# --- free text given to the write services ------------------------------------------------------


def test_free_text_over_its_limit_or_with_a_nul_is_refused_and_nothing_changes(
        shipped_engine: Engine) -> None:
    """Locators, notes, reasons, question titles: PostgreSQL refuses a locator over its column
    and any NUL, so the services refuse them first, naming the field."""
    with db.reading(shipped_engine) as session:
        claim = session.scalar(select(Claim.id).where(Claim.retired.is_(False)).order_by(Claim.id))
        linked = select(EvidenceLink.citation_id).where(EvidenceLink.claim_id == claim)
        citation = session.scalar(select(Citation.id).where(Citation.id.not_in(linked)))
        document = session.scalar(select(Document.id))
        flag = session.scalar(select(Flag.id).where(Flag.state == "open"))
    assert claim and citation and document and flag

    def link(locator: str = "", note: str = "") -> Callable[[Session, Actor], object]:
        return lambda session, actor: evidence.link_evidence(
            session, actor, claim, citation, Stance.SUPPORTS, locator=locator, note=note)

    refused: list[tuple[Callable[[Session, Actor], object], str]] = [
        (link(locator="p" * 501), "the locator is 501 characters long; at most 500 fit"),
        (link(note="n" * 10_001), "the note is 10,001 characters long; at most 10,000 fit"),
        (link(note="a\x00b"), "the note contains a NUL character"),
        (lambda session, actor: flags.raise_flag(session, actor, claim, FlagKind.OTHER,
                                                 "r" * 10_001), "the reason is 10,001"),
        (lambda session, actor: flags.close_flag(session, actor, flag, FlagState.RESOLVED,
                                                 "fixed\x00"), "the reason contains a NUL"),
        (lambda session, actor: questions.add_question(session, actor, document, "long",
                                                       "t" * 501), "the title is 501"),
        (lambda session, actor: citations.set_verification(session, actor, citation, True,
                                                           "seen\x00"), "the note contains"),
    ]
    before = snapshot(shipped_engine)
    for action, message in refused:
        with pytest.raises(InvalidInput, match=message), db.writing(shipped_engine) as session:
            action(session, system_actor(session))
    assert snapshot(shipped_engine) == before
    with db.writing(shipped_engine) as session:
        info = evidence.link_evidence(session, system_actor(session), claim, citation,
                                      Stance.SUPPORTS, locator="p" * 500)
    assert info.locator == "p" * 500


# --- the CLI -------------------------------------------------------------------------------------


def sparse_file(path: Path, size: int, start: bytes) -> Path:
    """A file of `size` bytes that takes no disk space or time to write."""
    with path.open("wb") as file:
        file.write(start)
        file.truncate(max(size, len(start)))
    return path


@pytest.mark.timeout(60)
def test_cli_refuses_a_100_mb_bib_file_before_reading_it(shipped_engine: Engine,
                                                         tmp_path: Path) -> None:
    big = sparse_file(tmp_path / "big.bib", 100 * MB, b"@misc{k, title={T}}\n")
    good = tmp_path / "good.bib"
    good.write_text("@misc{fine, title={Fine}}\n", encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(bibtex.BibFileError, match="is 104,857,600 bytes"):
            bibtex.read_bib_file(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MB  # refused from its size: the 100 MB were never read
    before = snapshot(shipped_engine)
    code, output = cli(shipped_engine, "import-bib", str(good), str(big))
    assert code == 2
    assert (f"error: {big}: is 104,857,600 bytes; a BibTeX file may be at most 67,108,864 "
            "bytes (64 MB) - split it into smaller files") in output
    assert snapshot(shipped_engine) == before


@pytest.mark.timeout(60)
def test_cli_reads_a_device_without_hanging(shipped_engine: Engine) -> None:
    code, output = cli(shipped_engine, "import-bib", "/dev/zero")
    assert code == 2 and "error: /dev/zero: is 67,108,865 bytes" in output


@pytest.mark.timeout(120)
def test_cli_import_names_file_line_key_and_field(shipped_engine: Engine, tmp_path: Path
                                                  ) -> None:
    """In UTF-8 a NUL byte makes the file binary (refused whole, naming the NUL's line); in
    UTF-16 it is a character, and only its entry is refused."""
    path = tmp_path / "bad.bib"
    path.write_text(BAD.text, encoding="utf-8")
    before = snapshot(shipped_engine)
    code, output = cli(shipped_engine, "import-bib", str(path))
    [nul_line] = [line for line, key, _, _ in BAD.expected if key == "nul"]
    assert code == 2 and (f"error: {path}: is a binary file (it contains NUL bytes, the first "
                          f"on line {nul_line}), not BibTeX text") in output
    assert snapshot(shipped_engine) == before
    path.write_text(BAD.text, encoding="utf-16")
    code, output = cli(shipped_engine, "import-bib", str(path), "--strict")
    assert code == 1 and "nothing imported (--strict)" in output
    for line, key, field, words in BAD.expected:
        located = ": ".join(str(part) for part in (path, line, key, field) if part)
        assert f"  {located}: " in output and words in output, located
    assert snapshot(shipped_engine) == before
    code, output = cli(shipped_engine, "import-bib", str(path), "--json")
    assert code == 0
    report = json.loads(output)
    assert sorted(report["added"]) == sorted(BAD.good)
    assert {(p["line"], p["key"], p["field"]) for p in report["problems"]} >= {
        (line, key, field) for line, key, field, _ in BAD.expected}


@pytest.mark.timeout(60)
def test_cli_import_of_utf16_with_nul_and_of_invalid_utf8(engine: Engine, tmp_path: Path
                                                          ) -> None:
    utf16 = tmp_path / "utf16.bib"
    utf16.write_bytes("@misc{ok, title={Fine}}\n@misc{nul,\n title={A\x00B}}\n".encode("utf-16"))
    code, output = cli(engine, "import-bib", str(utf16))
    assert code == 0 and f"  {utf16}: 2: nul: title: contains a NUL character" in output
    latin = tmp_path / "latin.bib"
    latin.write_bytes(b"@misc{latin, title={Caf\xe9 \xff\xfe \x81}}\n")
    code, output = cli(engine, "import-bib", str(latin))
    assert code == 2 and "its encoding is unclear: line 1: could be" in output, output
    code, output = cli(engine, "import-bib", str(latin), "--encoding", "latin-1")
    assert code == 0, output
    with db.reading(engine) as session:
        assert set(session.scalars(select(Citation.key))) == {"ok", "latin"}
        assert session.scalar(select(Citation.title).where(Citation.key == "latin")) == (
            "Café ÿþ \x81")


def test_the_dashboard_upload_limit_is_the_bibtex_file_limit() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * MB == limits.MAX_BIB_FILE_BYTES


# --- articles ------------------------------------------------------------------------------------

BAD_ARTICLES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("100 MB", lambda p: sparse_file(p / "big.txt", 100 * MB, b"Title\n\nIt is a drug.\n"),
     "the file is 104,857,600 bytes; an article may be at most 1,048,576 bytes (1 MB)"),
    ("empty", lambda p: sparse_file(p / "empty.txt", 0, b""), "the file is empty"),
    ("binary", lambda p: sparse_file(p / "png.txt", 64, b"\x89PNG\r\n\x1a\n\x00"),
     "looks like a binary file (NUL bytes), not a text article"),
    ("controls", lambda p: sparse_file(p / "c.txt", 0, b"T\n\n" + bytes(range(1, 32)) * 40),
     "looks like a binary file (control characters), not text"),
    ("invalid UTF-8", lambda p: sparse_file(p / "latin.txt", 0, b"Title\n\nCaf\xe9 is open."),
     "line 3: not UTF-8 text (byte 0xe9)"),
    ("NUL in UTF-16", lambda p: sparse_file(
        p / "u16.txt", 0, "Title\n\nKetamine is\x00 a drug.".encode("utf-16")),
     "line 3: contains a NUL character (U+0000)"),
    ("long heading", lambda p: sparse_file(
        p / "h.md", 0, b"# T\n\nKetamine is a drug.\n\n## " + b"x" * 300 + b"\n\nText here."),
     "line 5: a heading of 300 characters; a heading may have at most 250"),
    ("many claims", lambda p: sparse_file(
        p / "many.txt", 0, b"Title\n\n" + b"".join(b"Claim %d is here.\n" % n
                                                     for n in range(2001))),
     "the article has 2,001 claims; a document may have at most 2,000"),
    ("long resource", lambda p: sparse_file(
        p / "r.txt", 0, b"Title\n\nIt is a drug.\n\nAdditional Resources\n\n- " + b"B" * 1001),
     "line 7: the listed resource's title has 1,001 characters; at most 1,000"),
]


@pytest.mark.timeout(120)
def test_cli_ingest_refuses_bad_articles_with_a_reason(article_engine: Engine,
                                                       tmp_path: Path) -> None:
    before = snapshot(article_engine)
    for name, make, message in BAD_ARTICLES:
        path = make(tmp_path)
        code, output = cli(article_engine, "ingest", str(path))
        assert code == 2 and f"error: {path}: {message}" in output, (name, output)
    code, output = cli(article_engine, "ingest", "/dev/zero")
    assert code == 2 and "error: /dev/zero: the file is 1,048,577 bytes" in output
    assert snapshot(article_engine) == before


@pytest.mark.timeout(60)
def test_what_an_article_may_hold_fits_the_database(engine: Engine, tmp_path: Path) -> None:
    """Headings at their limit six deep, a 300-character FAQ question, a megabyte-long word
    and a resource title at its limit are stored whole on PostgreSQL too (section titles and
    paths, category rules and resource titles have fixed widths)."""
    lines = [f"{'#' * level} {level}" + "H" * (limits.MAX_HEADING_CHARS - 1)
             + "\n\nKetamine is used for pain here." for level in range(1, 6)]
    question = "Why " * 74 + "ketamine?"  # 305 characters: a question, not a heading
    text = "\n\n".join([*lines, "###### Frequently Asked Questions", question[:299] + "?",
                        "The drug is efficac" + "y" * 500_000 + " for pain.",
                        "## Additional Resources", "- " + "B" * limits.MAX_RESOURCE_TITLE_CHARS])
    folder = tmp_path / "/".join(["d" * 200] * 5)
    folder.mkdir(parents=True)
    path = folder / "article.md"
    path.write_text(text, encoding="utf-8")
    with db.writing(engine) as session:
        report = articles.ingest(session, system_actor(session), articles.read_article(path))
    assert report.created and report.resources == 1
    with db.reading(engine) as session:
        document = session.scalar(select(Document))
        assert document is not None and len(document.title) == limits.MAX_HEADING_CHARS
        assert len(document.source_path) == 1000 and document.source_path.endswith("article.md")
        assert max(len(k) for k in session.scalars(select(Section.path_key))) <= 2000
        assert len(set(session.scalars(select(Section.title)))) == 7
        assert max(len(r) for r in session.scalars(select(Claim.category_rule))) <= 200


def test_a_repeated_heading_or_resource_title_is_one_section_or_resource(
        engine: Engine, tmp_path: Path) -> None:
    """Found by the mutation test below: a repeated heading at the same place of the outline,
    or a repeated resource title, broke the sections' and resources' unique constraints."""
    path = tmp_path / "repeated.txt"
    path.write_text("Title\n\nRisks\n\nKetamine raises blood pressure.\n\nRisks\n\n"
                    "Ketamine can cause nausea.\n\nAdditional Resources\n\n- A book\n"
                    "- A book\n", encoding="utf-8")
    with db.writing(engine) as session:
        report = articles.ingest(session, system_actor(session), articles.read_article(path))
    assert (report.claims, report.sections, report.resources) == (2, 2, 1)
    with db.reading(engine) as session:
        assert sorted(session.scalars(select(Section.title))) == ["Additional Resources",
                                                                  "Risks"]


def test_a_slug_longer_than_its_column_or_with_a_nul_is_refused(article_engine: Engine) -> None:
    before = snapshot(article_engine)
    for slug, message in (("s" * 201, "the document slug is 201 characters long; at most 200"),
                          ("a\x00b", "the document slug contains a NUL character")):
        with pytest.raises(InvalidInput, match=message), db.writing(article_engine) as session:
            articles.ingest(session, system_actor(session), articles.read_article(ARTICLE),
                            slug=slug)
    assert snapshot(article_engine) == before


@pytest.mark.timeout(scaled(120, 3600))
@given(data=mutated_article(), suffix=st.sampled_from([".txt", ".md"]))
@DB_FUZZ
def test_a_mutated_article_is_ingested_or_refused_and_then_nothing_changed(
        article_engine: Engine, tmp_path_factory: pytest.TempPathFactory, data: bytes,
        suffix: str) -> None:
    path = tmp_path_factory.mktemp("article") / f"article{suffix}"
    path.write_bytes(data)
    before = snapshot(article_engine)
    try:
        with db.writing(article_engine) as session:
            report = articles.ingest(session, system_actor(session), articles.read_article(path))
    except (InvalidInput, Conflict) as error:  # Conflict: too unlike the tracked article
        assert str(error).startswith(str(path))  # to be taken for its revision
        assert snapshot(article_engine) == before
        return
    assert report.claims > 0
    assert (snapshot(article_engine) == before) == report.unchanged


# --- review and questions files (issue 12) -----------------------------------------------------


@pytest.mark.parametrize("command", ["load", "questions"])
def test_review_files_are_read_through_the_bounded_reader(
        shipped_engine: Engine, tmp_path: Path, command: str) -> None:
    before = snapshot(shipped_engine)
    tracemalloc.start()
    try:
        code, output = cli(shipped_engine, "review", command, "/dev/zero")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2 and output.strip() == (
        f"error: /dev/zero: is {limits.MAX_REVIEW_FILE_BYTES + 1:,} bytes or more; a review "
        f"file may be at most {limits.MAX_REVIEW_FILE_BYTES:,} bytes")
    assert peak < 4 * limits.MAX_REVIEW_FILE_BYTES
    code, output = cli(shipped_engine, "review", command, str(tmp_path))
    assert code == 2 and output.strip() == f"error: {tmp_path}: is a directory, not a review file"
    code, output = cli(shipped_engine, "review", command, str(tmp_path / "missing.toml"))
    assert code == 2 and "no such file" in output
    assert snapshot(shipped_engine) == before
