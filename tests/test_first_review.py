"""The first real review, shipped with the product, as re-reviewed on 2026-12-07: the verdicts it
yields are pinned here (claims found by their words, never by id), so a change in the grading
rules or the review data that flips one is seen; and the review's own promises are checked —
verified means an authoritative record, every link has its directness, every study that
supports or contradicts a claim is appraised, and the README's first-review table is what the
shipped database says."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from sqlalchemy import Engine, func, select

from tests.conftest import ROOT, SEED
from tracker import db, queries
from tracker.grading import designs
from tracker.models import Appraisal, Citation, EvidenceLink, User
from tracker.vocabulary import DirectnessElement, StudyDesign

#: Hosts of records that count as authoritative: PubMed/PMC, publishers and DOI landing pages,
#: journals, the Cochrane Library, regulators, and (for a guideline or a thesis) its issuer.
AUTHORITATIVE = re.compile(
    r"(^|\.)(ncbi\.nlm\.nih\.gov|pubmed\.gov|pubmed\.ncbi\.nlm\.nih\.gov|pmc\.ncbi\.nlm\.nih\.gov"
    r"|cochranelibrary\.com|doi\.org|journals\.lww\.com|pubs\.asahq\.org|onlinelibrary\.wiley\.com"
    r"|link\.springer\.com|springermedizin\.de|springermedicine\.com|nature\.com|neurology\.org"
    r"|dovepress\.com|mdpi\.com|pharmrev\.aspetjournals\.org|westjem\.com|painphysicianjournal\.com"
    r"|em-consulte\.com|cadth\.ca|cda-amc\.ca|canjhealthtechnol\.ca|api\.fda\.gov|asra\.com"
    r"|clinicaltrials\.gov|macsphere\.mcmaster\.ca)$")
MIRRORS = ("scribd", "erowid", "coek.info", "ouci.dntb", "47.251.13.51", "docslib", "zhixidata",
           "blogspot", "1337x", "websiteproxy", "metajournal", "suppr.wilddata")


def verdict(engine: Engine, fragment: str, *, part: str | None = None) -> queries.ClaimRow:
    with db.reading(engine) as session:
        rows = queries.claims(session)
    sentence = [r for r in rows if r.parent is None and fragment in r.text]
    assert len(sentence) == 1, f"{fragment!r} matches {len(sentence)} claims"
    if part is None:
        return sentence[0]
    [found] = [r for r in rows if r.parent == sentence[0].id and r.text == part]
    return found


def detail(engine: Engine, fragment: str, *, part: str | None = None) -> queries.ClaimDetail:
    row = verdict(engine, fragment, part=part)
    with db.reading(engine) as session:
        return queries.claim_detail(session, row.id)


def link(engine: Engine, fragment: str, key: str, *, part: str | None = None
         ) -> queries.EvidenceRow:
    [found] = [e for e in detail(engine, fragment, part=part).evidence
               if e.citation_key == key]
    return found


# --- provenance and design labels -------------------------------------------------------------


def test_every_verified_entry_names_an_authoritative_record_and_no_mirror(
        shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        rows = session.execute(select(Citation.key, Citation.verification_note).where(
            Citation.verified.is_(True))).all()
    assert len(rows) == 43
    for key, note in rows:
        urls = re.findall(r"https?://[^\s;]+", note or "")
        hosts = [urlparse(u).hostname or "" for u in urls]
        assert any(AUTHORITATIVE.search(h) for h in hosts), (key, hosts)
        assert not any(m in (note or "") for m in MIRRORS), (key, note)


def test_entries_found_only_on_mirrors_are_unverified_and_never_counted(
        shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        for key in ("eide1994", "finch2009", "noppers2011fibro", "michelet2018", "pomeroy2017",
                    "bell2009", "noppers2011liver"):
            citation = session.scalar(select(Citation).where(Citation.key == key))
            assert citation is not None and not citation.verified, key
        counted = session.scalar(
            select(func.count()).select_from(EvidenceLink)
            .join(Citation, Citation.id == EvidenceLink.citation_id)
            .where(Citation.verified.is_(False), EvidenceLink.stance != "background"))
        assert counted == 0
        reviewer = session.scalar(select(User).where(User.username == "evidence-map"))
        assert reviewer is not None and reviewer.password_hash is None
    explanation = verdict(shipped_engine,
                          "Ketamine therapy may help alleviate symptoms").explanation
    assert "to check: " in explanation and "noppers2011fibro" in explanation


@pytest.mark.parametrize(("key", "design"), [
    ("tran2020cadth", StudyDesign.RAPID_REVIEW),  # one reviewer, narrative synthesis
    ("tran2023cadth", StudyDesign.RAPID_REVIEW),
    ("moradi2024thesis", StudyDesign.THESIS),  # grey literature, not a published meta-analysis
    ("ketalar2020label", StudyDesign.REGULATORY_LABEL),
    ("peltoniemi2016", StudyDesign.NARRATIVE_REVIEW),  # were labelled pharmacology
    ("zanos2018pharmrev", StudyDesign.NARRATIVE_REVIEW),
])
def test_design_labels_that_change_verdicts(shipped_engine: Engine, key: str,
                                            design: StudyDesign) -> None:
    with db.reading(shipped_engine) as session:
        assert queries.citation_detail(session, key).row.design == design.value


def test_collins2010_says_it_pools_all_nmda_antagonists_and_concludes_nothing(
        shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        finding = queries.citation_detail(session, "collins2010").extra.get("finding", "")
    assert "all NMDA receptor antagonists" in finding
    assert "no conclusions can yet be made" in finding
    assert link(shipped_engine, "Multiple randomized controlled trials", "collins2010",
                part="reducing neuropathic pain scores").stance == "mixed"


# --- what the review promises of every link and study ----------------------------------------


def test_every_link_has_its_directness_on_all_five_elements(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        rows = queries.claims(session)
        linked = 0
        for row in rows:
            for evidence in queries.claim_detail(session, row.id).evidence:
                if not evidence.verified:
                    continue  # "to check" candidates: background, never counted
                linked += 1
                assert set(evidence.directness) == {e.value for e in DirectnessElement}, \
                    (row.id, evidence.citation_key)
                assert all(reason for _, reason in evidence.directness.values())
    assert linked > 150


def test_every_study_that_supports_or_contradicts_is_appraised(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        used = session.execute(
            select(Citation.key, Citation.design).distinct()
            .join(EvidenceLink, EvidenceLink.citation_id == Citation.id)
            .where(Citation.verified.is_(True),
                   EvidenceLink.stance.in_(("supports", "contradicts")))).all()
        appraised = set(session.scalars(select(Citation.key).join(
            Appraisal, Appraisal.citation_id == Citation.id)))
    rated = {k for k, d in used if d and StudyDesign(d) in designs.RATED}
    assert len(rated) >= 20
    assert rated <= appraised, rated - appraised


def test_small_crossover_trials_are_rated_as_strictly_as_the_worked_examples(
        shipped_engine: Engine) -> None:
    """docs/grading.md: fewer than 100 participants is far below the optimal information size
    (imprecision very serious). The 10- and 20-patient crossovers get no more lenience."""
    for key, sentence, part, participants in (
            ("mercadante2000", "Ketamine has also been utilized for cancer-related pain",
             "cancer-related pain", 10),
            ("carr2004", "combines rapid onset of relief", "rapid onset of relief", 20)):
        evidence = link(shipped_engine, sentence, key, part=part)
        assert evidence.judgements["imprecision"] == "very-serious", key
        assert evidence.effect["participants"] == participants


def test_no_claim_is_certain_without_an_appraised_direct_body(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        rows = queries.claims(session)
    assert {r.certainty for r in rows} <= {None, "very-low", "low", "moderate", "not-assessed"}
    assert all(r.certainty is None for r in rows if r.track == "descriptive")
    assert any(r.certainty == "very-low" for r in rows)
    surgery = verdict(shipped_engine, "Ketamine has also been utilized for cancer-related pain",
                      part="post-surgical pain")
    assert surgery.certainty == "low", surgery.explanation  # large perioperative meta-analyses


# --- the errors the re-review fixed -------------------------------------------------------------


def test_absence_of_evidence_does_not_contradict_a_hedged_sentence(shipped_engine: Engine) -> None:
    for sentence, part in (("combines rapid onset of relief", "potential long-term benefits"),
                           ("Some studies suggest ketamine may induce neuroplastic changes", None),
                           ("some experience relief lasting days to weeks", None)):
        assert link(shipped_engine, sentence, "peltoniemi2016", part=part).stance == "background"


def test_crps_trials_are_indirect_evidence_for_neuropathic_pain(shipped_engine: Engine) -> None:
    for key in ("schwartzman2009", "sigtermans2009"):
        evidence = link(shipped_engine, "Multiple randomized controlled trials", key,
                        part="reducing neuropathic pain scores")
        judgement, reason = evidence.directness["population"]
        assert judgement == "indirect" and "CRPS" in reason


def test_a_24_hour_liver_test_series_does_not_support_generally_safe(
        shipped_engine: Engine) -> None:
    evidence = link(shipped_engine, "generally considered safe", "lee2025")
    assert evidence.stance == "background"
    assert evidence.directness["outcome"][0] == "very-indirect"
    claim = verdict(shipped_engine, "generally considered safe")
    assert claim.status == "contradicted" and "overstated" in claim.open_flags


def test_crps_pain_is_supported_but_function_is_contradicted(shipped_engine: Engine) -> None:
    pain = verdict(shipped_engine, "Ketamine infusions have shown efficacy",
                   part="reducing pain intensity")
    function = verdict(shipped_engine, "Ketamine infusions have shown efficacy",
                       part="improving function in CRPS patients")
    assert (pain.status, pain.certainty) == ("supported", "very-low")
    assert function.status == "contradicted"
    assert "sigtermans2009" in function.explanation


def test_rare_distressing_effects_are_linked_to_the_withdrawal_rates(
        shipped_engine: Engine) -> None:
    claim = detail(shipped_engine, "In rare cases, these effects may be distressing")
    stances = {e.citation_key: e.stance for e in claim.evidence}
    assert stances["hardy2012"] == "contradicts"  # toxicity withdrawals: NNH 6, not rare
    assert stances["sigtermans2009"] == "supports"
    assert claim.claim.status == "contradicted"


def test_textbook_definitions_are_linked_to_what_the_library_holds(shipped_engine: Engine) -> None:
    anaesthetic = verdict(shipped_engine, "originally developed as an anesthetic agent")
    assert (anaesthetic.track, anaesthetic.status, anaesthetic.standing) == (
        "descriptive", "supported", "established")
    crps = verdict(shipped_engine, "CRPS is a chronic pain condition")
    assert crps.track == "descriptive" and crps.status != "not-reviewed"


@pytest.mark.parametrize(("sentence", "parts"), [
    ("Ketamine infusions have shown efficacy",
     ["reducing pain intensity", "improving function in CRPS patients"]),
    ("Ketamine can reduce the need for opioid medications",
     ["Ketamine can reduce the need for opioid medications", "lowering the risk of addiction",
      "associated side effects"]),
    ("Intranasal ketamine sprays have gained popularity",
     ["Intranasal ketamine sprays have gained popularity as a less invasive option",
      "provides rapid absorption through the mucous membranes"]),
    ("These effects are generally transient",
     ["These effects are generally transient", "can be managed with appropriate monitoring"]),
])
def test_conjunctions_with_different_evidence_are_split(shipped_engine: Engine, sentence: str,
                                                         parts: list[str]) -> None:
    assert [p.text for p in detail(shipped_engine, sentence).parts] == parts


def test_no_evidence_found_is_recorded_with_its_date(shipped_engine: Engine) -> None:
    addiction = detail(shipped_engine, "Ketamine can reduce the need for opioid medications",
                       part="lowering the risk of addiction")
    assert addiction.claim.status == "no-evidence-found"
    assert addiction.searches[0].searched_at.date().isoformat() == "2026-12-07"
    assert verdict(shipped_engine, "Intravenous (IV) ketamine infusion is the most common"
                   ).status == "no-evidence-found"


def test_sentences_nobody_can_check_are_flagged(shipped_engine: Engine) -> None:
    for fragment in ("has emerged as a groundbreaking approach",
                     "The future of ketamine therapy for pain management is promising"):
        claim = detail(shipped_engine, fragment)
        assert any(f.kind == "other" and f.reason.startswith("Cannot be checked")
                   for f in claim.flags), fragment


# --- verdicts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fragment", "part", "status"), [
    ("Ketamine has also been utilized for cancer-related pain", "post-surgical pain", "supported"),
    ("numerous clinical trials and observational studies", None, "contested"),
    ("Multiple randomized controlled trials", "decreasing opioid consumption", "supported"),
    ("Ketamine has also been utilized for cancer-related pain", "cancer-related pain",
     "contradicted"),
    ("Ketamine has also been utilized for cancer-related pain", "refractory migraines",
     "contested"),
    ("Multiple randomized controlled trials", "reducing neuropathic pain scores", "contested"),
    ("Multiple randomized controlled trials", "improving quality of life", "contradicted"),
    ("combines rapid onset of relief", "potential long-term benefits", "contradicted"),
    ("combines rapid onset of relief", "rapid onset of relief", "supported"),
    ("Ketamine therapy may help alleviate symptoms", None, "insufficient"),  # fibromyalgia
    ("Ketamine is characterized by a rapid onset of action", None, "supported"),
    ("Ketamine blocks NMDA receptors", None, "insufficient"),  # narrative reviews only
])
def test_verdicts(shipped_engine: Engine, fragment: str, part: str | None, status: str) -> None:
    claim = verdict(shipped_engine, fragment, part=part)
    assert claim.status == status, claim.explanation


def test_iv_most_common_is_descriptive_and_flagged(shipped_engine: Engine) -> None:
    claim = verdict(shipped_engine, "Intravenous (IV) ketamine infusion is the most common")
    assert claim.track == "descriptive" and claim.certainty is None
    assert claim.open_flags == ["unsupported"]


def test_open_questions_on_dosing_and_safety_show_their_evidence(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        document = queries.resolve_document(session, SEED)
        found = {q.slug: q for q in queries.questions(session, document.id)}
    assert {"dosing-standardisation", "long-term-safety", "durability-of-relief",
            "delivery-systems", "personalised-medicine", "analogues-derivatives",
            "multimodal-integration"} <= set(found)
    dosing = {key for key, *_ in found["dosing-standardisation"].evidence}
    assert {"cohen2018chronic", "schwenk2018acute", "guimaraespereira2022"} <= dosing
    safety = {key for key, *_ in found["long-term-safety"].evidence}
    assert {"noppers2011liver", "cotter2021", "shahani2007"} <= safety
    assert all(q.claims for q in found.values())


def readme_first_review_table() -> dict[str, list[int]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### The first review, by section")
    rows: dict[str, list[int]] = {}
    for line in text[start:].splitlines()[1:]:
        if line.startswith("| ") and not line.startswith("| Section") \
                and not line.startswith("|---"):
            cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
            rows[cells[0]] = [int(c) for c in cells[1:]]
        elif rows and not line.startswith("|"):
            break
    return rows


def test_the_readme_table_is_what_the_shipped_database_says(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        document = queries.resolve_document(session, SEED)
        coverage = queries.coverage(session, document.id)
        sections = queries.coverage_by_section(session, document.id)
    table = readme_first_review_table()
    for row in sections:
        assert table[row.group] == [row.total, row.supported, row.contested,
                                    row.contradicted, row.insufficient,
                                    row.no_evidence_found, row.not_reviewed], row.group
    assert table["All"][0] == coverage.claims == 63
    statuses = ["supported", "contested", "contradicted", "insufficient", "no-evidence-found",
                "not-reviewed"]
    assert table["All"][1:] == [coverage.by_status[s] for s in statuses]


def test_the_wording_figures_are_what_the_readme_reports(shipped_engine: Engine) -> None:
    """README's paragraph on the shipped review's wording check states these counts."""
    with db.reading(shipped_engine) as session:
        document_id = queries.resolve_document(
            session, "ketamine-therapy-for-pain-management").id
        rows = queries.wording_check(session, document_id)
        prompts = queries.indirectness_prompts(session, document_id)
        library = re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references" / "library.bib")
                             .read_text(encoding="utf-8"), re.MULTILINE)
        unverified = session.scalar(select(func.count()).select_from(Citation).where(
            Citation.key.in_(library), Citation.verified.is_(False)))
        total = len(library)
    over = [r for r in rows if r.verdict == "overstated"]
    sentences = {r.parent_id or r.claim_id for r in over}
    matches = [r for r in rows if r.verdict == "matches"]
    not_compared = {r.parent_id or r.claim_id for r in rows if r.verdict == "not compared"}
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert (f"reads {len(sentences)} of the article's 63 sentences as saying more than their "
            f"evidence allows ({len(over)} open proposals") in readme
    assert all(r.proposal == "open" for r in over)
    assert len(matches) == 1 and matches[0].text == "post-surgical pain"
    assert matches[0].certainty == "low" and "one matches — the post-surgical" in readme
    assert f"and {len(rows) - len(over) - 1} are not compared" in readme
    assert len(not_compared) > 0
    assert f"{unverified} of the {total} library entries are unverified" in readme
    assert len(prompts) == 1 and "One indirectness prompt is open" in readme
