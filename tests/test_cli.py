"""The `tracker` command line, run through Typer's CliRunner against real databases."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import DataError
from typer.testing import CliRunner

from tests.conftest import ARTICLE, cli_env
from tracker import db, queries
from tracker.cli import app
from tracker.cli.options import JUDGEMENT_OPTIONS
from tracker.grading import Judgements
from tracker.models import Citation
from tracker.services import users
from tracker.services.access import system_actor
from tracker.vocabulary import Role

runner = CliRunner()


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


EDITOR = "ed"  # the editor the `run` fixture acts as by default


@pytest.fixture
def run(article_engine: Engine) -> Callable[..., Any]:
    """Run `tracker ARGS` on the article database as `user` (default: an editor; on
    PostgreSQL with a token, see `cli_env`); returns the result."""
    with db.writing(article_engine) as session:
        users.add_user(session, system_actor(session), EDITOR, Role.EDITOR, "password-1")

    def invoke(*args: str, engine: Engine = article_engine, user: str | None = EDITOR,
               **options: Any) -> Any:
        return runner.invoke(app, list(args), env=cli_env(engine, user), **options)

    return invoke


def test_claims_json_gives_every_checkable_sentence_in_its_section(run: Any) -> None:
    result = run("claims", "--json")
    assert result.exit_code == 0, result.output
    claims = json.loads(result.output)
    assert len(claims) == 63
    for claim in claims:
        assert {"id", "document", "section", "text", "category", "status", "certainty",
                "explanation", "open_flags"} <= set(claim)
    by_text = {c["text"]: c for c in claims}
    joined = ("Oral and sublingual ketamine formulations are also used, though they have lower "
              "bioavailability compared to IV and intranasal routes.")
    assert by_text[joined]["section"] == ["Administration Methods of Ketamine Therapy",
                                          "Oral and Sublingual Routes"]
    intro = claims[0]
    assert intro["section"] == [] and intro["text"].startswith("ketamine therapy for pain")
    faq = [c for c in claims if c["section"][:1] == ["Frequently Asked Questions"]]
    assert len(faq) == 9
    assert faq[0]["section"][1] == "What is ketamine therapy for pain management?"
    texts = " ".join(by_text)
    for absent in ("This article explores", "The following sections", "http", "Back to Home",
                   "Find other PDF", "How long does the pain relief"):
        assert absent not in texts
    # the article cites nothing: every claim starts not reviewed, with the reason
    assert {c["status"] for c in claims} == {"not-reviewed"}
    assert all(c["explanation"] == "not-reviewed: nobody has linked evidence or recorded "
               "a search" and c["certainty"] is None for c in claims)
    assert {c["track"] for c in claims} == {"effect", "descriptive"}


def test_claims_filters(run: Any) -> None:
    section = run("claims", "--json", "--section", "Mechanism of Action")
    rows = json.loads(section.output)
    assert [r["text"][:28] for r in rows] == [
        "Ketamine blocks NMDA recepto", "By inhibiting these receptor",
        "Additionally, ketamine influ"]
    top = json.loads(run("claims", "--json", "--section",
                         "Understanding Ketamine and Its Role in Pain Relief").output)
    assert len(top) == 10
    contra = json.loads(run("claims", "--json", "--category", "contraindication").output)
    assert {r["category"] for r in contra} == {"contraindication"} and len(contra) >= 2


def test_documents_sections_and_claim_show(run: Any) -> None:
    docs = json.loads(run("documents", "--json").output)
    assert docs[0]["slug"] == "ketamine-therapy-for-pain-management" and docs[0]["claims"] == 63
    tree = run("sections").output
    assert "# Understanding Ketamine and Its Role in Pain Relief" in tree
    assert "  ? What is ketamine therapy for pain management?" in tree
    shown = json.loads(run("claim", "show", "9", "--json").output)
    assert shown["claim"]["id"] == 9
    assert shown["claim"]["text"].startswith("Ketamine blocks NMDA receptors")
    assert shown["requirement"].startswith("at least 1 supporting")
    assert shown["evidence"] == [] and shown["history"] == []


def test_coverage_json_on_the_fresh_database_reports_every_claim_not_reviewed(run: Any) -> None:
    coverage = json.loads(run("coverage", "--json").output)
    assert coverage["coverage"]["claims"] == 63
    assert coverage["coverage"]["by_status"]["not-reviewed"] == 63
    assert all(c["status"] == "not-reviewed" and c["explanation"] for c in coverage["claims"])
    queue = json.loads(run("queue", "--json").output)
    assert len(queue) == 63


def test_ingest_again_changes_nothing_and_init_is_idempotent(run: Any) -> None:
    assert run("init").exit_code == 0
    assert run("init").exit_code == 0
    again = run("ingest", str(ARTICLE))
    assert again.exit_code == 0 and "unchanged (63 claims)" in again.output
    again = run("bootstrap", user=None)
    assert "nothing loaded" in again.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "no such file"), (b"", "the file is empty"),
     (b"\x00\x01\x02binary", "binary file"), (b"caf\xe9 au lait.", "not UTF-8")],
)
def test_ingest_errors_are_one_line_without_traceback(
        run: Any, tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "in.txt"
    if content is not None:
        path.write_bytes(content)
    result = run("ingest", str(path))
    assert result.exit_code != 0
    assert expected in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["claims"], env={"TRACKER_DATABASE_URL": "nonsense://x"})
    assert result.exit_code != 0
    assert "bad database URL" in result.output and "Traceback" not in result.output
    (tmp_path / "new.db").touch()  # a file, but not a tracker database
    uninitialised = runner.invoke(
        app, ["claims"], env={"TRACKER_DATABASE_URL": f"sqlite:///{tmp_path}/new.db"})
    assert uninitialised.exit_code != 0
    assert "not initialised" in uninitialised.output


def test_writes_need_a_named_user(run: Any) -> None:
    result = run("ingest", str(ARTICLE), user=None)
    assert result.exit_code != 0 and "--as USER or TRACKER_USER" in result.output


def test_users_first_admin_then_roles(run: Any) -> None:
    first = run("users", "add", "ada", "--role", "admin", "--password", "correct-horse",
                user=None)
    assert first.exit_code == 0, first.output
    second = run("users", "add", "bob", "--role", "viewer", "--password", "battery-staple",
                 user=None)
    assert second.exit_code != 0 and "acting admin" in second.output
    ok = run("users", "add", "bob", "--role", "viewer", "--password", "battery-staple",
             user="ada")
    assert ok.exit_code == 0
    assert run("users", "set-role", "bob", "reviewer", user="ada").exit_code == 0
    listed = json.loads(run("users", "list", "--json").output)
    assert {(u["username"], u["role"]) for u in listed} >= {("ada", "admin"), ("bob", "reviewer")}
    denied = run("users", "set-role", "ada", "viewer", user="bob")
    assert denied.exit_code != 0 and "needs the admin role" in denied.output


# --- one-line errors, search, wording (issue 12) ---------------------------------------------


@pytest.mark.parametrize("args", [
    ("link", "30", "schwartzman2009", "--stance", "support"),
    ("claim", "show", "abc"),
    ("frobnicate",),
    ("claim", "show", "99999999999999999999"),
    ("unlink", "-5"),
    ("citations", "list", "--limit", "-1"),
    ("citations", "search", "ketamine", "--limit", "0"),
    ("history", "--limit", "-3"),
])
def test_usage_errors_are_one_line_with_exit_2(run: Any, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output and "╭" not in result.output


def test_help_shows_no_placeholder_types(run: Any) -> None:
    for args in (("--help",), ("link", "--help"), ("users", "--help")):
        result = run(*args)
        assert result.exit_code == 0 and "Usage:" in result.output
        assert "<bool>" not in result.output and "╭" not in result.output


def test_link_and_judge_offer_each_grade_judgement_of_a_link(run: Any) -> None:
    """The judgement options are written once (`tracker.cli.options`): one per field of
    `grading.Judgements`, the same in `link` and `judge`."""
    names = [field.name.replace("_", "-") for field in dataclasses.fields(Judgements)]
    for command in ("link", "judge"):
        shown = run(command, "--help").output
        assert all(f"--{name}" in shown for name in names), (command, shown)
    assert [f.name for f in dataclasses.fields(Judgements)] == list(JUDGEMENT_OPTIONS)


def test_search_matches_each_word_separately_and_literally(
        shipped_engine: Engine, run: Any) -> None:
    both = json.loads(run("citations", "search", "ketamine", "crps", "--json",
                          engine=shipped_engine, user=None).output)
    assert both, "the shipped library has ketamine studies on CRPS"
    only_ketamine = json.loads(run("citations", "search", "ketamine", "--json", "--limit",
                                   "1000", engine=shipped_engine, user=None).output)
    assert {r["key"] for r in both} < {r["key"] for r in only_ketamine}, "every word counts"
    with db.reading(shipped_engine) as session:
        for row in both:  # each word in the citation's text (CRPS: its synonyms too)
            c = session.scalar(select(Citation).where(Citation.key == row["key"]))
            assert c is not None
            text = " ".join([c.key, c.title, c.authors_text, c.abstract or "",
                             " ".join(c.keywords), str(c.extra.get("finding", ""))]).lower()
            assert "ketamine" in text
            assert "crps" in text or "complex regional pain" in text
    everything = json.loads(run("citations", "list", "--limit", "1000", "--json",
                                engine=shipped_engine, user=None).output)
    for wildcard in ("%", "_"):
        found = json.loads(run("citations", "search", wildcard, "--json", "--limit", "1000",
                               engine=shipped_engine, user=None).output)
        assert len(found) < len(everything)
        assert all(wildcard in f"{r['key']}{r['title']}{r['authors']}{r['doi'] or ''}"
                   for r in found)


def test_counts_are_singular_and_an_empty_note_has_no_dash(run: Any, tmp_path: Path) -> None:
    tree = run("sections").output
    assert "(1 claims)" not in tree and "(1 claim)" in tree
    bib = tmp_path / "one.bib"
    bib.write_text("@article{plain2020, title={A plain trial}, author={Doe, J}, year={2020}}\n",
                   encoding="utf-8")
    assert run("import-bib", str(bib)).exit_code == 0
    shown = run("citations", "show", "plain2020").output
    assert "verified: no\n" in shown and "— \n" not in shown


def test_database_errors_print_the_first_line_only(
        article_engine: Engine, run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with article_engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE claims RENAME COLUMN text TO wording")
    renamed = run("claims")
    assert renamed.exit_code == 7
    assert len(renamed.output.strip().splitlines()) == 1, renamed.output
    assert "SELECT" not in renamed.output and "[SQL" not in renamed.output

    def fails(*_args: Any, **_kwargs: Any) -> None:
        raise DataError("SELECT count(*)\nFROM citations\nLIMIT %(x)s", {"x": 1},
                        Exception("bigint out of range\nLINE 3: LIMIT 99999"))

    monkeypatch.setattr(queries, "documents", fails)
    generic = run("documents")
    assert generic.exit_code == 7
    assert generic.output.strip() == "error: database error: DataError: bigint out of range"


def test_export_to_a_directory_or_a_missing_folder_is_one_line(run: Any, tmp_path: Path) -> None:
    folder = run("export", "csv", "-o", str(tmp_path))
    assert folder.exit_code == 2
    assert folder.output.strip() == f"error: {tmp_path} is a directory; name the file to write"
    nowhere = tmp_path / "missing" / "out.csv"
    missing = run("export", "csv", "-o", str(nowhere))
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1
    assert missing.output.startswith(f"error: {nowhere}: cannot write it (")
