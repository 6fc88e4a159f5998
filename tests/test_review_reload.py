"""`tracker review load`, run again after people worked: what is new in the file is applied,
what the file no longer lists is withdrawn, and what editors changed since — an unlinked link,
a resolved flag, an edited link, a removed "to check" candidate — stays as they left it, each
one reported with why. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select
from typer.testing import CliRunner

from tests.conftest import ROOT, cli_env
from tracker import bibtex, db, queries
from tracker.cli import app
from tracker.models import Citation, EvidenceLink, Flag, ReviewItem
from tracker.services import citations, evidence, flags, review
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import FlagState, Role

MakeActor = Callable[[Engine, Role], Actor]
HEAD = '''format_version = 2
document = "ketamine-therapy-for-pain-management"
'''
MECHANISM = "lies in its ability to modulate the N-methyl-D-aspartate (NMDA) receptors"
ORAL = "lower bioavailability compared to IV and intranasal routes"
SAFE = "generally considered safe"


@pytest.fixture
def library(article_engine: Engine) -> Engine:
    text, _ = bibtex.read_bib_file(ROOT / "references" / "library.bib")
    with db.writing(article_engine) as session:
        citations.import_bibtex(session, system_actor(session), [("library.bib", text)])
    return article_engine


def keys(engine: Engine) -> tuple[str, str, str]:
    """Two verified keys and one unverified, whatever the library's current verdicts."""
    with db.reading(engine) as session:
        verified = session.scalars(select(Citation.key).where(
            Citation.verified.is_(True)).order_by(Citation.key).limit(2)).all()
        unverified = session.scalar(select(Citation.key).where(
            Citation.verified.is_(False)).order_by(Citation.key).limit(1))
    assert len(verified) == 2 and unverified is not None
    return verified[0], verified[1], unverified


def link_block(claim: str, key: str, note: str) -> str:
    return f'''
[[link]]
claim = "{claim}"
citation = "{key}"
stance = "supports"
rationale = "{note}"
'''


def write(tmp_path: Path, name: str, *blocks: str) -> Path:
    path = tmp_path / name
    path.write_text(HEAD + "".join(blocks), encoding="utf-8")
    return path


def load(engine: Engine, actor: Actor, path: Path) -> review.LoadReport:
    with db.writing(engine) as session:
        return review.load_review(session, actor, review.read_review(path))


def link_of(engine: Engine, fragment: str, key: str) -> EvidenceLink | None:
    with db.reading(engine) as session:
        [claim] = [c.id for c in queries.claims(session) if fragment in c.text and not c.parent]
        return session.scalar(select(EvidenceLink).join(Citation).where(
            EvidenceLink.claim_id == claim, Citation.key == key))


def test_a_second_load_of_the_same_file_changes_nothing(library: Engine,
                                                        make_actor: MakeActor,
                                                        tmp_path: Path) -> None:
    editor = make_actor(library, Role.EDITOR)
    first, second, unverified = keys(library)
    path = write(tmp_path, "a.toml", link_block(MECHANISM, first, "one"),
                 link_block(ORAL, second, "two"),
                 f'\n[[flag]]\nclaim = "{SAFE}"\nkind = "overstated"\nreason = "r"\n',
                 f'\n[[to_check]]\nclaim = "{ORAL}"\ncitation = "{unverified}"\nnote = "n"\n')
    loaded = load(library, editor, path)
    assert (loaded.links_added, loaded.flags_raised, loaded.to_check) == (2, 1, 1)
    again = load(library, editor, path)
    assert (again.links_added, again.links_unchanged, again.flags_raised, again.to_check,
            again.skipped, again.withdrawn) == (0, 2, 0, 0, [], [])


def test_what_editors_changed_since_stays_and_is_reported(library: Engine,
                                                          make_actor: MakeActor,
                                                          tmp_path: Path) -> None:
    reviewer, editor = make_actor(library, Role.EDITOR), make_actor(library, Role.EDITOR)
    first, second, unverified = keys(library)
    path = write(tmp_path, "a.toml", link_block(MECHANISM, first, "one"),
                 link_block(ORAL, second, "two"),
                 f'\n[[flag]]\nclaim = "{SAFE}"\nkind = "overstated"\nreason = "r"\n',
                 f'\n[[to_check]]\nclaim = "{ORAL}"\ncitation = "{unverified}"\nnote = "n"\n')
    load(library, reviewer, path)
    removed, edited = link_of(library, MECHANISM, first), link_of(library, ORAL, second)
    candidate = link_of(library, ORAL, unverified)
    assert removed and edited and candidate
    with db.writing(library) as session:
        evidence.unlink(session, editor, removed.id)
        evidence.unlink(session, editor, candidate.id)
        evidence.update_link(session, editor, edited.id, note="the editor's note")
        flag = session.scalars(select(Flag).where(Flag.kind == "overstated")).one()
        flags.close_flag(session, editor, flag.id, FlagState.RESOLVED, "reworded")
    again = load(library, reviewer, path)
    assert (again.links_added, again.flags_raised, again.to_check) == (0, 0, 0)
    assert link_of(library, MECHANISM, first) is None  # an unlinked link does not come back
    assert link_of(library, ORAL, unverified) is None  # nor a removed candidate
    assert link_of(library, ORAL, second).note == "the editor's note"  # type: ignore[union-attr]
    with db.reading(library) as session:
        assert session.scalars(select(Flag.state).where(Flag.kind == "overstated")).all() \
            == ["resolved"]  # a resolved flag is not raised again
    skipped = "\n".join(again.skipped)
    assert f"link {first} on claim #{removed.claim_id}: removed since the review loaded it" \
        in skipped
    assert f"link {second} on claim #{edited.claim_id}: changed since the review loaded it " \
        f"(last by {editor.username})" in skipped
    assert f"to-check {unverified} on claim #{candidate.claim_id}: removed since" in skipped
    assert f"overstated flag on claim #{flag.claim_id}: resolved by {editor.username}" in skipped


def test_what_the_file_no_longer_lists_is_withdrawn_unless_someone_changed_it(
        library: Engine, make_actor: MakeActor, tmp_path: Path) -> None:
    reviewer, editor = make_actor(library, Role.EDITOR), make_actor(library, Role.EDITOR)
    first, second, unverified = keys(library)
    full = write(tmp_path, "a.toml", link_block(MECHANISM, first, "one"),
                 link_block(ORAL, second, "two"),
                 f'\n[[flag]]\nclaim = "{SAFE}"\nkind = "overstated"\nreason = "r"\n',
                 f'\n[[to_check]]\nclaim = "{ORAL}"\ncitation = "{unverified}"\nnote = "n"\n')
    load(library, reviewer, full)
    edited = link_of(library, ORAL, second)
    assert edited is not None
    with db.writing(library) as session:
        evidence.update_link(session, editor, edited.id, note="kept by the editor")
    empty = write(tmp_path, "b.toml")
    withdrawn = load(library, reviewer, empty)
    assert link_of(library, MECHANISM, first) is None
    assert link_of(library, ORAL, unverified) is None
    assert link_of(library, ORAL, second).note == "kept by the editor"  # type: ignore[union-attr]
    with db.reading(library) as session:
        assert session.scalars(select(Flag.state).where(Flag.kind == "overstated")).all() \
            == ["dismissed"]
    assert len(withdrawn.withdrawn) == 3, withdrawn.withdrawn
    assert any(f"link {second}" in s and "no longer in the file, but changed since" in s
               for s in withdrawn.skipped)
    # a later file that lists them again adds them again (the file withdrew them, not a person)
    back = load(library, reviewer, full)
    assert (back.links_added, back.to_check) == (1, 1)
    assert link_of(library, MECHANISM, first) is not None
    assert load(library, reviewer, empty).withdrawn  # and withdraws them again


def test_a_link_removed_before_the_ledger_knew_it_is_not_added_again(
        library: Engine, make_actor: MakeActor, tmp_path: Path) -> None:
    """A database whose review was loaded before `review_items` existed: the audit log shows
    who removed the link, and the load leaves it removed."""
    reviewer, editor = make_actor(library, Role.EDITOR), make_actor(library, Role.EDITOR)
    first, second, _ = keys(library)
    path = write(tmp_path, "a.toml", link_block(MECHANISM, first, "one"))
    load(library, reviewer, path)
    removed = link_of(library, MECHANISM, first)
    assert removed is not None
    with db.writing(library) as session:
        session.execute(delete(ReviewItem))
        evidence.unlink(session, editor, removed.id)
    again = load(library, reviewer, path)
    assert again.links_added == 0 and link_of(library, MECHANISM, first) is None
    assert any(f"link {first}" in s and f"removed by {editor.username} on " in s
               and "(audit log)" in s for s in again.skipped), again.skipped


def test_the_command_line_reports_skipped_and_withdrawn(library: Engine, make_actor: MakeActor,
                                                        tmp_path: Path) -> None:
    reviewer = make_actor(library, Role.EDITOR)
    first, _, _ = keys(library)
    runner = CliRunner()
    full = write(tmp_path, "a.toml", link_block(MECHANISM, first, "one"))
    empty = write(tmp_path, "b.toml")
    env = cli_env(library, reviewer.username)
    assert runner.invoke(app, ["review", "load", str(full)], env=env).exit_code == 0
    result = runner.invoke(app, ["review", "load", str(empty)], env=env)
    assert result.exit_code == 0, result.output
    assert "1 withdrawn" in result.output
    assert f"withdrawn: link {first} on claim #" in result.output


def test_a_file_that_links_or_appraises_a_study_twice_is_refused_whole(
        library: Engine, make_actor: MakeActor, tmp_path: Path) -> None:
    reviewer = make_actor(library, Role.EDITOR)
    first, _, _ = keys(library)
    twice = write(tmp_path, "a.toml", link_block(MECHANISM, first, "one"),
                  link_block(MECHANISM, first, "again"))
    with pytest.raises(review.ReviewFileError, match="linked to the same claim twice"):
        load(library, reviewer, twice)
    assert link_of(library, MECHANISM, first) is None  # nothing half-written


def test_a_to_check_study_verified_in_this_database_is_skipped_and_reported(
        library: Engine, make_actor: MakeActor, tmp_path: Path) -> None:
    """A database whose library says an entry is verified, and a newer review file that lists
    it to check (the entry could not be confirmed on an authoritative record): the load goes
    on, the study is not listed, and the report says why."""
    reviewer = make_actor(library, Role.EDITOR)
    first, _, _ = keys(library)
    path = write(tmp_path, "a.toml",
                 f'\n[[to_check]]\nclaim = "{ORAL}"\ncitation = "{first}"\nnote = "n"\n')
    loaded = load(library, reviewer, path)
    assert loaded.to_check == 0 and link_of(library, ORAL, first) is None
    assert any(f"to-check {first}" in s and "verified in this database" in s
               for s in loaded.skipped), loaded.skipped
