"""Ingesting the shipped article and revisions of it, through the service layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.conftest import ARTICLE, SEED
from tracker import db, queries
from tracker.errors import Conflict, InvalidInput, PermissionDenied
from tracker.models import AuditEvent, Claim, Resource
from tracker.services import articles
from tracker.services.access import Actor
from tracker.vocabulary import Role

SLUG = "ketamine-therapy-for-pain-management"


def _ingest(engine: Engine, actor: Actor, path: Path, slug: str | None = SLUG
            ) -> articles.IngestReport:
    with db.writing(engine) as session:
        return articles.ingest(session, actor, articles.read_article(path), slug=slug)


def _audit_count(engine: Engine) -> int:
    with db.reading(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_shipped_article_is_loaded_as_sections_claims_and_resources(
        article_engine: Engine) -> None:
    with db.reading(article_engine) as session:
        [doc] = queries.documents(session)
        assert doc.slug == SLUG
        assert doc.title == "ketamine therapy for pain management"
        assert (doc.claims, doc.resources) == (63, 9)
        tops = [s.title for s in queries.sections(session, doc.id) if s.level == 1]
        assert tops == [
            "Understanding Ketamine and Its Role in Pain Relief",
            "Administration Methods of Ketamine Therapy",
            "Conditions Treated with Ketamine Therapy",
            "Benefits of Ketamine Therapy for Pain Management",
            "Risks and Side Effects Associated with Ketamine",
            "Clinical Evidence and Research Findings",
            "Future Directions in Ketamine Pain Therapy",
            "Frequently Asked Questions",
            "Additional Resources",
        ]
        resources = session.scalars(select(Resource.title).order_by(Resource.ordinal)).all()
        assert resources[0] == "Ketamine for Chronic Pain: Mechanisms and Clinical Applications"
        faq = queries.claims(session, queries.ClaimFilter(
            document_id=doc.id, section="Frequently Asked Questions"))
        restating = [c for c in faq if c.restates is not None]
        assert len(restating) >= 5


def test_reingesting_the_same_file_changes_nothing(
        article_engine: Engine, make_actor: Callable[[Engine, Role], Actor]) -> None:
    editor = make_actor(article_engine, Role.EDITOR)
    before = _audit_count(article_engine)
    report = _ingest(article_engine, editor, ARTICLE)
    assert report.unchanged and report.claims == 63
    assert _audit_count(article_engine) == before


def test_a_revised_article_keeps_identity_adds_and_retires(
        article_engine: Engine, make_actor: Callable[[Engine, Role], Actor],
        tmp_path: Path) -> None:
    editor = make_actor(article_engine, Role.EDITOR)
    with db.reading(article_engine) as session:
        old = {c.text: c.id for c in queries.claims(session)}
    text = ARTICLE.read_text(encoding="utf-8")
    onset = "typically within minutes when administered intravenously or intranasally"
    removed = "Careful screening and ongoing assessment are essential to minimize risks."
    new_sentence = "Ketamine is listed on the WHO Model List of Essential Medicines."
    revised = (text.replace(onset, "typically within a few minutes when given intravenously "
                            "or intranasally")
               .replace(removed, new_sentence))
    copy = tmp_path / "revised.txt"
    copy.write_text(revised, encoding="utf-8")

    report = _ingest(article_engine, editor, copy)
    assert (report.kept, report.edited, report.added, report.retired) == (61, 1, 1, 1)

    with db.reading(article_engine) as session:
        live = {c.text: c for c in queries.claims(session)}
        edited = next(c for t, c in live.items() if "within a few minutes" in t)
        assert edited.id == next(i for t, i in old.items() if onset in t)
        assert live[new_sentence].id not in old.values()
        gone = session.scalar(select(Claim).where(Claim.id == old[removed]))
        assert gone is not None and gone.retired and gone.retired_at is not None
        assert removed not in live
        unchanged = next(c for t, c in live.items() if t.startswith("Ketamine blocks NMDA"))
        assert unchanged.id == old[unchanged.text]
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert {"claim.revise", "claim.retire", "document.revise"} <= set(actions)

    # and going back to the original restores nothing twice: the retired claim stays retired,
    # the original sentence is added again as a new claim
    again = _ingest(article_engine, editor, ARTICLE)
    assert again.edited == 1 and again.retired == 1 and again.added == 1


def test_only_editors_ingest(article_engine: Engine,
                             make_actor: Callable[[Engine, Role], Actor]) -> None:
    reviewer = make_actor(article_engine, Role.REVIEWER)
    with pytest.raises(PermissionDenied, match="reviewer; ingesting an article needs the editor"):
        _ingest(article_engine, reviewer, ARTICLE)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"   \n\n  ", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("Ketamine in the café is déjà vu.".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(tmp_path: Path, content: bytes,
                                                    message: str) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        articles.read_article(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        articles.read_article(tmp_path / "nope.txt")


def test_markdown_article(engine: Engine, make_actor: Callable[[Engine, Role], Actor],
                          tmp_path: Path) -> None:
    editor = make_actor(engine, Role.EDITOR)
    path = tmp_path / "note.md"
    path.write_text(
        "# Caffeine and sleep\n\nCaffeine is an adenosine receptor antagonist.\n\n"
        "## Timing\n\nIts half-life in adults is about five hours.\n", encoding="utf-8")
    report = _ingest(engine, editor, path, slug=None)
    assert report.slug == "caffeine-and-sleep" and report.claims == 2
    with db.reading(engine) as session:
        rows = queries.claims(session, queries.ClaimFilter(document_id=report.document_id))
        assert [r.section for r in rows] == [[], ["Timing"]]


# --- identities of articles in any script (issue 12) -------------------------------------------

ARABIC = ("# العلاج بالكيتامين للألم\n\n"
          "الكيتامين دواء مخدر يستخدم في العمليات الجراحية منذ عقود.\n")
HEBREW = ("# טיפול בקטמין לכאב\n\n"
          "קטמין הוא תרופת הרדמה המשמשת בניתוחים כבר עשרות שנים.\n")


def test_slugs_are_meaningful_and_distinct_in_any_script() -> None:
    assert articles.slugify("Étude de la kétamine") == "etude-de-la-ketamine"
    assert articles.slugify("Schmerztherapie: Straße zur Heilung") == \
        "schmerztherapie-strasse-zur-heilung"
    arabic, hebrew = (articles.slugify(t) for t in ("العلاج بالكيتامين", "טיפול בקטמין"))
    assert arabic != hebrew and arabic.startswith("document-") and len(arabic) == 19
    mixed = articles.slugify("Ketamine и боль")
    assert mixed.startswith("ketamine-") and mixed != articles.slugify("Ketamine и стресс")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_article_in_another_script_is_never_taken_for_a_revision(
        engine: Engine, make_actor: Callable[[Engine, Role], Actor], tmp_path: Path) -> None:
    editor = make_actor(engine, Role.EDITOR)
    first = _ingest(engine, editor, _write(tmp_path, "ar.md", ARABIC), slug=None)
    second = _ingest(engine, editor, _write(tmp_path, "he.md", HEBREW), slug=None)
    assert first.created and second.created and first.slug != second.slug
    with db.reading(engine) as session:
        assert session.scalar(select(func.count()).select_from(Claim).where(
            Claim.retired.is_(True))) == 0


def test_a_different_article_under_a_tracked_slug_is_refused(
        article_engine: Engine, make_actor: Callable[[Engine, Role], Actor],
        tmp_path: Path) -> None:
    editor = make_actor(article_engine, Role.EDITOR)
    other = _write(tmp_path, "other.md", "# ketamine therapy for pain management\n\n"
                   "Aspirin inhibits cyclooxygenase enzymes in platelets.\n"
                   "Paracetamol is widely used for fever in children.\n")
    before = _audit_count(article_engine)
    with pytest.raises(Conflict, match=(
            r"other.md: the tracked document 'ketamine-therapy-for-pain-management' has this "
            r"slug, but only 0 of its 63 claims are in this text \(2 claims\).*Pass --slug "
            r"NEW-SLUG .* or --revision-of ketamine-therapy-for-pain-management")):
        _ingest(article_engine, editor, other, slug=None)
    assert _audit_count(article_engine) == before
    separate = _ingest(article_engine, editor, other, slug="aspirin-and-paracetamol")
    assert separate.created
    revised = ARTICLE.read_text(encoding="utf-8").replace("Ketamine blocks", "Ketamine inhibits")
    assert _ingest(article_engine, editor, _write(tmp_path, "rev.txt", revised), slug=None
                   ).edited == 1, "a real revision still needs no option"
    with db.writing(article_engine) as session:
        forced = articles.ingest(session, editor, articles.read_article(other),
                                 revision_of=SLUG)
    assert (forced.slug, forced.retired) == (SLUG, 63)


def test_bootstrap_loads_the_example_articles_only_when_asked(
        engine: Engine, blank_engine: Engine) -> None:
    """`tracker bootstrap` tracks the seed article (reviewed); `--examples` adds the articles
    of references/examples/, tracked and not reviewed."""
    from tracker.services.setup import EXAMPLES_DIR, REFERENCES, bootstrap

    bootstrap(engine)
    with db.reading(engine) as session:
        assert [d.slug for d in queries.documents(session)] == [SEED]
    examples = sorted((REFERENCES / EXAMPLES_DIR).glob("*.md"))
    assert len(examples) >= 2
    bootstrap(blank_engine, examples=True)
    with db.reading(blank_engine) as session:
        docs = queries.documents(session)
        waiting = {d.slug: queries.coverage(session, d.id).by_status["not-reviewed"]
                   for d in docs}
    assert len(docs) == 1 + len(examples)
    assert all(waiting[d.slug] == d.claims for d in docs if d.slug != SEED)
