"""Tests of tracker.article against the shipped article and small hand-written ones."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.article import (
    KEYWORD_RULES,
    ArticleError,
    ParsedArticle,
    ParsedClaim,
    StoredClaim,
    categorise,
    fingerprint,
    normalise_newlines,
    parse_article,
    reconcile,
)
from tracker.vocabulary import ClaimCategory, SectionKind

ARTICLE_PATH = Path(__file__).parents[1] / "references" / "ketamine-therapy-for-pain-management.txt"

UNDERSTANDING = "Understanding Ketamine and Its Role in Pain Relief"
ADMINISTRATION = "Administration Methods of Ketamine Therapy"
CONDITIONS = "Conditions Treated with Ketamine Therapy"
BENEFITS = "Benefits of Ketamine Therapy for Pain Management"
RISKS = "Risks and Side Effects Associated with Ketamine"
EVIDENCE = "Clinical Evidence and Research Findings"
FUTURE = "Future Directions in Ketamine Pain Therapy"
FAQ = "Frequently Asked Questions"
RESOURCES = "Additional Resources"
TOC = [UNDERSTANDING, ADMINISTRATION, CONDITIONS, BENEFITS, RISKS, EVIDENCE, FUTURE]

QUESTIONS = [
    "What is ketamine therapy for pain management?",
    "How does ketamine help in managing chronic pain?",
    "What types of pain conditions can ketamine therapy treat?",
    "Is ketamine therapy for pain management safe?",
    "How long does the pain relief from ketamine therapy last?",
    "Are there any contraindications for ketamine therapy in pain management?",
    "How is ketamine therapy administered for pain management?",
]

JOINED = (
    "Oral and sublingual ketamine formulations are also used, though they have lower "
    "bioavailability compared to IV and intranasal routes."
)
CUT_OFF = (
    "The duration of pain relief from ketamine therapy varies among patients; some experience "
    "relief lasting days to weeks, while others may require repeated"
)
RAPID_ONSET = (
    "Rapid Onset of Pain Relief: Ketamine can provide analgesia within minutes, which is "
    "critical for acute pain crises."
)
NMDA_BLOCKADE = (
    "Ketamine's NMDA receptor blockade helps reduce abnormal nerve activity and central "
    "sensitization associated with this pain type."
)
FAQ_NMDA = (
    "Ketamine works by blocking NMDA receptors in the brain and spinal cord, which play a key "
    "role in pain transmission and central sensitization, thereby reducing the perception of pain."
)
CONTRAINDICATED = (
    "Ketamine is contraindicated in patients with certain psychiatric disorders, uncontrolled "
    "hypertension, or cardiovascular disease."
)
FAQ_CONTRAINDICATED = (
    "Ketamine therapy may not be suitable for individuals with certain psychiatric conditions, "
    "uncontrolled high blood pressure, or a history of substance abuse."
)
SIDE_EFFECTS = (
    "Patients may experience dizziness, nausea, increased blood pressure, hallucinations, and "
    "dissociative symptoms during or shortly after ketamine administration."
)
FAQ_SIDE_EFFECTS = (
    "However, potential side effects include dizziness, hallucinations, increased blood pressure, "
    "and nausea, which are usually temporary."
)
IV_MOST_COMMON = (
    "Intravenous (IV) ketamine infusion is the most common method used in clinical settings for "
    "pain management."
)
FAQ_IV = (
    "Ketamine can be administered via intravenous infusion, intramuscular injection, nasal spray, "
    "or oral formulations, with intravenous infusion being the most common method for managing "
    "chronic pain."
)


@pytest.fixture(scope="module")
def raw_text() -> str:
    return ARTICLE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def article(raw_text: str) -> ParsedArticle:
    return parse_article(raw_text)


def claim_by_text(article: ParsedArticle, text: str) -> ParsedClaim:
    matches = [claim for claim in article.claims if claim.text == text]
    assert len(matches) == 1, f"expected exactly one claim {text!r}, found {len(matches)}"
    return matches[0]


def collapse(raw: str) -> str:
    """What a claim's span should read as: emphasis removed, whitespace collapsed."""
    return " ".join(re.sub(r"\*\*|__|\*", "", raw).split())


# ---------------------------------------------------------------------------------------------
# Structure of the shipped article


def test_title_and_hash(article: ParsedArticle, raw_text: str) -> None:
    import hashlib

    assert article.title == "ketamine therapy for pain management"
    assert article.text == raw_text  # already LF, no BOM
    assert article.content_hash == hashlib.sha256(raw_text.encode("utf-8")).hexdigest()


def test_top_level_sections_are_the_toc_then_back_matter(article: ParsedArticle) -> None:
    top = [section.title for section in article.sections if section.level == 1]
    assert top == [*TOC, FAQ, RESOURCES]


def test_section_tree(article: ParsedArticle) -> None:
    expected = {
        UNDERSTANDING: ["Mechanism of Action", "Pharmacokinetics and Duration"],
        ADMINISTRATION: [
            "Intravenous Infusion",
            "Intranasal Administration",
            "Oral and Sublingual Routes",
            "Other Methods",
        ],
        CONDITIONS: [
            "Neuropathic Pain",
            "Complex Regional Pain Syndrome (CRPS)",
            "Fibromyalgia",
            "Other Chronic Pain Conditions",
        ],
        BENEFITS: [],
        RISKS: [
            "Common Side Effects",
            "Psychological Effects",
            "Contraindications and Precautions",
        ],
        EVIDENCE: [
            "Randomized Controlled Trials",
            "Meta-Analyses and Systematic Reviews",
            "Ongoing Research",
        ],
        FUTURE: [
            "Personalized Medicine Approaches",
            "Development of Ketamine Analogues",
            "Integration into Multimodal Pain Management",
        ],
        FAQ: QUESTIONS,
        RESOURCES: [],
    }
    tree: dict[str, list[str]] = {}
    for section in article.sections:
        if section.level == 1:
            assert section.path == (section.title,)
            tree[section.title] = []
        else:
            assert section.level == 2
            assert len(section.path) == 2 and section.path[1] == section.title
            tree[section.path[0]].append(section.title)
    assert tree == expected
    assert [section.ordinal for section in article.sections] == list(range(35))


def test_faq_questions_are_question_sections(article: ParsedArticle) -> None:
    questions = [s for s in article.sections if s.kind is SectionKind.QUESTION]
    assert [q.title for q in questions] == QUESTIONS
    assert all(q.path == (FAQ, q.title) and q.level == 2 for q in questions)
    headings = [s for s in article.sections if s.kind is SectionKind.HEADING]
    assert not any(s.title.endswith("?") for s in headings)


def test_section_spans_are_the_heading_lines(article: ParsedArticle) -> None:
    for section in article.sections:
        assert article.text[section.start : section.end] == section.title
        assert article.text[section.end] == "\n"


# ---------------------------------------------------------------------------------------------
# Claims of the shipped article

SAMPLE_CLAIMS: list[tuple[str, tuple[str, ...]]] = [
    (
        "ketamine therapy for pain management has emerged as a groundbreaking approach in "
        "addressing chronic and acute pain conditions that are often resistant to conventional "
        "treatments.",
        (),
    ),
    (
        "The mechanism behind ketamine's efficacy lies in its ability to modulate the "
        "N-methyl-D-aspartate (NMDA) receptors in the nervous system, which play a critical role "
        "in pain signaling and central sensitization.",
        (),
    ),
    (
        "Ketamine blocks NMDA receptors, which are glutamate receptors involved in excitatory "
        "neurotransmission.",
        (UNDERSTANDING, "Mechanism of Action"),
    ),
    (
        "Ketamine is characterized by a rapid onset of action, typically within minutes when "
        "administered intravenously or intranasally.",
        (UNDERSTANDING, "Pharmacokinetics and Duration"),
    ),
    (
        "Its effects may last from 30 minutes to several hours, depending on the dose and route "
        "of administration.",
        (UNDERSTANDING, "Pharmacokinetics and Duration"),
    ),
    (IV_MOST_COMMON, (ADMINISTRATION, "Intravenous Infusion")),
    (JOINED, (ADMINISTRATION, "Oral and Sublingual Routes")),
    (
        "CRPS is a chronic pain condition characterized by severe, persistent pain and sensory "
        "abnormalities.",
        (CONDITIONS, "Complex Regional Pain Syndrome (CRPS)"),
    ),
    (NMDA_BLOCKADE, (CONDITIONS, "Neuropathic Pain")),
    (
        "Ketamine therapy offers several advantages over traditional pain management options, "
        "particularly opioids and nonsteroidal anti-inflammatory drugs (NSAIDs).",
        (BENEFITS,),
    ),
    (RAPID_ONSET, (BENEFITS,)),
    (
        "Effectiveness in Treatment-Resistant Pain: It benefits patients who have not responded "
        "to conventional therapies.",
        (BENEFITS,),
    ),
    (SIDE_EFFECTS, (RISKS, "Common Side Effects")),
    (CONTRAINDICATED, (RISKS, "Contraindications and Precautions")),
    (
        "Multiple randomized controlled trials have shown ketamine's superiority over placebo in "
        "reducing neuropathic pain scores, improving quality of life, and decreasing opioid "
        "consumption in various patient populations.",
        (EVIDENCE, "Randomized Controlled Trials"),
    ),
    (
        "Research into ketamine derivatives with reduced psychoactive effects but retained "
        "analgesic properties is underway, potentially broadening clinical applicability.",
        (FUTURE, "Development of Ketamine Analogues"),
    ),
    (FAQ_NMDA, (FAQ, QUESTIONS[1])),
    (
        "When administered under medical supervision in controlled doses, ketamine therapy is "
        "generally considered safe.",
        (FAQ, QUESTIONS[3]),
    ),
    (CUT_OFF, (FAQ, QUESTIONS[4])),
    (
        "A thorough medical evaluation is necessary before starting treatment.",
        (FAQ, QUESTIONS[5]),
    ),
]


@pytest.mark.parametrize(("text", "path"), SAMPLE_CLAIMS)
def test_sample_claims(article: ParsedArticle, text: str, path: tuple[str, ...]) -> None:
    claim = claim_by_text(article, text)
    assert claim.section_path == path
    assert claim.fingerprint == fingerprint(text)


def test_claim_count_and_per_section_counts(article: ParsedArticle) -> None:
    assert len(article.claims) == 63
    per_top = Counter(
        claim.section_path[0] if claim.section_path else "" for claim in article.claims
    )
    assert per_top == {
        "": 4,
        UNDERSTANDING: 10,
        ADMINISTRATION: 10,
        CONDITIONS: 9,
        BENEFITS: 6,
        RISKS: 7,
        EVIDENCE: 4,
        FUTURE: 4,
        FAQ: 9,
    }
    assert [claim.ordinal for claim in article.claims] == list(range(63))


def test_page_break_sentence_is_one_claim_spanning_the_break(article: ParsedArticle) -> None:
    claim = claim_by_text(article, JOINED)
    raw = article.text[claim.start : claim.end]
    assert raw.startswith("Oral and sublingual")
    assert raw.endswith("intranasal routes.")
    assert "though they have\n\nlower bioavailability" in raw
    assert not claim.incomplete
    assert not any(c.text.startswith("lower bioavailability") for c in article.claims)
    assert not any(s.title.startswith("Oral and sublingual ketamine") for s in article.sections)


def test_cut_off_faq_sentence_is_kept_and_marked_incomplete(article: ParsedArticle) -> None:
    claim = claim_by_text(article, CUT_OFF)
    assert claim.incomplete
    assert [c.text for c in article.claims if c.incomplete] == [CUT_OFF]


def test_bullet_claim_keeps_its_label_without_emphasis(article: ParsedArticle) -> None:
    claim = claim_by_text(
        article,
        "Potential for Long-Term Pain Modulation: Some studies suggest ketamine may induce "
        "neuroplastic changes that prolong pain relief beyond the immediate treatment period.",
    )
    assert article.text[claim.start : claim.end].startswith("**Potential for Long-Term")
    assert not any("*" in c.text for c in article.claims)


def test_every_span_reads_as_its_claim(article: ParsedArticle) -> None:
    previous_end = -1
    for claim in article.claims:
        assert previous_end < claim.start < claim.end
        assert collapse(article.text[claim.start : claim.end]) == claim.text
        previous_end = claim.end


@pytest.mark.parametrize(
    "fragment",
    [
        "This article explores",
        "The following sections",
        "http",
        "Find other PDF",
        "Back to Home",
        "label{local-bound}",
        "Ketamine Therapy For Pain Management",
    ],
)
def test_non_claims_are_left_out(article: ParsedArticle, fragment: str) -> None:
    assert not [c.text for c in article.claims if fragment in c.text]


def test_toc_questions_and_resources_are_not_claims(article: ParsedArticle) -> None:
    texts = {claim.text for claim in article.claims}
    assert not texts & set(TOC)
    assert not texts & set(QUESTIONS)
    assert not any(claim.text.endswith("?") for claim in article.claims)
    for resource in article.resources:
        assert not any(resource.title in text for text in texts)
    assert not any(claim.section_path[:1] == (RESOURCES,) for claim in article.claims)


# ---------------------------------------------------------------------------------------------
# Resources


def test_nine_resources(article: ParsedArticle) -> None:
    assert [(r.ordinal, r.title) for r in article.resources] == [
        (1, "Ketamine for Chronic Pain: Mechanisms and Clinical Applications"),
        (2, "Ketamine Therapy in Pain Medicine: A Practical Guide"),
        (3, "Innovations in Ketamine Treatment for Pain and Depression"),
        (4, "Ketamine Infusions for Complex Regional Pain Syndrome"),
        (5, "Clinical Perspectives on Ketamine in Pain Management"),
        (6, "Ketamine and Pain: A New Frontier in Analgesia"),
        (7, "Managing Neuropathic Pain with Ketamine"),
        (8, "Ketamine-Assisted Therapy: Pain Relief and Beyond"),
        (9, "Advances in Ketamine Research for Pain Control"),
    ]


def test_resource_description_joined_across_page_break(article: ParsedArticle) -> None:
    fifth = article.resources[4]
    assert fifth.description == (
        "This collection of essays and studies presents diverse clinical experiences with "
        "ketamine therapy. Contributors include anesthesiologists, pain specialists, and "
        "psychiatrists who share their insights and treatment outcomes. The book highlights both "
        "successes and challenges in integrating ketamine into pain management plans."
    )
    raw = article.text[fifth.start : fifth.end]
    assert raw.startswith("- 5. Clinical Perspectives")
    assert raw.endswith("pain management plans.")
    last = article.resources[8]
    assert last.description.endswith(
        "researchers and clinicians seeking to stay current on ketamine innovations."
    )
    assert "Find other" not in article.text[last.start : last.end]


# ---------------------------------------------------------------------------------------------
# Categories


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (RAPID_ONSET, ClaimCategory.BENEFIT),
        (
            "Opioid-Sparing Effects: Ketamine can reduce the need for opioid medications, lowering "
            "the risk of addiction and associated side effects.",
            ClaimCategory.BENEFIT,
        ),
        (SIDE_EFFECTS, ClaimCategory.ADVERSE_EFFECT),
        (
            "These effects are generally transient and can be managed with appropriate monitoring.",
            ClaimCategory.ADVERSE_EFFECT,
        ),
        (CONTRAINDICATED, ClaimCategory.CONTRAINDICATION),
        (FAQ_CONTRAINDICATED, ClaimCategory.CONTRAINDICATION),
        (
            "Careful screening and ongoing assessment are essential to minimize risks.",
            ClaimCategory.CONTRAINDICATION,
        ),
        (
            "Multiple randomized controlled trials have shown ketamine's superiority over placebo "
            "in reducing neuropathic pain scores, improving quality of life, and decreasing opioid "
            "consumption in various patient populations.",
            ClaimCategory.EVIDENCE_SUMMARY,
        ),
        (
            "Comprehensive reviews of the available evidence confirm ketamine's role as an "
            "effective adjunctive therapy for chronic pain conditions, highlighting its benefits "
            "while underscoring the need for standardized protocols.",
            ClaimCategory.EVIDENCE_SUMMARY,
        ),
        (
            "Ketamine blocks NMDA receptors, which are glutamate receptors involved in excitatory "
            "neurotransmission.",
            ClaimCategory.MECHANISM,
        ),
        (
            "Ketamine is characterized by a rapid onset of action, typically within minutes when "
            "administered intravenously or intranasally.",
            ClaimCategory.PHARMACOKINETICS,
        ),
        (JOINED, ClaimCategory.ADMINISTRATION),
        (IV_MOST_COMMON, ClaimCategory.ADMINISTRATION),
        (
            "Ketamine infusions have shown efficacy in reducing pain intensity and improving "
            "function in CRPS patients.",
            ClaimCategory.EFFICACY,
        ),
        (
            "Current investigations focus on optimizing dosing regimens, long-term safety, and "
            "exploring novel delivery systems to enhance patient outcomes and expand indications.",
            ClaimCategory.RESEARCH_DIRECTION,
        ),
        (
            "The future of ketamine therapy for pain management is promising, with advancements "
            "aimed at maximizing therapeutic benefits while minimizing adverse effects.",
            ClaimCategory.RESEARCH_DIRECTION,
        ),
        (
            "Patients with fibromyalgia experience widespread musculoskeletal pain and heightened "
            "sensitivity.",
            ClaimCategory.GENERAL,
        ),
    ],
)
def test_categories(article: ParsedArticle, text: str, category: ClaimCategory) -> None:
    assert claim_by_text(article, text).category is category


def test_category_rule_says_why(article: ParsedArticle) -> None:
    assert claim_by_text(article, CONTRAINDICATED).category_rule == 'keyword "contraindicated"'
    assert claim_by_text(article, RAPID_ONSET).category_rule == f'section "{BENEFITS}"'


def test_categorise_order_and_fallback() -> None:
    assert categorise("Ketamine is contraindicated with nausea.", ()) == (
        ClaimCategory.CONTRAINDICATION,
        'keyword "contraindicated"',
    )
    assert categorise("It helps.", ("Side Effects",)) == (
        ClaimCategory.ADVERSE_EFFECT,
        'section "Side Effects"',
    )
    assert categorise("It helps.", ()) == (ClaimCategory.GENERAL, "no rule matched")
    assert all(rule.pattern.flags & re.IGNORECASE for rule in KEYWORD_RULES)


# ---------------------------------------------------------------------------------------------
# FAQ restatements


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        (FAQ_NMDA, NMDA_BLOCKADE),
        (FAQ_CONTRAINDICATED, CONTRAINDICATED),
        (FAQ_SIDE_EFFECTS, SIDE_EFFECTS),
        (FAQ_IV, IV_MOST_COMMON),
    ],
)
def test_faq_answers_restate_body_claims(article: ParsedArticle, answer: str, body: str) -> None:
    assert claim_by_text(article, answer).restates == claim_by_text(article, body).ordinal


@pytest.mark.parametrize(
    "answer",
    [
        "When administered under medical supervision in controlled doses, ketamine therapy is "
        "generally considered safe.",
        CUT_OFF,
        "A thorough medical evaluation is necessary before starting treatment.",
    ],
)
def test_faq_answers_without_counterpart(article: ParsedArticle, answer: str) -> None:
    assert claim_by_text(article, answer).restates is None


def test_only_faq_answers_restate(article: ParsedArticle) -> None:
    for claim in article.claims:
        if claim.restates is not None:
            assert claim.section_path[0] == FAQ
            assert article.claims[claim.restates].section_path[:1] != (FAQ,)


def test_all_restatements_of_the_shipped_faq(article: ParsedArticle) -> None:
    links = {c.ordinal: c.restates for c in article.claims if c.restates is not None}
    assert links == {54: 0, 55: 27, 56: 1, 58: 40, 60: 44, 62: 16}


# ---------------------------------------------------------------------------------------------
# Markdown, newlines, BOM

MARKDOWN = """# Ketamine for Pain

Ketamine is an anaesthetic, e.g. for surgery. Dr. Smith et al. described it in 1965.

## Mechanism
Ketamine blocks NMDA receptors in the spinal cord.

### Receptors

* **Opioid receptors:** Ketamine also binds *opioid* receptors. This effect is weak.
* NMDA

## Side Effects

- Nausea and dizziness are common side effects.

## FAQ

### How does ketamine work?

Ketamine works by blocking NMDA receptors in the spinal cord.

**Is it safe?**

This question is answered in the side effects section of this article.

## Further Reading

1. Ketamine: A Review
   A short description of ketamine.
"""


def test_markdown_article() -> None:
    article = parse_article(MARKDOWN)
    assert article.title == "Ketamine for Pain"
    assert [(s.level, s.kind, s.path) for s in article.sections] == [
        (1, SectionKind.HEADING, ("Mechanism",)),
        (2, SectionKind.HEADING, ("Mechanism", "Receptors")),
        (1, SectionKind.HEADING, ("Side Effects",)),
        (1, SectionKind.HEADING, ("FAQ",)),
        (2, SectionKind.QUESTION, ("FAQ", "How does ketamine work?")),
        (2, SectionKind.QUESTION, ("FAQ", "Is it safe?")),
        (1, SectionKind.HEADING, ("Further Reading",)),
    ]
    assert [(c.text, c.section_path) for c in article.claims] == [
        ("Ketamine is an anaesthetic, e.g. for surgery.", ()),
        ("Dr. Smith et al. described it in 1965.", ()),
        ("Ketamine blocks NMDA receptors in the spinal cord.", ("Mechanism",)),
        (
            "Opioid receptors: Ketamine also binds opioid receptors.",
            ("Mechanism", "Receptors"),
        ),
        ("This effect is weak.", ("Mechanism", "Receptors")),
        ("Nausea and dizziness are common side effects.", ("Side Effects",)),
        (
            "Ketamine works by blocking NMDA receptors in the spinal cord.",
            ("FAQ", "How does ketamine work?"),
        ),
    ]
    assert article.claims[6].restates == 2
    assert [(r.ordinal, r.title, r.description) for r in article.resources] == [
        (1, "Ketamine: A Review", "A short description of ketamine.")
    ]
    for claim in article.claims:
        assert collapse(article.text[claim.start : claim.end]) == claim.text


def test_format_can_be_forced() -> None:
    text = "# Not a heading in plain text\n\nKetamine blocks NMDA receptors in the cord.\n"
    as_markdown = parse_article(text)
    assert as_markdown.title == "Not a heading in plain text"
    as_text = parse_article(text, fmt="text")
    assert as_text.title == "# Not a heading in plain text"
    assert (
        parse_article("Title\n\n## Dosing\n\nKetamine is given slowly.", fmt="text")
        .sections[0]
        .title
        == "## Dosing"
    )


def signature(article: ParsedArticle) -> list[tuple[str, tuple[str, ...], int, int]]:
    return [(c.text, c.section_path, c.start, c.end) for c in article.claims]


def test_crlf_cr_and_bom_give_the_same_claims(raw_text: str, article: ParsedArticle) -> None:
    for variant in (
        raw_text.replace("\n", "\r\n"),
        raw_text.replace("\n", "\r"),
        "\ufeff" + raw_text.replace("\n", "\r\n"),
    ):
        parsed = parse_article(variant)
        assert parsed.text == raw_text == normalise_newlines(variant)
        assert signature(parsed) == signature(article)
        assert parsed.content_hash == article.content_hash
        assert len(parsed.resources) == 9


def test_no_toc_means_every_heading_is_top_level() -> None:
    text = (
        "A Title\n\nIntro sentence about ketamine here.\n\nDosing\n\nKetamine is given slowly."
        "\n\nSafety\n\nKetamine can cause nausea in some patients.\n"
    )
    article = parse_article(text)
    assert [(s.level, s.title) for s in article.sections] == [(1, "Dosing"), (1, "Safety")]
    assert [c.section_path for c in article.claims] == [(), ("Dosing",), ("Safety",)]


# ---------------------------------------------------------------------------------------------
# Fingerprints


def test_fingerprint_ignores_case_whitespace_punctuation_and_emphasis() -> None:
    base = fingerprint("Ketamine blocks NMDA receptors.")
    assert base == fingerprint("  ketamine   BLOCKS\nNMDA receptors ")
    assert base == fingerprint("**Ketamine** blocks NMDA receptors!")
    assert re.fullmatch(r"[0-9a-f]{16}", base)


def test_fingerprint_differs_for_different_wording() -> None:
    assert fingerprint("Ketamine blocks NMDA receptors.") != fingerprint(
        "Ketamine blocks opioid receptors."
    )
    assert fingerprint("within minutes") != fingerprint("within a few minutes")


# ---------------------------------------------------------------------------------------------
# Reconciliation


def stored_from(article: ParsedArticle) -> list[StoredClaim]:
    return [
        StoredClaim(1000 + c.ordinal, c.text, c.fingerprint, c.section_path) for c in article.claims
    ]


def test_reconcile_identical_revision_keeps_everything(article: ParsedArticle) -> None:
    result = reconcile(stored_from(article), article.claims)
    assert result.kept == tuple((1000 + c.ordinal, c.ordinal) for c in article.claims)
    assert result.edited == ()
    assert result.added == result.retired == ()


def test_reconcile_edited_revision(article: ParsedArticle, raw_text: str) -> None:
    deleted = (
        "These effects are generally transient and can be managed with appropriate monitoring."
    )
    new_sentence = "Ketamine should be avoided during pregnancy."
    edited_text = (
        raw_text.replace("analgesia within minutes, which", "analgesia within a few minutes, which")
        .replace(" " + deleted, "")
        .replace(CONTRAINDICATED, CONTRAINDICATED + " " + new_sentence)
    )
    assert edited_text.count("within a few minutes") == 1
    revision = parse_article(edited_text)
    assert len(revision.claims) == len(article.claims)  # one deleted, one added

    result = reconcile(stored_from(article), revision.claims)

    old_rapid = claim_by_text(article, RAPID_ONSET)
    new_rapid = claim_by_text(
        revision, RAPID_ONSET.replace("within minutes", "within a few minutes")
    )
    assert result.edited == ((1000 + old_rapid.ordinal, new_rapid.ordinal),)
    assert result.retired == (1000 + claim_by_text(article, deleted).ordinal,)
    assert result.added == (claim_by_text(revision, new_sentence).ordinal,)
    assert len(result.kept) == len(article.claims) - 2
    for stored_id, ordinal in result.kept:
        assert article.claims[stored_id - 1000].text == revision.claims[ordinal].text


def test_reconcile_pairs_duplicates_one_to_one() -> None:
    text = "Ketamine relieves pain quickly."
    same = fingerprint(text)
    stored = [StoredClaim(1, text, same, ("A",)), StoredClaim(2, text, same, ("B",))]
    new = parse_article(f"T\n\n{text} {text} {text}").claims
    result = reconcile(stored, new)
    assert result.kept == ((1, 0), (2, 1))
    assert result.added == (2,)
    assert result.retired == ()
    assert result.edited == ()


def test_reconcile_prefers_the_same_section_for_edits() -> None:
    article = parse_article(
        "T\n\nIntro text is short here.\n\nA\n\nKetamine relieves pain in most patients.\n\n"
        "B\n\nKetamine relieves pain in most patients.\n"
    )
    old = "Ketamine relieves pain in almost all patients."
    stored = [StoredClaim(7, old, fingerprint(old), ("B",))]
    result = reconcile(stored, article.claims)
    assert result.edited == ((7, 2),)
    assert result.added == (0, 1)


def test_reconcile_dissimilar_wording_is_retired_and_added() -> None:
    stored = [
        StoredClaim(1, "Ketamine is an old drug.", fingerprint("Ketamine is an old drug."), ())
    ]
    new = parse_article("T\n\nMorphine acts on opioid receptors in the brain.").claims
    result = reconcile(stored, new)
    assert (result.kept, result.edited, result.added, result.retired) == ((), (), (0,), (1,))


# ---------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("text", ["", "   \n\n\t", "\ufeff", "\r\n\r\n"])
def test_empty_text_is_an_error(text: str) -> None:
    with pytest.raises(ArticleError, match="empty"):
        parse_article(text)


@pytest.mark.parametrize(
    "text",
    [
        "Title\n\nFirst Heading\n\nSecond Heading\n",
        "- one\n- two\n",
        "Title\n\nhttps://example.org/page\n",
        "# Title\n\n## Heading\n",
    ],
)
def test_text_without_sentences_is_an_error(text: str) -> None:
    with pytest.raises(ArticleError, match="no sentences"):
        parse_article(text)


# ---------------------------------------------------------------------------------------------
# Property: any text of realistic lines parses, and spans read as their claims

WORDS = st.sampled_from(
    [
        "ketamine",
        "reduces",
        "pain",
        "NMDA",
        "e.g.",
        "Dr.",
        "(IV)",
        "**bold**",
        "*it*",
        "__u__",
        "1.5",
        "patients",
        "receptors",
        "vs.",
        "J.",
        "the",
        "Find other PDF articles:",
        "https://example.org",
    ]
)
SENTENCE = st.builds(
    lambda first, rest, end: " ".join([first, *rest]) + end,
    st.sampled_from(["Ketamine", "Patients", "It", "the", "This article", "Side effects"]),
    st.lists(WORDS, max_size=8),
    st.sampled_from([".", "", "?", "!", ":"]),
)
LINE = st.one_of(
    st.sampled_from(
        [
            "Mechanism of Action",
            "Frequently Asked Questions",
            "Additional Resources",
            "What is ketamine?",
            "## Dosing",
            "# Title",
            "- Mechanism of Action",
            "- 1. A Book Title",
            "",
            "",
        ]
    ),
    st.lists(SENTENCE, min_size=1, max_size=3).map(" ".join),
    SENTENCE.map(lambda s: "- " + s),
    SENTENCE.map(lambda s: "- **Label:** " + s),
    SENTENCE.map(lambda s: "  " + s.lower()),
    st.text(alphabet="ab .*#-?:\t\r", max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=25), st.sampled_from(["\n", "\r\n"]))
def test_parse_never_crashes_and_spans_read_as_claims(lines: list[str], newline: str) -> None:
    try:
        article = parse_article(newline.join(lines))
    except ArticleError:
        return
    assert article.claims
    assert [c.ordinal for c in article.claims] == list(range(len(article.claims)))
    previous_end = -1
    for claim in article.claims:
        assert previous_end < claim.start < claim.end <= len(article.text)
        if claim.items:  # a sentence and the fragments of the list it introduces
            raw = collapse(article.text[claim.start : claim.end])
            assert all(item in raw for item in claim.items)
            assert claim.text.endswith("; ".join(claim.items))
        else:
            assert collapse(article.text[claim.start : claim.end]) == claim.text
        assert "?" not in claim.text[-1:]
        previous_end = claim.end
    for section in article.sections:
        assert section.level >= 1 and section.path[-1] == section.title
