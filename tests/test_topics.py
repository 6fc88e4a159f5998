"""The gap map's topic rules: each rule fires on its words, whatever their case, and only
there; the trigger words never hide a match of the rule's pattern."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.topics import CONDITIONS, ROUTES, RULES, topics_for

EXAMPLES = {
    "neuropathic pain": ["Painful diabetic NEUROPATHY", "postherpetic neuralgia",
                         "phantom limb pain", "after nerve injury"],
    "CRPS": ["CRPS type 1", "Complex Regional Pain Syndrome"],
    "fibromyalgia": ["Fibromyalgia: a review"],
    "cancer pain": ["Cancer pain", "oncology ward", "palliative care"],
    "migraine": ["Refractory migraine", "chronic daily headache"],
    "post-surgical": ["postoperative analgesia", "Post-operative", "intraoperative ketamine",
                      "after spinal fusion", "perioperative", "knee surgery"],
    "IV": ["Intravenous ketamine", "IV ketamine", "a 4-day infusion"],
    "intranasal": ["Intranasal spray", "nasal ketamine", "snorting"],
    "oral/sublingual": ["Oral ketamine", "given orally", "sublingual lozenge"],
    "intramuscular": ["Intramuscular", "IM injection"],
    "topical": ["topical 10% cream", "a gel", "transdermal patch"],
    "subcutaneous": ["subcutaneous infusion", "SC ketamine", "given s.c. daily"],
}


@pytest.mark.parametrize(("value", "texts"), EXAMPLES.items())
def test_each_rule_fires_on_its_words(value: str, texts: list[str]) -> None:
    for text in texts:
        assert value in {v for _, v in topics_for([text])}, text


def test_rules_cover_the_gap_map_axes() -> None:
    assert {r.value for r in RULES if r.facet == "condition"} == set(CONDITIONS)
    assert {r.value for r in RULES if r.facet == "route"} == set(ROUTES)
    assert topics_for(["Internet Protocol version 6 addressing architecture"]) == []
    assert topics_for([None, "", "Archive of derivative works"]) == []


@given(st.lists(st.sampled_from(
    [w for texts in EXAMPLES.values() for t in texts for w in t.split()]
    + ["pain", "the", "ketamine", "of", "(IV)", "s.c.", "trial"]), max_size=12))
def test_triggers_never_hide_a_pattern_match(words: list[str]) -> None:
    text = " ".join(words)
    expected = [(r.facet, r.value) for r in RULES if r.pattern.search(text)]
    assert topics_for([text]) == expected


def _reference(texts: list[str | None]) -> list[tuple[str, str]]:
    """The rules as written (IGNORECASE, gated by the trigger words): what `topics_for`'s
    faster ASCII patterns must agree with."""
    joined = "\n".join(t for t in texts if t)
    lowered = joined.lower()
    return [(r.facet, r.value) for r in RULES
            if any(t in lowered for t in r.triggers) and r.pattern.search(joined)]


_PIECES = ["sc", "SC", "s.c.", "S.C.", "s.c", "iv", "IV", "im", "IM", "intravenous", "infusion",
           "intramuscular", "subcutaneous", "Subcutaneous", "disc", "effective", "him", "_",
           "-", ".", " ", "\n", "x", "1", "(", ")", "ſc", "İv", "Ⅳ", "non-cancer", "nasal"]


@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_ascii_patterns_agree_with_the_rules(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert topics_for([text]) == _reference([text])
    assert topics_for([text, " ".join(pieces)]) == _reference([text, " ".join(pieces)])


def test_ascii_patterns_agree_on_the_corpora() -> None:
    """Every entry of the shared BibTeX corpora tagged as the rules as written tag it."""
    from pathlib import Path

    from tracker import bibtex

    corpora = Path(__file__).resolve().parents[2] / "shared" / "corpora"
    files = sorted(corpora.glob("**/*.bib"))
    if not files:
        pytest.skip("the shared corpora are not present")
    checked = 0
    for path in files:
        text, _ = bibtex.read_bib_file(path)
        for r in bibtex.parse_bibtex(text, path.name).records:
            texts = [r.title, r.abstract, " ".join(r.keywords), r.extra.get("finding")]
            assert topics_for(texts) == _reference(texts), (path.name, r.key)
            checked += 1
    assert checked > 1000
