"""Article formats and rules beyond the seed: furniture, self-descriptions, lists, sentences in
other languages, Markdown as CMSs write it, and the article's own citations (pure)."""

from __future__ import annotations

import pytest

from tracker.article import parse_article, parse_page
from tracker.article.cited import classify_link, find_references, normalise_doi
from tracker.article.furniture import furniture_kind, is_not_a_claim, parse_date
from tracker.article.language import word_count


def claims(text: str, **options: object) -> list[str]:
    return [c.text for c in parse_article(text, **options).claims]  # type: ignore[arg-type]


# --- furniture and self-descriptions -----------------------------------------------------------


@pytest.mark.parametrize(("line", "kind"), [
    ("By Jane Doe, MD", "byline"),
    ("Medically reviewed by Sam Lee, PharmD", "byline"),
    ("Page last reviewed: 10 January 2023", "date"),
    ("Published 2023-03-12", "date"),
    ("Categories: Pain, Ketamine", "category"),
    ("Home > Health A to Z > Flu", "breadcrumb"),
    ("Schedule a free consultation", "call-to-action"),
    ("Request your free 15-minute call", "call-to-action"),
    ("Book an appointment", "call-to-action"),
    ("Sign up for our newsletter", "sign-up"),
    ("Share this page", "share"),
    ("This information is not intended to replace the advice of your doctor.", "disclaimer"),
])
def test_furniture_lines_are_recognised_by_what_they_do(line: str, kind: str) -> None:
    found = furniture_kind(line)
    assert found is not None and found.kind == kind


@pytest.mark.parametrize("line", [
    "Call 999 or go to A&E if you have chest pain.",
    "By inhibiting these receptors, ketamine reduces pain.",
    "Ketamine blocks NMDA receptors.",
    "This medicine provides relief from pain.",
    "This vaccine is for people aged 65 and over.",
])
def test_statements_are_not_furniture(line: str) -> None:
    assert not is_not_a_claim(line)


@pytest.mark.parametrize("sentence", [
    "This leaflet has been produced to give you general information about your treatment.",
    "In this guide we'll look at the causes of flu.",
    "This booklet will give you a basic understanding of the most common herbs.",
    "This factsheet explains how the vaccine is given.",
    "Here you'll find answers to common questions.",
    "For more information, see our page on flu.",
])
def test_self_descriptions_and_pointers_are_not_claims(sentence: str) -> None:
    assert is_not_a_claim(sentence)


def test_metadata_comes_from_bylines_and_dates_never_claims() -> None:
    article = parse_article(
        "Flu vaccines explained\n\nBy Jane Doe, MD\n\nPublished 12 March 2023\n\n"
        "Home > Vaccines > Flu\n\nThe flu vaccine is offered every year to adults over 65.\n\n"
        "Schedule a free consultation\n")
    assert article.title == "Flu vaccines explained"
    assert [c.text for c in article.claims] == [
        "The flu vaccine is offered every year to adults over 65."]
    assert (article.metadata.author, article.metadata.published) == ("Jane Doe, MD", "2023-03-12")
    assert not article.sections


def test_a_stray_token_before_the_title_is_left_out() -> None:
    article = parse_article("utm_source=newsletter\n\nHerbal Medicine\n\n"
                            "Some herbs can interact with prescription medicines.\n")
    assert article.title == "Herbal Medicine"
    assert not article.sections


def test_parse_date_forms() -> None:
    assert parse_date("12 March 2023") == "2023-03-12"
    assert parse_date("March 12, 2023") == "2023-03-12"
    assert parse_date("2023年3月12日") == "2023-03-12"
    assert parse_date("someday") == "someday"


# --- lists --------------------------------------------------------------------------------------


def test_fragment_items_belong_to_the_sentence_introducing_them() -> None:
    article = parse_article(
        "T\n\nKetamine is used for several conditions, including:\n\n- neuropathic pain\n"
        "- complex regional pain syndrome\n- fibromyalgia\n\nIt is given by infusion.\n")
    first = article.claims[0]
    assert first.items == ("neuropathic pain", "complex regional pain syndrome", "fibromyalgia")
    assert first.text == ("Ketamine is used for several conditions, including: neuropathic "
                          "pain; complex regional pain syndrome; fibromyalgia")
    assert [c.text for c in article.claims[1:]] == ["It is given by infusion."]


def test_full_statement_items_are_claims_and_name_lists_are_not() -> None:
    text = ("T\n\nBenefits\n\n- Ketamine can reduce the need for opioid medications.\n"
            "- Rapid onset: it works within minutes.\n\nConditions\n\n"
            "- complex regional pain syndrome type one and two\n- neuropathic pain\n")
    assert claims(text) == ["Ketamine can reduce the need for opioid medications.",
                            "Rapid onset: it works within minutes."]


def test_a_short_introducing_sentence_is_a_claim_with_its_list() -> None:
    assert claims("T\n\nSymptoms include:\n\n- fever;\n- a dry cough.\n") == [
        "Symptoms include: fever; a dry cough"]


# --- sentences ----------------------------------------------------------------------------------


def test_a_sentence_starting_in_lower_case_is_split_off() -> None:
    assert claims("T\n\nKetamine is an anaesthetic. it is also used for pain relief.\n") == [
        "Ketamine is an anaesthetic.", "it is also used for pain relief."]


@pytest.mark.parametrize("sentence", [
    "Dr. Smith et al. described it in 1965 vs. placebo.",
    "The dose was approx. 0.5 mg per kg, e.g. in adults.",
    "Doses of 2.5 mg. were used in the U.S. trials.",
    "It works... eventually, in some patients.",
    "He said (in 2019) that it \"works\" for most patients.",
])
def test_abbreviations_decimals_units_ellipses_quotes_stay_in_one_sentence(sentence: str) -> None:
    assert claims(f"T\n\n{sentence}\n") == [sentence]


def test_word_count_in_unspaced_scripts() -> None:
    assert word_count("デング熱は蚊が媒介します。") >= 3
    assert word_count("Ketamine blocks receptors") == 3


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("T\n\nLa influenza es una enfermedad contagiosa. El Dr. García lo confirmó en 2009.\n",
     "es", ["La influenza es una enfermedad contagiosa.", "El Dr. García lo confirmó en 2009."]),
    ("T\n\nDie Impfung erfolgt z. B. im zweiten Lebensjahr. Sie schützt vor Masern.\n", "de",
     ["Die Impfung erfolgt z. B. im zweiten Lebensjahr.", "Sie schützt vor Masern."]),
    ("T\n\nLe vaccin protège contre la rougeole. Il est sûr et efficace chez l'enfant.\n", "fr",
     ["Le vaccin protège contre la rougeole.", "Il est sûr et efficace chez l'enfant."]),
    ("T\n\nالإنفلونزا مرض تنفسي معد، تسببه فيروسات الإنفلونزا. هل اللقاح آمن؟ اللقاح آمن وفعال.\n",
     "ar", ["الإنفلونزا مرض تنفسي معد، تسببه فيروسات الإنفلونزا.", "اللقاح آمن وفعال."]),
    ("T\n\nデング熱は蚊が媒介する感染症です。予防のため、蚊に刺されないようにすることが重要です。\n",
     "ja", ["デング熱は蚊が媒介する感染症です。",
            "予防のため、蚊に刺されないようにすることが重要です。"]),
])
def test_other_languages_are_split_into_sentences(text: str, language: str,
                                                  expected: list[str]) -> None:
    assert claims(text, language=language) == expected
    assert parse_article(text).language == language  # detected without being told


# --- Markdown -----------------------------------------------------------------------------------


def test_front_matter_comments_and_setext_headings() -> None:
    text = ("---\ntitle: Front title\nauthor: Ann Author\ndate: 2022-05-01\nlang: en\n---\n"
            "<!-- tracking: abc -->\n# Real title\n\nOverview\n========\n\n"
            "Ketamine is an [anaesthetic](https://en.example.org/x) used since 1970.\n\n"
            "Details\n-------\n\nIt blocks NMDA receptors in the brain.\n")
    article = parse_article(text)
    assert article.title == "Real title"
    assert [(s.title, s.level) for s in article.sections] == [("Overview", 1), ("Details", 2)]
    assert [c.text for c in article.claims] == [
        "Ketamine is an anaesthetic used since 1970.", "It blocks NMDA receptors in the brain."]
    assert (article.metadata.author, article.metadata.published) == ("Ann Author", "2022-05-01")
    assert article.text == text  # spans refer to the file as written


def test_a_comment_before_the_title_does_not_push_sections_down() -> None:
    article = parse_article("<!-- wp:heading -->\n# Flu\n\n## Symptoms\n\nFlu causes fever.\n\n"
                            "## Treatment\n\nRest helps most people recover.\n", fmt="markdown")
    assert article.title == "Flu"
    assert [(s.title, s.level) for s in article.sections] == [("Symptoms", 1), ("Treatment", 1)]


# --- HTML ---------------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html><html lang="en"><head><title>Flu | Example Health</title></head><body>
<div class="cookie"><p>We use cookies. Accept all cookies</p></div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/a-z">Health A-Z</a></li></ul></nav>
<main><article><h1>Flu</h1><p class="byline">By Jane Doe, MD</p>
<p>Flu vaccines reduce the risk of flu by about half in healthy adults
(<a href="https://pubmed.ncbi.nlm.nih.gov/29388196/">Demicheli 2018</a>).</p>
<p>A 2022 review found similar results
(<a href="https://doi.org/10.1002/14651858.CD001269.pub6">Cochrane</a>).</p>
<div class="share"><a href="#">Share on Facebook</a></div>
<aside><h2>Related articles</h2><ul><li><a href="/cold">Cold</a></li></ul></aside>
<form><label>Sign up for our newsletter</label><input><button>Subscribe</button></form>
</article></main><footer><p>Copyright Example Health</p></footer></body></html>"""


def test_a_web_page_keeps_its_article_and_its_citations() -> None:
    article = parse_page(PAGE, url="https://health.example.org/flu")
    assert article.title == "Flu" and article.language == "en"
    assert article.metadata.author == "Jane Doe, MD"
    assert [c.text for c in article.claims] == [
        "Flu vaccines reduce the risk of flu by about half in healthy adults (Demicheli 2018).",
        "A 2022 review found similar results (Cochrane).",
    ]
    cited = [(c.kind, c.identifier, c.link_text, c.claim_ordinal) for c in article.cited]
    assert cited == [
        ("pmid", "29388196", "Demicheli 2018", 0),
        ("phrase", "A 2022 review", "A 2022 review", 1),
        ("doi", "10.1002/14651858.cd001269.pub6", "Cochrane", 1),
    ]
    for word in ("cookies", "Home", "Share", "Related", "Cold", "newsletter", "Copyright"):
        assert word not in article.text


# --- citations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "expected"), [
    ("https://doi.org/10.1056/NEJMoa2034577", ("doi", "10.1056/nejmoa2034577")),
    ("https://pubmed.ncbi.nlm.nih.gov/29388196/", ("pmid", "29388196")),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC3136130/", ("pmcid", "PMC3136130")),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC2517879/", ("pmcid", "PMC2517879")),
    ("https://europepmc.org/article/MED/29388196", ("pmid", "29388196")),
    ("https://www.nejm.org/doi/full/10.1056/NEJMoa2034577", ("doi", "10.1056/nejmoa2034577")),
    ("https://www.thelancet.com/journals/lancet/article/home", ("journal",
     "https://www.thelancet.com/journals/lancet/article/home")),
    ("https://www.nhs.uk/conditions/flu/", None),
])
def test_links_to_studies_are_classified_and_normalised(url: str, expected: object) -> None:
    assert classify_link(url) == expected


def test_identifiers_written_out_are_found() -> None:
    found = find_references("See doi:10.1056/NEJMoa2034577. PMID: 29388196; PMC3136130 and "
                            "Smith et al. (2020).")
    assert [(r.kind, r.identifier) for r in found] == [
        ("doi", "10.1056/nejmoa2034577"), ("pmid", "29388196"), ("pmcid", "PMC3136130"),
        ("phrase", "Smith et al. (2020)")]
    assert normalise_doi("https://doi.org/10.1000/ABC).") == "10.1000/abc"
