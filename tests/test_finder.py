"""The evidence finder and the full-text index: query terms (stop words, synonyms, phrases),
ranking on small fixed texts, the index kept in step by every writer and by a restore, the
citation search on it, suggestions for a claim, and `tracker suggest` — on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Text, delete, func, inspect, select, text
from typer.testing import CliRunner

from tests.conftest import scaled
from tracker import backup, db, finder, queries
from tracker.cli import app
from tracker.errors import InvalidInput, NotFound
from tracker.finder import index, ranking, terms
from tracker.finder.ranking import Study
from tracker.finder.terms import claim_concepts, search_terms
from tracker.models import AuditEvent, Citation, CitationTopic, Claim, EvidenceLink
from tracker.revision import revision_of
from tracker.services import citations
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import Role

pytestmark = pytest.mark.usefixtures("quiet_bibtexparser")
MakeActor = Callable[[Engine, Role], Actor]
runner = CliRunner()

LIBRARY = """
@article{cat2020, title = {Intravenous ketamine for complex regional pain syndrome},
  author = {Cat, Ann}, year = {2020}, journal = {Journal of Tests}, doi = {10.1000/cat},
  abstract = {Ketamine infusions gave pain relief in CRPS. Side effects were mild.},
  keywords = {Ketamine, Allodynia}}
@article{dog2021, title = {Oral morphine for cancer pain}, author = {Dog, Bo}, year = {2021},
  journal = {Journal of Tests}, doi = {10.1000/dog},
  abstract = {Morphine relieved cancer pain slowly; the relief came late.}}
@article{eel2022, title = {Magnesium in migraine}, author = {Eel, Cy}, year = {2022},
  journal = {Journal of Tests}, doi = {10.1000/eel},
  finding = {Magnesium improved migraine pain relief scores a little.}}
@article{fox_100, title = {A trial of 100% oxygen}, author = {Fox, Di}, year = {2019},
  journal = {Journal of Tests}, doi = {10.1000/fox}}
"""
CRPS_CLAIM = "Ketamine infusions have shown efficacy in reducing pain intensity"


def load(engine: Engine, bib: str = LIBRARY, name: str = "library.bib") -> None:
    with db.writing(engine) as session:
        citations.import_bibtex(session, system_actor(session), [(name, bib)])


def found(engine: Engine, search: str) -> list[str]:
    with db.reading(engine) as session:
        return sorted(r.key for r in queries.citations(
            session, queries.CitationFilter(search), limit=None))


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# --- terms (pure) ----------------------------------------------------------------------------


def test_stop_words_and_reporting_words_say_nothing_about_the_subject() -> None:
    concepts = claim_concepts("Several studies have shown that the drug reduces the pain.")
    assert [c.label for c in concepts] == ["Several", "drug", "reduces", "pain"]


def test_a_synonym_of_the_table_looks_for_every_form_of_its_group() -> None:
    [crps] = claim_concepts("CRPS")
    assert crps.forms[0] == "crps"
    assert {"complex regional pain syndrome", "reflex sympathetic dystrophy"} <= set(crps.forms)
    assert crps.weight == terms.NAMED_WEIGHT
    [phrase, relief] = claim_concepts("Complex regional pain syndrome relief")
    assert phrase.label == "Complex regional pain syndrome" and "crps" in phrase.forms
    assert relief.label == "relief"  # the phrase's words are not looked for again one by one
    [drug] = claim_concepts("esketamine")
    assert "ketamine" in drug.forms


def test_abbreviations_count_only_in_capitals() -> None:
    [route, drug] = claim_concepts("IV ketamine")
    assert "intravenous" in route.forms
    assert [c.forms for c in claim_concepts("iv drip")] == [("iv",), ("drip",)]


def test_endings_and_spellings_meet() -> None:
    assert terms.stems("Randomized trials") == terms.stems("randomized trial")
    for british, american in (("randomised", "randomized"), ("paediatric", "pediatric")):
        [spelling] = claim_concepts(british)
        assert american in spelling.forms


def test_extra_terms_such_as_pico_tags_are_looked_for_too_once() -> None:
    concepts = claim_concepts("Ketamine relieves pain", ["adults", "CRPS", "ketamine"])
    assert [c.label for c in concepts] == ["Ketamine", "relieves", "pain", "adults", "CRPS"]
    assert concepts[3].weight == terms.EXTRA_WEIGHT
    assert "complex regional pain syndrome" in concepts[4].forms


def test_searches_match_words_separately_and_quoted_phrases_as_phrases() -> None:
    found_terms = search_terms('ketamine "pain relief" the crps')
    assert [(t.text, t.phrase) for t in found_terms] == [
        ("ketamine", False), ("pain relief", True), ("crps", False)]
    assert "complex regional pain syndrome" in found_terms[2].forms
    assert [t.text for t in search_terms("the")] == ["the"]  # nothing else: kept
    assert search_terms("--") == []
    assert terms.arguments_as_search(["ketamine", "pain relief"]) == 'ketamine "pain relief"'


def test_every_form_of_the_synonym_table_has_words_and_one_place() -> None:
    seen: dict[tuple[str, ...], str] = {}
    for group in terms.SYNONYMS:
        for form in group.all_forms:
            key = terms.stems(form)
            assert key, form
            assert key not in seen, f"{form!r} is listed twice (as {seen.get(key)!r})"
            seen[key] = form


# --- ranking (pure) --------------------------------------------------------------------------


def test_a_study_saying_what_the_claim_says_in_one_sentence_ranks_first() -> None:
    concepts = claim_concepts("Ketamine lowers pain in CRPS")
    together = Study(1, "A trial", "Patients were enrolled. In CRPS, ketamine lowers pain.")
    apart = Study(2, "A trial", "Ketamine was given. Pain was measured. CRPS was diagnosed. "
                                "Scores were lower.")
    unrelated = Study(3, "Oral morphine", "Morphine was given to patients.")
    ranked = ranking.rank(concepts, [10, 50, 80, 5], 100, [unrelated, apart, together])
    assert [r.citation_id for r in ranked] == [1, 2, 3]
    best = ranked[0].sentences[0]
    assert best.index == 1 and best.text == "In CRPS, ketamine lowers pain."
    assert [best.text[a:b] for a, b in best.highlights] == ["CRPS", "ketamine", "lowers", "pain"]
    assert ranked[0].matched == ("Ketamine", "lowers", "pain", "CRPS")
    assert ranked[2].score == 0 and ranked[2].sentences == ()


def test_rarer_words_weigh_more_and_synonyms_match() -> None:
    concepts = claim_concepts("CRPS pain")
    rare = Study(1, "Complex regional pain syndrome")  # the phrase and pain
    common = Study(2, "Pain, pain and pain")
    ranked = ranking.rank(concepts, [3, 900], 1000, [common, rare])
    assert [r.citation_id for r in ranked] == [1, 2]
    assert ranked[0].matched == ("CRPS", "pain")


def test_at_most_three_sentences_best_first_from_the_finding_without_an_abstract() -> None:
    concepts = claim_concepts("ketamine")
    study = Study(1, "Title", "", finding="Ketamine helped. Ketamine, ketamine. No. Ketamine. "
                                          "And ketamine.")
    [ranked] = ranking.rank(concepts, [1], 10, [study])
    assert len(ranked.sentences) == 3
    assert ranked.sentences[0].text == "Ketamine, ketamine."


def test_sentences_are_chosen_only_for_the_studies_shown_and_change_no_score() -> None:
    concepts = claim_concepts("Ketamine lowers pain in CRPS")
    library = [Study(1, "Ketamine", "Ketamine lowers pain. In CRPS too."),
               Study(2, "CRPS", "Pain in CRPS. Ketamine was given."),
               Study(3, "Pain", "Pain was measured.")]
    every = ranking.rank(concepts, [10, 50, 80, 5], 100, library)
    first = ranking.rank(concepts, [10, 50, 80, 5], 100, library, shown=1)
    assert [(r.citation_id, r.score) for r in first] == [(r.citation_id, r.score) for r in every]
    assert first[0].sentences == every[0].sentences != ()
    assert [r.sentences for r in first[1:]] == [(), ()]


def test_a_result_sentence_is_shown_before_a_background_one_with_the_same_words() -> None:
    concepts = claim_concepts("Ketamine relieves pain")
    study = Study(1, "A trial", "We conducted this study of ketamine and pain relief. "
                                "Ketamine gave pain relief in 60% of patients (p < 0.01).")
    [ranked] = ranking.rank(concepts, [10, 10, 10], 100, [study])
    assert [s.index for s in ranked.sentences] == [1, 0]
    plain = ranking.Weights(result_cue=0, late=0, background=0)
    [unweighted] = ranking.rank(concepts, [10, 10, 10], 100, [study], weights=plain)
    assert [s.index for s in unweighted.sentences] == [0, 1]


def test_a_later_sentence_is_shown_before_an_earlier_one_with_the_same_words() -> None:
    concepts = claim_concepts("ketamine pain")
    study = Study(1, "A trial", "Ketamine for pain. Patients came. Ketamine for pain.")
    [ranked] = ranking.rank(concepts, [10, 10], 100, [study])
    assert [s.index for s in ranked.sentences][:2] == [2, 0]


def test_a_structured_abstracts_results_section_is_preferred_to_its_methods() -> None:
    concepts = claim_concepts("ketamine pain")
    study = Study(1, "A trial", "Methods: ketamine for pain was given. Patients came. "
                                "Results: ketamine for pain was given.")
    weights = ranking.Weights(late=0, results_section=0.5)
    [ranked] = ranking.rank(concepts, [10, 10], 100, [study], weights=weights)
    assert [s.index for s in ranked.sentences][:2] == [2, 0]


def test_the_neighbours_of_the_only_matching_sentence_are_shown_after_it() -> None:
    concepts = claim_concepts("ketamine")
    study = Study(1, "A trial", "Patients came. Ketamine was given. Pain fell by half. "
                                "Nobody left. Everyone went home.")
    [ranked] = ranking.rank(concepts, [10], 100, [study])
    assert [s.index for s in ranked.sentences] == [1, 2, 0]
    assert ranked.sentences[1].highlights == ()  # shown for its place, with no word marked
    alone = ranking.Weights(neighbours=0)
    [strict] = ranking.rank(concepts, [10], 100, [study], weights=alone)
    assert [s.index for s in strict.sentences] == [1]


# --- the index, kept in step -----------------------------------------------------------------


def test_the_search_matches_every_word_and_phrases_as_phrases(engine: Engine) -> None:
    load(engine)
    assert found(engine, "ketamine crps") == ["cat2020"]
    assert found(engine, "pain relief") == ["cat2020", "dog2021", "eel2022"]
    assert found(engine, '"pain relief"') == ["cat2020", "eel2022"]
    assert found(engine, "pains relieving") == ["dog2021"]  # any ending: "relieved pain"
    assert found(engine, "migraines magnesium") == ["eel2022"]  # the recorded finding
    assert found(engine, "allodynia") == ["cat2020"]  # keywords
    assert found(engine, "Cat dog") == []  # each word must match
    assert found(engine, "10.1000/dog") == ["dog2021"]  # DOI
    assert found(engine, "fox_1") == ["fox_100"]  # key, a substring
    assert found(engine, "100%") == ["fox_100"]
    assert found(engine, "0%") == []  # % and _ are no wildcards
    assert found(engine, "f_x") == []  # not "fox"
    with db.reading(engine) as session:
        assert queries.citation_count(
            session, queries.CitationFilter('ketamine "pain relief"')) == 1


def test_the_index_follows_merges_edits_and_deletions(engine: Engine) -> None:
    load(engine)
    assert found(engine, "hyperalgesia") == []
    load(engine, "@article{dogagain, title = {Oral morphine for cancer pain}, year = {2021}, "
                 "author = {Dog, Bo}, doi = {10.1000/dog}, "
                 "abstract = {Morphine relieved cancer pain without hyperalgesia.}}", "more.bib")
    assert found(engine, "hyperalgesia") == []  # the stored abstract is kept: a conflict
    load(engine, "@article{foxagain, title = {A trial of 100% oxygen}, year = {2019}, "
                 "author = {Fox, Di}, doi = {10.1000/fox}, "
                 "abstract = {Oxygen eased cluster headache without hyperalgesia.}}", "more.bib")
    assert found(engine, "hyperalgesia") == ["fox_100"]  # filled in by the merge
    with db.writing(engine) as session:
        citation = session.scalar(select(Citation).where(Citation.key == "dog2021"))
        assert citation is not None
        citation.title = "Oral oxycodone for cancer pain"
        citation.extra = {"finding": "Oxycodone worked like morphine."}
    assert found(engine, "oxycodone") == ["dog2021"]
    with db.writing(engine) as session:
        ident = session.scalar(select(Citation.id).where(Citation.key == "eel2022"))
        session.execute(delete(CitationTopic).where(CitationTopic.citation_id == ident))
        session.execute(delete(Citation).where(Citation.id == ident))
    assert found(engine, "magnesium") == []
    assert found(engine, "morphine") == ["dog2021"]
    with db.writing(engine) as session:
        index.rebuild(session)
    assert found(engine, "oxycodone") == ["dog2021"] and found(engine, "magnesium") == []
    assert found(engine, "hyperalgesia") == ["fox_100"]
    if db.is_sqlite(engine):
        with engine.begin() as conn:  # FTS5's own consistency check
            conn.exec_driver_sql(f"INSERT INTO {index.TABLE} ({index.TABLE}) "
                                 "VALUES ('integrity-check')")


def test_the_articles_listed_resources_are_indexed(article_engine: Engine) -> None:
    assert found(article_engine, '"complex regional pain syndrome" infusions') == [
        "ketamine-therapy-for-pain-management-resource-4"]


def test_the_triggers_that_keep_the_index_in_step_exist_at_head(engine: Engine) -> None:
    """A revision that rebuilds `citations` on SQLite (batch mode) drops its triggers: it must
    create them again (`index.trigger_statements`) and rebuild the index."""
    dialect = engine.dialect.name
    with engine.connect() as conn:
        if dialect == "sqlite":
            names = set(conn.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                "tbl_name = 'citations'")))
        else:
            names = set(conn.scalars(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'citations'::regclass "
                "AND NOT tgisinternal")))
    assert set(index.TRIGGERS[dialect]) <= names
    assert index.TABLE in inspect(engine).get_table_names()


def test_a_batch_rebuild_of_citations_then_the_triggers_again_keeps_the_index(
        engine: Engine) -> None:
    """What a future revision altering `citations` on SQLite does: Alembic's batch mode copies,
    drops and renames the table (no view may name it), which drops the triggers; it then runs
    `trigger_statements` and `rebuild_statements`."""
    if not db.is_sqlite(engine):
        pytest.skip("PostgreSQL alters tables in place: its trigger stays")
    load(engine)
    with db.schema_change(engine) as connection:
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("citations", recreate="always") as batch:
            batch.add_column(Column("reviewed_note", Text(), nullable=True))
        for statement in index.trigger_statements("sqlite") + index.rebuild_statements("sqlite"):
            connection.exec_driver_sql(statement)
    load(engine, "@article{gnu2023, title = {Nitrous oxide for labour pain}, year = {2023}, "
                 "author = {Gnu, Al}, doi = {10.1000/gnu}}", "later.bib")
    assert found(engine, "ketamine crps") == ["cat2020"]
    assert found(engine, "nitrous") == ["gnu2023"]


def test_a_restored_database_searches_the_same(engine: Engine, blank_engine: Engine,
                                               tmp_path: Path) -> None:
    load(engine)
    path = tmp_path / "backup.json"
    backup.write_backup(engine, path)
    backup.restore_backup(blank_engine, path)
    for words in ("ketamine crps", '"pain relief"', "migraine", "pain"):
        assert found(blank_engine, words) == found(engine, words), words
    assert found(blank_engine, "pain") == ["cat2020", "dog2021", "eel2022"]


# --- suggestions for a claim -----------------------------------------------------------------


def crps_claim(engine: Engine) -> int:
    with db.reading(engine) as session:
        [claim_id] = session.scalars(select(Claim.id).where(Claim.text.startswith(CRPS_CLAIM)))
        return claim_id


def test_suggestions_rank_the_claims_studies_and_mark_those_already_linked(
        shipped_engine: Engine) -> None:
    claim_id = crps_claim(shipped_engine)
    with db.reading(shipped_engine) as session:
        before = revision_of(session)
        result = queries.suggestions(session, claim_id, limit=8)
        links = dict(session.execute(select(Citation.key, EvidenceLink.stance)
                                     .join(EvidenceLink, EvidenceLink.citation_id == Citation.id)
                                     .where(EvidenceLink.claim_id == claim_id)).all())
        assert revision_of(session) == before  # a read: nothing written
    keys = [s.key for s in result.suggestions]
    assert len(keys) == 8 and {"schwartzman2009", "sigtermans2009", "lee2025"} <= set(keys)
    assert [s.rank for s in result.suggestions] == list(range(1, 9))
    scores = [s.score for s in result.suggestions]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    for s in result.suggestions:
        assert s.linked == (s.key in links) and s.stance == links.get(s.key)
        assert "CRPS" in s.matched_terms or "Ketamine" in s.matched_terms
        for sentence in s.sentences:
            marked = {terms.stem(terms.fold(sentence.text[a:b])) for a, b in sentence.highlights}
            assert marked and all(len(m) > 1 for m in marked), sentence
    assert any(s.linked for s in result.suggestions)
    assert any(t.startswith("CRPS | ") or t.startswith("crps | ") for t in result.terms)
    assert "not evidence" in result.note


def test_extra_terms_are_looked_for_with_the_claims_words(shipped_engine: Engine) -> None:
    claim_id = crps_claim(shipped_engine)
    with db.reading(shipped_engine) as session:
        plain = queries.suggestions(session, claim_id, limit=5)
        tagged = queries.suggestions(session, claim_id, limit=5, extra_terms=["fibromyalgia"])
    assert "fibromyalgia" in tagged.terms and "fibromyalgia" not in plain.terms
    assert any("fibromyalgia" in s.matched_terms for s in tagged.suggestions)


def test_suggestions_refuse_a_missing_claim_and_a_bad_limit(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        with pytest.raises(NotFound, match="no claim #999999"):
            queries.suggestions(session, 999999)
        with pytest.raises(InvalidInput, match="1 to 100"):
            queries.suggestions(session, crps_claim(shipped_engine), limit=0)


def test_a_library_without_the_words_suggests_nothing(engine: Engine) -> None:
    load(engine)
    with db.reading(engine) as session:
        assert finder.find(session, "Gluons bind quarks in hadrons.").ranked == ()
        assert finder.find(session, "The of and.").concepts == ()
        [first, *_] = finder.find(session, "Ketamine for CRPS pain", limit=2).ranked
    assert first.citation_id == citation_id(engine, "cat2020")


def citation_id(engine: Engine, key: str) -> int:
    with db.reading(engine) as session:
        return citations.citation_by_key(session, key).id


# --- the command line ------------------------------------------------------------------------


def test_suggest_json_gives_ranked_studies_with_sentences_and_links(
        shipped_engine: Engine) -> None:
    claim_id = crps_claim(shipped_engine)
    env = {"TRACKER_DATABASE_URL": url_of(shipped_engine)}
    result = runner.invoke(app, ["suggest", str(claim_id), "--limit", "3", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"claim_id", "claim_text", "terms", "suggestions", "note"}
    assert data["claim_id"] == claim_id and data["claim_text"].startswith(CRPS_CLAIM)
    assert len(data["suggestions"]) == 3
    first = data["suggestions"][0]
    assert set(first) == {"rank", "citation_id", "key", "title", "year", "design", "verified",
                          "retracted", "score", "matched_terms", "sentences", "linked",
                          "stance"}
    assert first["rank"] == 1 and isinstance(first["score"], float)
    sentence = first["sentences"][0]
    assert set(sentence) == {"index", "text", "score", "highlights"}
    start, end = sentence["highlights"][0]
    assert sentence["text"][start:end].lower() in {w.lower() for w in first["matched_terms"]} \
        or end > start
    shown = runner.invoke(app, ["suggest", str(claim_id), "--limit", "2"], env=env)
    assert shown.exit_code == 0 and "not evidence" in shown.output
    assert "  1. " in shown.output and "  3. " not in shown.output
    missing = runner.invoke(app, ["suggest", "999999"], env=env)
    assert missing.exit_code == 3 and "no claim #999999" in missing.output


def test_citations_search_takes_several_words_and_phrases(engine: Engine) -> None:
    load(engine)
    env = {"TRACKER_DATABASE_URL": url_of(engine)}
    two = runner.invoke(app, ["citations", "search", "ketamine", "crps", "--json"], env=env)
    assert two.exit_code == 0, two.output
    assert [r["key"] for r in json.loads(two.output)] == ["cat2020"]
    phrase = runner.invoke(app, ["citations", "search", "pain relief", "--json"], env=env)
    assert sorted(r["key"] for r in json.loads(phrase.output)) == ["cat2020", "eel2022"]
    quoted = runner.invoke(app, ["citations", "search", '"cancer pain"', "--json"], env=env)
    assert [r["key"] for r in json.loads(quoted.output)] == ["dog2021"]


def test_suggestions_count_for_nothing_until_linked(shipped_engine: Engine) -> None:
    claim_id = crps_claim(shipped_engine)
    with db.reading(shipped_engine) as session:
        status = queries.claim(session, claim_id).status
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        queries.suggestions(session, claim_id)
        assert queries.claim(session, claim_id).status == status
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


# --- the documentation says what the code does -----------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs" / "finder.md"


def test_the_documented_synonym_table_is_the_codes() -> None:
    assert terms.synonyms_markdown() in DOCS.read_text(encoding="utf-8")


def test_the_documented_examples_are_what_the_code_looks_for() -> None:
    section = DOCS.read_text(encoding="utf-8").split("### Examples")[1].split("###")[0]
    rows = [line.split(" | ") for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| Claim")]
    assert len(rows) >= 4
    for claim, looked_for in rows:
        expected = [c.label if c.weight == 1 else f"**{c.label}**"
                    for c in claim_concepts(claim.removeprefix("| "))]
        assert looked_for.removesuffix(" |").split(", ") == expected, claim


# --- any text -------------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60) | st.text(
    alphabet='"*^:()-+%_\\ ORNEARNOTAND ketamine crps', max_size=40)


@given(text_=ANY_TEXT)
@example(text_="0\x00").via("found by this test: SQLite ends a string at NUL")
@example(text_='ketamine NEAR(crps) "x*').via("FTS5 operators")
@settings(max_examples=scaled(60, 2000), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_search_or_claim_text_is_words_never_an_index_query_error(
        engine: Engine, text_: str) -> None:
    """Operators of FTS5 (OR, NEAR, *, ^, column filters) and of tsquery in a search or a claim
    are plain words, control characters are spaces: any text gives a (possibly empty) answer,
    never a database error."""
    if not found(engine, "ketamine"):
        load(engine)
    with db.reading(engine) as session:
        queries.citation_count(session, queries.CitationFilter(text_))
        finder.find(session, text_, limit=3, extra_terms=[text_])
