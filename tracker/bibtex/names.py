"""Author and editor lists: BibTeX name lists to `Person`s and back (the "Names" rule of
docs/bibtex.md), and the one text people are shown as."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)

from tracker.bibtex.latex import (
    CACHED_CHARS,
    UNESCAPED_BRACE,
    WHITESPACE,
    decode_latex,
    encode_latex,
    is_plain,
)
from tracker.bibtex.model import Person

_BACKSLASH_WORD = re.compile(r"(?<=[ \t\r\n])\\")


def _is_single_group(text: str) -> bool:
    """True when `text` is one brace group from first to last character."""
    if len(text) < 2 or text[0] != "{" or text[-1] != "}":
        return False
    depth = 0
    last = len(text) - 1
    for match in UNESCAPED_BRACE.finditer(text):
        depth += 1 if match.group() == "{" else -1
        if depth == 0 and match.start() != last:
            return False
        if depth < 0:
            return False
    return depth == 0


def _parse_person(name: str) -> Person | None:
    if len(name) > CACHED_CHARS:
        return _person(name)
    return _person_cached(name)


def _person(name: str) -> Person | None:
    if name[:1] == "{" and _is_single_group(name):
        corporate = decode_latex(name)
        return Person(family=corporate, corporate=True) if corporate else None
    parts = parse_single_name_into_parts(name, strict=False)
    family = " ".join(parts.von + parts.last + parts.jr)
    given = " ".join(parts.first)
    if not is_plain(name):  # the words of a plain name need no decoding
        family, given = decode_latex(family), decode_latex(given)
    if not family:
        return Person(family=given) if given else None
    return Person(family=family, given=given)


_person_cached = lru_cache(maxsize=1 << 16)(_person)
#: Tried only where a whitespace run starts (the look-behind), so a long run of spaces is not
#: scanned again from each of its characters.
_NAME_SEPARATOR = re.compile(r"(?<![ \t\r\n])[ \t\r\n]++and[ \t\r\n]+", re.IGNORECASE)


def _split_names(value: str) -> list[str]:
    """bibtexparser's `split_multiple_persons_names`. Braces and backslashes are all that make
    its character loop more than a split on whitespace-"and"-whitespace, so a list without
    them takes that split (a property test checks both agree)."""
    if "{" in value or "}" in value or "\\" in value:
        return list(split_multiple_persons_names(value))
    value = value.strip(" \r\n\t")
    return _NAME_SEPARATOR.split(value) if value else []


def parse_names(value: str) -> tuple[tuple[Person, ...], bool]:
    """A BibTeX name list (author/editor field, un-decoded) -> (people, "and others")."""
    if len(value) > CACHED_CHARS:
        return _names(value)
    return _names_cached(value)


def _names(value: str) -> tuple[tuple[Person, ...], bool]:
    people: list[Person] = []
    others = False
    if "\\" in value:
        # split_multiple_persons_names drops the first two characters of a name that starts
        # with a backslash after "and" (bibtexparser 2.1.0); an empty group in front keeps them.
        value = _BACKSLASH_WORD.sub(r"{}\\", value)
    for name in _split_names(value):
        name = name.strip(WHITESPACE)
        if name == "others":
            others = True
        elif name:
            person = _parse_person(name)
            if person is not None:
                people.append(person)
    return tuple(people), others


_names_cached = lru_cache(maxsize=1 << 16)(_names)


@lru_cache(maxsize=1 << 16)
def _format_person(person: Person) -> str:
    """A name as BibTeX text that `parse_names` reads back as this person: the plain form
    when it works, else with ", ," (an empty first name) and braces to stop BibTeX's word
    splitting."""
    family = encode_latex(person.family)
    if person.corporate:
        return "{" + family + "}"
    given = encode_latex(person.given)
    candidates: tuple[str, ...]
    if given:
        candidates = (f"{family}, {given}", f"{{{family}}}, {{{given}}}")
    else:
        candidates = (family, f"{family}, ,", f"{{{family}}}, ,")
    neighbour = Person("X")
    for text in candidates:  # checked between two other names, as it will be written
        if parse_names(f"X and {text} and X") == ((neighbour, person, neighbour), False):
            return text
    return candidates[-1]


def format_people(people: Sequence[Person], others: bool) -> str:
    names = [_format_person(person) for person in people]
    if others:
        names.append("others")
    return " and ".join(names)


def people_text(people: Sequence[Person], others: bool = False) -> str:
    """People as every report shows them: "Family, Given; Family, Given; et al." (the stored
    `authors_text` of a citation, merge conflicts, the CSV export)."""
    names = [f"{p.family}, {p.given}" if p.given else p.family for p in people]
    return "; ".join(names) + ("; et al." if others else "")
