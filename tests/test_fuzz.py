"""Bad input, property-tested on the pure functions: mutated real BibTeX, arbitrary BibTeX and
article text, absurd sizes. Every input either parses or is refused with a message naming the
file, line and field; nothing raises anything else, and nothing takes unbounded time (each
test carries a timeout; the fixes for quadratic regular expressions are checked against the
expressions they replace). `--long` runs many more examples (tests/conftest.py)."""

from __future__ import annotations

import difflib
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import scaled
from tests.strategies import (
    FEW,
    FUZZ,
    ORACLE,
    TIMEOUT,
    bib_soup,
    mutated_article,
    mutated_bib,
)
from tracker import bibtex, limits
from tracker.article import (
    ArticleError,
    ParsedArticle,
    ParsedClaim,
    StoredClaim,
    parse_article,
    reconcile,
    revisions,
)
from tracker.article import text as article_text
from tracker.bibtex import BibFileError, ParsedBib, parse_bibtex
from tracker.errors import InvalidInput
from tracker.services.articles import PATH_SEPARATOR, read_article

pytestmark = pytest.mark.usefixtures("quiet_bibtexparser")


# --- what every parse must satisfy -------------------------------------------------------------


def assert_sound(parsed: ParsedBib, source: str) -> None:
    """Every entry is a record, a merge or a refused entry; every problem is located and
    readable; every record fits the database and holds no NUL."""
    refused = {p.entry_number for p in parsed.problems if p.entry_number is not None}
    assert len(parsed.records) + len(parsed.merges) + len(refused) == parsed.found
    for problem in parsed.problems:
        assert problem.source == source
        assert problem.message and len(str(problem)) < 2000, problem
        assert (problem.key is None) == (problem.entry_number is None), problem
        if problem.entry_number is not None:
            assert problem.line is not None and problem.line >= 1, problem
    for record in parsed.records:
        assert record.key and len(record.key) <= limits.MAX_KEY_CHARS
        assert len(record.entry_type) <= limits.MAX_ENTRY_TYPE_CHARS
        assert len(record.raw) <= limits.MAX_ENTRY_CHARS
        texts = [record.key, record.entry_type, record.title or "", record.raw,
                 *record.extra, *record.extra.values(), *record.keywords,
                 *(p.family + p.given for p in record.authors + record.editors)]
        assert not any("\x00" in text for text in texts), record.key
        assert len(record.title or "") <= limits.MAX_FIELD_CHARS
    # whatever was accepted can be written out again
    bibtex.to_bibtex(parsed.records)
    bibtex.to_csv(parsed.records)
    bibtex.to_json(parsed.records)


def problems_of(parsed: ParsedBib) -> list[tuple[int | None, str | None, str | None]]:
    return [(p.line, p.key, p.field) for p in parsed.problems]


# --- mutated real corpora ----------------------------------------------------------------------

@pytest.mark.timeout(TIMEOUT)
@given(mutated_bib())
@FUZZ
def test_mutated_corpus_files_parse_or_are_refused_with_a_reason(case: tuple[str, bytes]) -> None:
    name, data = case
    try:
        text, _encoding = bibtex.read_bib_bytes(data, name)
    except BibFileError as error:  # binary (NUL bytes) or a broken UTF-16 file
        assert str(error).startswith(name) and error.message
        return
    assert_sound(parse_bibtex(text, name), name)


# --- arbitrary BibTeX-like text ----------------------------------------------------------------

@pytest.mark.timeout(TIMEOUT)
@given(bib_soup)
@FUZZ
@example("@string{a = {x}}" + "@string{a = a # a}" * 40 + "@misc{k, title = a}")
@example("@article{k, title={" + "{" * 150 + "}" * 150 + "}}")
def test_any_text_parses_or_is_refused_with_a_reason(text: str) -> None:
    assert_sound(parse_bibtex(text, "soup.bib"), "soup.bib")


# --- absurd sizes, at and past every limit ------------------------------------------------------


GOOD_TITLE = "A study that imports"


def entry(key: str, **fields: str) -> str:
    """An @article with these fields (values as written) and, unless given, a title."""
    fields = {"title": "{A title}", **fields}
    body = ",\n".join(f"  {name} = {value}" for name, value in fields.items())
    return f"@article{{{key},\n{body}\n}}\n"


GOOD = entry("good", title="{" + GOOD_TITLE + "}")
AFTER_GOOD = GOOD.count("\n") + 1  # the line of an entry written after GOOD


@pytest.mark.timeout(TIMEOUT)
@given(st.integers(limits.MAX_FIELD_CHARS - 3, limits.MAX_FIELD_CHARS + 3),
       st.sampled_from(["title", "author", "abstract", "url", "note"]))
@FEW
def test_a_field_imports_up_to_its_limit_and_is_refused_past_it(size: int, name: str) -> None:
    value = "{" + "x" * (size - 2) + "}"  # the field's value as written, braces included
    parsed = parse_bibtex(GOOD + entry("big", **{name: value}), "big.bib")
    assert_sound(parsed, "big.bib")
    keys = [r.key for r in parsed.records]
    if size <= limits.MAX_FIELD_CHARS:
        assert keys == ["good", "big"], parsed.problems
        return
    assert keys == ["good"]
    [problem] = parsed.problems
    assert (problem.line, problem.key, problem.field) == (AFTER_GOOD, "big", name)
    assert f"a field may hold at most {limits.MAX_FIELD_CHARS:,}" in problem.message


@pytest.mark.timeout(TIMEOUT)
@given(st.integers(1, 3 * limits.MAX_BRACE_DEPTH), st.sampled_from(["title", "author", "note"]))
@FEW
@example(100_000, "title")  # the "zip bomb": refused for its size before its depth is counted
def test_nested_braces_import_up_to_the_depth_limit(depth: int, name: str) -> None:
    value = "{" * depth + "Deep" + "}" * depth  # `depth` groups, the field's own included
    parsed = parse_bibtex(GOOD + entry("deep", **{name: value}), "deep.bib")
    assert_sound(parsed, "deep.bib")
    if depth <= limits.MAX_BRACE_DEPTH:
        assert [r.key for r in parsed.records] == ["good", "deep"]
    else:
        [problem] = parsed.problems
        assert (problem.line, problem.key, problem.field) == (AFTER_GOOD, "deep", name)
        assert "nested" in problem.message or "characters long" in problem.message


@pytest.mark.timeout(TIMEOUT)
@given(st.integers(1, 30), st.integers(1, 64))
@FEW
@example(40, 10)  # a billion laughs: 10 characters doubled 40 times
def test_doubling_string_macros_stop_at_the_field_limit(doublings: int, base: int) -> None:
    macros = [f"@string{{m0 = {{{'x' * base}}}}}"]
    macros += [f"@string{{m{n} = m{n - 1} # m{n - 1}}}" for n in range(1, doublings + 1)]
    text = "\n".join(macros) + f"\n@misc{{k, title = m{doublings}}}\n" + GOOD
    parsed = parse_bibtex(text, "laughs.bib")
    assert_sound(parsed, "laughs.bib")
    first_refused = next((n for n in range(doublings + 1)
                          if base * 2**n > limits.MAX_FIELD_CHARS), None)
    if first_refused is None:
        assert {r.key: len(r.title or "") for r in parsed.records} == {
            "k": base * 2**doublings, "good": len(GOOD_TITLE)}
        return
    assert [r.key for r in parsed.records] == ["good"]
    lines = {p.line: p for p in parsed.problems}
    assert f"macro 'm{first_refused}' refused" in lines[first_refused + 1].message
    entry_problem = lines[doublings + 2]
    assert (entry_problem.key, entry_problem.field) == ("k", "title")


def test_many_string_macros_referencing_each_other_import() -> None:
    count = scaled(3000, 10000)  # expansion grows as count²/2: 10,000 stays in the budget
    macros = ["@string{m0 = {x}}"] + [f"@string{{m{n} = m{n - 1} # {{x}}}}"
                                       for n in range(1, count)]
    parsed = parse_bibtex("\n".join(macros) + f"\n@misc{{k, title = m{count - 1}}}", "m.bib")
    assert parsed.strings == count and not parsed.problems
    assert parsed.records[0].title == "x" * count


@pytest.mark.parametrize("use", ["long", "long # { n}"])
def test_macro_expansion_has_a_budget_per_import(monkeypatch: pytest.MonkeyPatch,
                                                 use: str) -> None:
    """A long macro used by many entries multiplies the file — also when every entry uses
    it the same way, so that its value is decoded once: every use counts, over all the files
    of an import, and past the budget the import is refused whole, naming where."""
    monkeypatch.setattr(bibtex.values, "MAX_IMPORT_EXPANSION_CHARS", 10_000)
    macro = "@string{long = {" + "y" * 3000 + "}}\n"

    def entries(first: int, count: int) -> str:
        return "".join(f"@misc{{k{n}, title = {use}}}\n" for n in range(first, first + count))

    parsed = parse_bibtex(macro + entries(0, 3), "fits.bib")
    assert_sound(parsed, "fits.bib")
    assert len(parsed.records) == 3
    with pytest.raises(bibtex.ExpansionLimit, match=(
            r"^budget.bib: 5: k3: title: @string macros expand this import's fields to more "
            r"than 10,000 characters in all; the import is refused")):
        parse_bibtex(macro + entries(0, 5), "budget.bib")
    budget = bibtex.ExpansionBudget()
    parse_bibtex(macro + entries(0, 2), "first.bib", budget=budget)
    with pytest.raises(bibtex.ExpansionLimit, match=r"^second.bib: 3: k11: title:"):
        parse_bibtex(macro + entries(10, 2), "second.bib", budget=budget)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("@article{" + "k" * 181 + ", title={T}}", (1, "k" * 79 + "…", None), "citation key"),
        ("@" + "a" * 33 + "{k, title={T}}", (1, "k", None), "entry type"),
        (f"@article{{k, title={{{'word ' * 2_000_000}}}}}", (1, "k", None), "entry is"),
        ("@article{k, title={T}, author={" + " and ".join(["Doe, J."] * 1_000_000) + "}}",
         (1, "k", None), "entry is"),
        ("@article{k, title={T}, author={" + " and ".join(["Doe, J."] * 20_000) + "}}",
         (1, "k", "author"), "a field may hold"),
        ("@article{k, title={a\x00b}}", (1, "k", "title"), "NUL"),
        ("@string{s = {\x00}}\n@article{k, title = s}", (2, "k", "title"), "was refused"),
    ],
    ids=["long-key", "long-type", "10-MB-title", "million-authors", "20k-authors", "nul",
         "nul-macro"],
)
@pytest.mark.timeout(30)
def test_absurd_entries_are_refused_with_line_key_and_field(
        text: str, where: tuple[int, str, str | None], words: str) -> None:
    parsed = parse_bibtex(GOOD + "\n" + text, "absurd.bib")
    assert_sound(parsed, "absurd.bib")
    assert [r.key for r in parsed.records] == ["good"]
    line, key, field = where
    problem = parsed.problems[-1]
    assert (problem.line, problem.key, problem.field) == (AFTER_GOOD + line, key, field)
    assert words in problem.message


#: Each took minutes or hung before (backtracking and quadratic scans): the text, the entries
#: kept (key → title) and the problems reported (kind, field, words of the message).
PATHOLOGICAL_BIBTEX = [
    pytest.param("@article{k, title={" + "{" * 100_000 + "x" + "}" * 100_000 + "}}", {},
                 [("invalid", "title", "a field may hold at most 200,000")], id="100k-nested"),
    pytest.param("@article{k, title={" + "{" * 100_000 + "x}, year={2000}}\n"
                 "@article{j, title={J}}", {"j": "J"},
                 [("parse", None, "could not parse this @article entry: Unexpected block "
                   "start")], id="100k-unclosed"),
    pytest.param("@article{k, title={" + "\\foo" + "{a}" * 60_000 + "}}", {"k": "a" * 60_000},
                 [], id="macro-args"),
    pytest.param("@article{k, title={T}, author={a" + " " * 190_000 + "b}}", {"k": "T"}, [],
                 id="spaces-in-names"),
    pytest.param("@article{k, title={T}, doi={http://" + "doi" * 60_000 + "}}", {},
                 [("invalid", "doi", "is malformed (expected 10.NNNN/suffix")], id="doi-hosts"),
    pytest.param("@article{k, title={T}, url={http://" + "doi" * 60_000 + "}}", {"k": "T"}, [],
                 id="url"),
    pytest.param("@article{k, title={" + "@{" * 90_000 + "}}", {},
                 [("parse", None, "Unexpectedly reached end of file")],
                 id="block-starts-in-a-value"),
    pytest.param('@article{k, title="' + "a" * 900_000 + "}", {},
                 [("parse", None, "Unexpectedly reached end of file")], id="unclosed-quote"),
    pytest.param("@article{k, title = {a} " + "# " * 90_000 + "}", {"k": "a"}, [], id="hashes"),
]


@pytest.mark.parametrize(("text", "kept", "problems"), PATHOLOGICAL_BIBTEX)
@pytest.mark.timeout(120)  # a guard against a hang (they took minutes before), not the assertion
def test_pathological_values_are_kept_or_refused_with_a_reason(
        text: str, kept: dict[str, str], problems: list[tuple[str, str | None, str]]) -> None:
    parsed = parse_bibtex(text, "slow.bib")
    assert_sound(parsed, "slow.bib")
    assert {r.key: r.title for r in parsed.records} == kept
    assert len(parsed.problems) == len(problems), parsed.problems
    for problem, (kind, field, words) in zip(parsed.problems, problems, strict=True):
        assert (problem.kind, problem.field) == (kind, field) and words in problem.message, (
            problem)
    if "author={a" in text:  # the 190,000 spaces collapse: one person, "a b"
        assert [(p.given, p.family) for p in parsed.records[0].authors] == [("a", "b")]


def test_a_text_over_the_limit_is_refused_whole() -> None:
    parsed = parse_bibtex(" " * (limits.MAX_BIB_TEXT_CHARS + 1), "pasted text")
    [problem] = parsed.problems
    assert (problem.source, problem.kind, parsed.found) == ("pasted text", "too-large", 0)
    assert f"at most {limits.MAX_BIB_TEXT_CHARS:,}" in problem.message


def test_a_text_with_too_many_blocks_is_refused_before_it_is_split(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bibtex.pipeline, "MAX_BIB_BLOCKS", 10)
    ok = parse_bibtex("".join(f"@misc{{k{n}, title={{T{n}}}}}\n" for n in range(10)), "ok.bib")
    assert len(ok.records) == 10
    parsed = parse_bibtex("".join(f"@misc{{k{n}, title={{T}}}}\n" for n in range(11)), "x.bib")
    [problem] = parsed.problems
    assert problem.kind == "too-large" and "line 11" in problem.message and parsed.found == 0


def test_upload_bytes_over_the_limit_are_refused_before_decoding() -> None:
    with pytest.raises(BibFileError, match=r"big\.bib: is 67,108,865 bytes; a BibTeX file may "
                                           r"be at most 67,108,864 bytes \(64 MB\) - split it"):
        bibtex.read_bib_bytes(b" " * (limits.MAX_BIB_FILE_BYTES + 1), "big.bib")


# --- the fixed regular expressions agree with the ones they replace -----------------------------

OLD_NAME_SEPARATOR = re.compile(r"[ \t\r\n]+and[ \t\r\n]+", re.IGNORECASE)
OLD_DOI_PREFIX = re.compile(r"^(?:https?://[^/\s]*doi[^/\s]*/|doi:\s*|doi\s+)", re.IGNORECASE)
OLD_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?:\*\*|__|\*)?(?=\s+(\S))")
OLD_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
OLD_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@given(st.text(alphabet=" \t\r\naAnNdDx", max_size=30))
@ORACLE
def test_name_separator_splits_as_before(value: str) -> None:
    value = value.strip(" \r\n\t")
    assert bibtex._NAME_SEPARATOR.split(value) == OLD_NAME_SEPARATOR.split(value)


@given(st.text(alphabet="htps:/doiDOI. x10", max_size=30))
@ORACLE
def test_doi_prefix_matches_as_before(value: str) -> None:
    assert bibtex._DOI_PREFIX.sub("", value) == OLD_DOI_PREFIX.sub("", value)


@given(st.text(alphabet=".!?\"')]*_ \n\tAa1", max_size=30))
@ORACLE
def test_sentence_boundaries_are_found_as_before(text: str) -> None:
    def spans(pattern: re.Pattern[str]) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), m.group(1)) for m in pattern.finditer(text)]

    assert spans(article_text._BOUNDARY) == spans(OLD_BOUNDARY)


@given(st.text(alphabet="# \t\u00a0ab", max_size=20))
@ORACLE
def test_markdown_headings_are_read_as_before(line: str) -> None:
    old = OLD_MD_HEADING.match(line)
    assert article_text._md_heading(line) == ((len(old.group(1)), old.group(2)) if old else None)


@given(st.text(alphabet="[]()ab \n", max_size=30))
@ORACLE
def test_links_are_unwrapped_as_before(text: str) -> None:
    assert article_text._unwrap_links(text) == OLD_MD_LINK.sub(r"\1", text)


def old_pair_edits(stored: list[StoredClaim], new: list[ParsedClaim]
                   ) -> list[tuple[int, int]]:
    """revisions._pair_edits before it was bounded (every pair, a matcher per pair)."""
    candidates = []
    for old in stored:
        old_words = revisions._normalised_wording(old.text)
        for claim in new:
            matcher = difflib.SequenceMatcher(None, old_words,
                                              revisions._normalised_wording(claim.text))
            if (matcher.real_quick_ratio() < revisions.EDIT_SIMILARITY
                    or matcher.quick_ratio() < revisions.EDIT_SIMILARITY):
                continue
            ratio = matcher.ratio()
            if ratio < revisions.EDIT_SIMILARITY:
                continue
            bonus = 0.05 if old.section_path == claim.section_path else 0.0
            candidates.append((ratio + bonus, old.id, claim.ordinal))
    candidates.sort(key=lambda item: (-item[0], item[2], item[1]))
    used_stored: set[int] = set()
    used_new: set[int] = set()
    pairs = []
    for _, stored_id, ordinal in candidates:
        if stored_id not in used_stored and ordinal not in used_new:
            used_stored.add(stored_id)
            used_new.add(ordinal)
            pairs.append((stored_id, ordinal))
    return pairs


VOCABULARY = ["ketamine", "pain", "relief", "dose", "rapid", "onset", "minutes", "patients"]
words = st.sampled_from(VOCABULARY)
sentences = st.lists(words, min_size=3, max_size=9).map(lambda w: " ".join(w).capitalize() + ".")


def claims_of(texts: list[str]) -> list[ParsedClaim]:
    return list(parse_article("Title\n\n" + "\n\n".join(texts), "text").claims)


@given(st.lists(sentences, min_size=1, max_size=12), st.lists(sentences, min_size=1, max_size=12))
@settings(max_examples=scaled(100, 2000), deadline=None)
def test_edit_pairing_with_its_cheap_bounds_pairs_as_before(old: list[str], new: list[str]
                                                             ) -> None:
    stored = [StoredClaim(n, c.text, c.fingerprint, c.section_path)
              for n, c in enumerate(claims_of(old))]
    fresh = claims_of(new)
    assert revisions._pair_edits(stored, fresh) == old_pair_edits(stored, fresh)


@pytest.mark.timeout(60)  # a guard: minutes before the window, seconds now
def test_rewriting_a_long_article_keeps_the_same_sentences_and_pairs_the_rest() -> None:
    """Two texts of the most claims a document may have, from a small vocabulary (every pair
    looks alike to the cheap bounds); every other sentence is the same in both."""
    def text(seed: int) -> list[str]:
        return [" ".join(VOCABULARY[(seed * n + k * k) % len(VOCABULARY)] for k in range(12))
                .capitalize() + f" {n}." for n in range(limits.MAX_ARTICLE_CLAIMS)]

    old, new = claims_of(text(3)), claims_of(text(7))
    stored = [StoredClaim(n, c.text, c.fingerprint, c.section_path) for n, c in enumerate(old)]
    result = reconcile(stored, new)
    same = [n for n, (o, c) in enumerate(zip(old, new, strict=True)) if o.text == c.text]
    assert len(same) == limits.MAX_ARTICLE_CLAIMS // 2
    assert sorted(result.kept) == [(n, n) for n in same]
    assert (len(result.edited), len(result.added), len(result.retired)) == (998, 2, 2)
    changed = set(range(len(new))) - set(same)
    assert all(o in changed and c in changed and stored[o].text != new[c].text
               for o, c in result.edited)


# --- articles ----------------------------------------------------------------------------------

article_soup = st.lists(
    st.sampled_from(["# ", "## ", "###### ", "####### ", "- ", "* ", "1. ", "**", "__", "*",
                     "[", "]", "(", ")", "](", ".", "?", "!", "...", "e.g.", "Dr.", "J.",
                     "\n", "\n\n", "\r\n", "\r", " ", "\t", "Ketamine", "pain", "is", "a",
                     "drug", "relief", "This article", "Frequently Asked Questions",
                     "Additional Resources", "Table of Contents", "Benefits", "http://x.org",
                     "```", "\x00", "\x0b", "\x1b", "\ufeff", "é", "中", "\u2028"])
    | st.text(max_size=8),
    max_size=80,
).map("".join)


def assert_article_sound(parsed: ParsedArticle) -> None:
    """What ingest stores fits the database: titles, paths, rules, resources."""
    assert parsed.claims and len(parsed.claims) <= limits.MAX_ARTICLE_CLAIMS
    assert len(parsed.title) <= 500
    for claim in parsed.claims:
        assert 0 <= claim.start < claim.end <= len(parsed.text)
        assert len(claim.category_rule) <= 200 and len(claim.fingerprint) == 16
    for section in parsed.sections:
        assert len(section.title) <= 500
        assert len(PATH_SEPARATOR.join(section.path)) <= 2000
    for resource in parsed.resources:
        assert len(resource.title) <= limits.MAX_RESOURCE_TITLE_CHARS
    assert "\x00" not in parsed.text


@pytest.mark.timeout(TIMEOUT)
@given(article_soup, st.sampled_from([None, "text", "markdown"]))
@FUZZ
def test_any_article_text_parses_or_is_refused_with_a_reason(text: str, fmt: str | None) -> None:
    try:
        parsed = parse_article(text, fmt)  # type: ignore[arg-type]
    except ArticleError as error:
        assert str(error)
        return
    assert_article_sound(parsed)
    again = reconcile([StoredClaim(c.ordinal, c.text, c.fingerprint, c.section_path)
                       for c in parsed.claims], parsed.claims)
    assert len(again.kept) == len(parsed.claims)


@pytest.mark.timeout(TIMEOUT)
@given(mutated_article(), st.sampled_from([".txt", ".md", ""]))
@FUZZ
def test_mutated_articles_are_read_and_parsed_or_refused_with_a_reason(data: bytes,
                                                                       suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"article{suffix}"
        path.write_bytes(data)
        try:
            source = read_article(path)
        except InvalidInput as error:
            assert str(error).startswith(str(path))
            return
    try:
        parsed = parse_article(source.text, source.fmt)  # type: ignore[arg-type]
    except ArticleError as error:
        assert str(error)
        return
    assert_article_sound(parsed)


def test_article_limits_name_the_line() -> None:
    heading = "# Title\n\nKetamine is a drug for pain.\n\n## " + "Long " * 60 + "\n\nText."
    with pytest.raises(ArticleError, match=r"^line 5: a heading of 299 characters; a heading "
                                           r"may have at most 250"):
        parse_article(heading)
    resources = ("Title\n\nKetamine is a drug for pain.\n\nAdditional Resources\n\n- "
                 + "Book " * 201 + "\n")
    with pytest.raises(ArticleError, match=r"^line 7: the listed resource's title has 1,004 "):
        parse_article(resources)
    with pytest.raises(ArticleError, match=r"^line 3: contains a NUL character"):
        parse_article("Title\n\nKetamine\x00 is a drug for pain.")
    many = "Title\n\n" + "\n".join(f"Claim number {n} is here." for n in range(2001))
    with pytest.raises(ArticleError, match=r"2,001 claims; a document may have at most 2,000 "
                                           r"\(the one on line 2003 is past the limit\)"):
        parse_article(many)
    with pytest.raises(ArticleError, match=r"at most 1,048,576 are read"):
        parse_article("x" * (limits.MAX_ARTICLE_BYTES + 1))


#: Each hung (regex backtracking, quadratic joins and look-aheads) before: the text, and what
#: it parses to — its title and the beginnings of its claims — or the reason it is refused.
PATHOLOGICAL_ARTICLES = [
    pytest.param("Ketamine is a drug here" + "." * 1_000_000, ("", ["Ketamine is a drug here."]),
                 id="dots"),
    pytest.param("# T\n\nSome text is here.\n\n## a" + " " * 1_000_000 + "b\n\nMore text is "
                 "here.", ("T", ["Some text is here.", "More text is here."]),
                 id="heading-spaces"),
    pytest.param("# T\n\nSome text is here.\n\n## a" + "#" * 1_000_000 + "b",
                 "line 5: a heading of 1,000,002 characters; a heading may have at most 250",
                 id="heading-hashes"),
    pytest.param("Title\n\n" + "[" * 1_000_000 + "\n\nSome text is here.",
                 ("Title", ["Some text is here."]), id="brackets"),
    pytest.param("Title\n\n" + "[a](" * 250_000 + "\n\nSome text is here.",
                 ("Title", ["Some text is here."]), id="open-links"),
    pytest.param("Title\n\n" + "\n\n".join("a word here" for _ in range(80_000)) + ".",
                 ("Title", ["a word here a word here"]), id="page-breaks"),
    pytest.param("Title\n\n" + "\n\n".join("- Alpha\n- Beta" for _ in range(60_000))
                 + "\n\nAlpha\n\nIt is.",
                 "the article has no sentences to record as claims", id="contents-lists"),
    pytest.param("Title\n\nThe drug is efficac" + "y" * 1_000_000 + " for pain.",
                 ("Title", ["The drug is efficacyyy"]), id="one-long-word"),
]


@pytest.mark.parametrize(("text", "expected"), PATHOLOGICAL_ARTICLES)
@pytest.mark.timeout(120)  # a guard against a hang (they hung before), not the assertion
def test_pathological_articles_parse_or_are_refused_with_a_reason(
        text: str, expected: tuple[str, list[str]] | str) -> None:
    try:
        parsed = parse_article(text[: limits.MAX_ARTICLE_BYTES])
    except ArticleError as error:
        assert isinstance(expected, str) and expected in str(error), error
        return
    assert not isinstance(expected, str), f"parsed, though {expected!r} was expected"
    assert_article_sound(parsed)
    title, beginnings = expected
    assert parsed.title == title
    assert len(parsed.claims) == len(beginnings)
    for claim, beginning in zip(parsed.claims, beginnings, strict=True):
        assert claim.text.startswith(beginning), claim.text[:80]


def test_a_rule_quotes_at_most_a_few_words() -> None:
    parsed = parse_article("Title\n\nThe drug is efficac" + "y" * 5000 + " for pain.")
    [claim] = parsed.claims
    assert claim.category_rule.startswith('keyword "efficac') and len(claim.category_rule) < 140

