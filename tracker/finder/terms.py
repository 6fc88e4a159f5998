"""What to look for: the words of a claim or of a search, as concepts with their alternative
forms (pure rules, documented with examples in docs/finder.md).

A claim's text becomes a list of `Concept`s: each content word of the sentence, or each phrase
of the synonym table found in it, with the forms a study may use for it ("CRPS" is also
"complex regional pain syndrome" and "reflex sympathetic dystrophy"). Stop words (English
function words) and reporting words ("studies have shown") are dropped: they say how the claim
talks about evidence, not what it is about. A search (`tracker citations search`) becomes a list
of `SearchTerm`s: each word matched on its own, each quoted phrase as a phrase, each with the
same synonyms.

Words are compared folded (lower case, accents removed) and stemmed with the Snowball English
stemmer, so "randomised", "randomized" and "randomization" meet; the database's own index
stems the forms again in its own way (SQLite FTS5's Porter stemmer, PostgreSQL's `english`
configuration), which is why forms are kept as written, not as stems.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer  # type: ignore[import-untyped]

# --- words -----------------------------------------------------------------------------------

#: A word: a run of letters and digits (an underscore separates, as in SQLite's unicode61).
_WORD = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("english")


class Word(NamedTuple):
    """A word of a text: folded form, where it stands, and whether it was written in capitals
    (abbreviations of the synonym table count only then: "IV" is intravenous, "iv" is not)."""

    folded: str
    start: int
    end: int
    capitals: bool


def clean(text: str) -> str:
    """`text` with control characters (NUL included) and lone surrogates as spaces: neither
    database takes them in a query."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)


def fold(text: str) -> str:
    """Lower case without accents: "Écarté" → "ecarte"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words(text: str) -> list[Word]:
    """The words of `text` with their character spans (in `text`)."""
    found = []
    for match in _WORD.finditer(text):
        raw = match.group(0)
        found.append(Word(fold(raw), match.start(), match.end(),
                          len(raw) > 1 and raw.isupper()))
    return found


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) English stem of a folded word."""
    return str(_STEMMER.stemWord(word))


def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w.folded) for w in words(text))


# --- words that say nothing about the subject ------------------------------------------------

#: English function words (articles, pronouns, auxiliaries, prepositions, conjunctions).
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS: frozenset[str] = _word_set("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each either else
ever every few for from further had has have having he her here hers herself him himself his
how however i if in into is it its itself just least less many may me might more most much
must my myself neither no nor not of off on once only or other our ours ourselves out over own
per rather same shall she should so some such than that the their theirs them themselves then
there these they this those though through thus to too under until up upon us very was we
were what when where whether which while who whom whose why will with within without would
yet you your yours
""")

#: Words a claim uses to talk about evidence rather than its subject ("Research has shown
#: that…", "studies suggest…"): every abstract could match them.
REPORTING_WORDS: frozenset[str] = _word_set("""
according claim claimed claims conclude concluded confirm confirmed confirms demonstrate
demonstrated demonstrates evidence finding findings found generally indicate indicated
indicates known often reported reports research researchers said say says show showed shown
shows studies study suggest suggested suggests
""")


def is_stop_word(folded: str) -> bool:
    """A function or reporting word, or a single letter (digits are kept: "5 days")."""
    return (folded in STOP_WORDS or folded in REPORTING_WORDS
            or (len(folded) == 1 and not folded.isdigit()))


# --- synonyms --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SynonymGroup:
    """Forms that name the same thing for the purpose of finding studies. `abbreviations` are
    forms that count in a claim only when written in capitals (they are also searched for)."""

    forms: tuple[str, ...]
    abbreviations: tuple[str, ...] = ()
    note: str = ""

    @property
    def all_forms(self) -> tuple[str, ...]:
        return self.forms + self.abbreviations


def _group(*forms: str, abbreviations: Sequence[str] = (), note: str = "") -> SynonymGroup:
    return SynonymGroup(tuple(forms), tuple(abbreviations), note)


#: The medical synonym table. Each group lists forms a study may use for one thing; a claim
#: (or a search) naming any of them looks for all of them. Hyphenated forms are the same as
#: the words with a space ("post-operative" = "post operative"); plurals and other endings
#: are handled by stemming, so they are not listed.
SYNONYMS: tuple[SynonymGroup, ...] = (
    # the drug and its enantiomers
    _group("ketamine", "esketamine", "arketamine", "ketalar", "spravato",
           note="racemic ketamine, its S- and R-enantiomers and their brand names"),
    _group("nmda", "n methyl d aspartate", note="the receptor ketamine blocks"),
    # conditions
    _group("complex regional pain syndrome", "reflex sympathetic dystrophy", "causalgia",
           abbreviations=("crps",), note="RSD and causalgia are CRPS's older names"),
    _group("treatment resistant depression", "refractory depression",
           abbreviations=("trd",)),
    _group("major depressive disorder", abbreviations=("mdd",)),
    _group("post traumatic stress disorder", "posttraumatic stress disorder",
           abbreviations=("ptsd",)),
    _group("postoperative", "post operative", "postsurgical", "post surgical",
           "after surgery"),
    _group("perioperative", "peri operative"),
    _group("cancer pain", "cancer related pain", "oncologic pain", "malignant pain"),
    _group("chronic pain", "persistent pain", "long term pain"),
    _group("neuropathic pain", "nerve pain", "neuralgia"),
    _group("covid 19", "sars cov 2", "2019 ncov", "coronavirus disease 2019",
           note="the disease and its virus"),
    _group("myocardial infarction", "heart attack", abbreviations=("mi",)),
    _group("hypertension", "high blood pressure"),
    _group("intensive care unit", "critical care", abbreviations=("icu",)),
    # routes of administration
    _group("intravenous", abbreviations=("iv",)),
    _group("intramuscular", abbreviations=("im",)),
    _group("subcutaneous", abbreviations=("sc",)),
    _group("intranasal", "nasal spray"),
    _group("oral", "by mouth", abbreviations=("po",)),
    _group("sublingual", "under the tongue"),
    # effects and outcomes
    _group("adverse effects", "side effects", "adverse events", "adverse reactions"),
    _group("analgesia", "analgesic", "pain relief", "pain control"),
    _group("opioid sparing", "reduced opioid consumption"),
    _group("mortality", "death rate", "fatality rate"),
    _group("anesthesia", "anaesthesia", "anesthetic", "anaesthetic"),
    # British and American spellings Snowball does not join
    _group("pediatric", "paediatric"),
    _group("edema", "oedema"),
    _group("hemorrhage", "haemorrhage"),
    _group("tumor", "tumour"),
    _group("behavior", "behaviour"),
    _group("hospitalization", "hospitalisation"),
    _group("randomized", "randomised"),
    _group("esophageal", "oesophageal"),
)


class _Form(NamedTuple):
    stems: tuple[str, ...]
    abbreviation: bool
    group: SynonymGroup


@lru_cache(maxsize=1)
def _forms_by_first_stem() -> dict[str, list[_Form]]:
    """Every form of the table by its first stem, longest first (the longest match wins)."""
    table: dict[str, list[_Form]] = {}
    for group in SYNONYMS:
        for form in group.all_forms:
            form_stems = stems(form)
            table.setdefault(form_stems[0], []).append(
                _Form(form_stems, form in group.abbreviations, group))
    for forms in table.values():
        forms.sort(key=lambda f: -len(f.stems))
    return table


def _synonym_at(found: Sequence[Word], position: int, *, abbreviations_any_case: bool
                ) -> tuple[SynonymGroup, int] | None:
    """The synonym group whose form starts at word `position`, and the number of words it
    covers; None when no form of the table starts there."""
    first = stem(found[position].folded)
    for form in _forms_by_first_stem().get(first, []):
        end = position + len(form.stems)
        if end > len(found):
            continue
        if tuple(stem(w.folded) for w in found[position:end]) != form.stems:
            continue
        if form.abbreviation and not abbreviations_any_case and not found[position].capitals:
            continue
        return form.group, len(form.stems)
    return None


# --- concepts of a claim ---------------------------------------------------------------------

#: A concept the synonym table names (a drug, a condition, a route, an outcome) weighs this
#: much more than a plain word: it says what the claim is about. So does an extra term (a
#: confirmed PICO tag).
NAMED_WEIGHT = 2.0
EXTRA_WEIGHT = 2.0


@dataclass(frozen=True, slots=True)
class Concept:
    """One thing the claim is about: `label` as the claim writes it, `forms` to look for (the
    label's own form first; a form of several words is a phrase)."""

    label: str
    forms: tuple[str, ...]
    weight: float = 1.0
    stems: tuple[tuple[str, ...], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.stems:
            object.__setattr__(self, "stems",
                               tuple(s for s in dict.fromkeys(stems(f) for f in self.forms) if s))


def _concept(label: str, group: SynonymGroup, weight: float = NAMED_WEIGHT) -> Concept:
    own = fold(label)
    rest = tuple(f for f in group.all_forms if stems(f) != stems(own))
    return Concept(label, (own, *rest), weight)


def claim_concepts(text: str, extra_terms: Iterable[str] = ()) -> list[Concept]:
    """The concepts of a claim's text, in the order of the sentence, then those of
    `extra_terms` (e.g. the claim's confirmed PICO tags: a population, an intervention…) that
    the sentence does not already name. A word or phrase named twice counts once. Concepts of
    the synonym table and extra terms weigh `NAMED_WEIGHT` / `EXTRA_WEIGHT`, other words 1."""
    concepts: list[Concept] = []
    seen: set[frozenset[tuple[str, ...]]] = set()

    def add(concept: Concept) -> None:
        key = frozenset(concept.stems)
        if key and key not in seen:
            seen.add(key)
            concepts.append(concept)

    for concept in _concepts_of(clean(text), abbreviations_any_case=False):
        add(concept)
    for term in map(clean, extra_terms):
        found = words(term)
        if not found:
            continue
        whole = _synonym_at(found, 0, abbreviations_any_case=True)
        if whole is not None and whole[1] == len(found):
            add(_concept(term.strip(), whole[0], EXTRA_WEIGHT))
        else:
            add(Concept(term.strip(), (fold(term.strip()),), EXTRA_WEIGHT))
    return concepts


def _concepts_of(text: str, *, abbreviations_any_case: bool) -> list[Concept]:
    found = words(text)
    concepts: list[Concept] = []
    position = 0
    while position < len(found):
        match = _synonym_at(found, position, abbreviations_any_case=abbreviations_any_case)
        if match is not None:
            group, length = match
            label = text[found[position].start:found[position + length - 1].end]
            concepts.append(_concept(label, group))
            position += length
            continue
        word = found[position]
        if not is_stop_word(word.folded):
            concepts.append(Concept(text[word.start:word.end], (word.folded,)))
        position += 1
    return concepts


# --- a search --------------------------------------------------------------------------------

_QUOTED = re.compile(r'"([^"]*)"?|(\S+)')


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """A word or quoted phrase of a search, with its synonyms: a citation must match each
    term of a search (in its text, or in its key, authors, DOI or PMID)."""

    text: str
    phrase: bool
    forms: tuple[str, ...]


def search_terms(text: str) -> list[SearchTerm]:
    """The terms of a search: words separately, "quoted phrases" as phrases. Stop words are
    dropped unless quoted, or unless the search has nothing else. A word or quoted phrase
    that is a form of the synonym table also matches the group's other forms."""
    terms: list[SearchTerm] = []
    stopped: list[SearchTerm] = []
    for match in _QUOTED.finditer(clean(text)):
        quoted, bare = match.group(1), match.group(2)
        value = " ".join((quoted if quoted is not None else bare).split())
        found = words(value)
        if not found:
            continue
        term = SearchTerm(value, quoted is not None and len(found) > 1,
                          _search_forms(value, found))
        if quoted is None and len(found) == 1 and is_stop_word(found[0].folded):
            stopped.append(term)
        else:
            terms.append(term)
    return terms or stopped


def _search_forms(value: str, found: Sequence[Word]) -> tuple[str, ...]:
    match = _synonym_at(found, 0, abbreviations_any_case=True)
    own = fold(value)
    if match is None or match[1] != len(found):
        return (own,)
    return (own, *(f for f in match[0].all_forms if stems(f) != stems(own)))


def arguments_as_search(arguments: Sequence[str]) -> str:
    """Command-line arguments as one search: an argument holding spaces was quoted in the
    shell (`tracker citations search ketamine "pain relief"`), so it is a phrase."""
    return " ".join(f'"{a}"' if len(a.split()) > 1 and '"' not in a else a
                    for a in arguments)


def synonyms_markdown() -> str:
    """The synonym table as docs/finder.md shows it (`tests/test_finder.py` pins the copy)."""
    lines = ["| Forms looked for together | Abbreviations (in capitals) | Note |",
             "|---|---|---|"]
    for group in SYNONYMS:
        lines.append(f"| {', '.join(group.forms)} | "
                     f"{', '.join(a.upper() for a in group.abbreviations)} | {group.note} |")
    return "\n".join(lines)
