"""`tracker.bibsplit.split` gives bibtexparser's blocks, block for block: on every corpus file,
on mutated ones, on BibTeX soup, and on generated entries full of the characters the splitter
treats specially (braces, quotes, backslashes, commas, `=`, `@`, line ends)."""

from __future__ import annotations

from typing import Any

import pytest
from bibtexparser.entrypoint import parse_string
from hypothesis import example, given
from hypothesis import strategies as st

from tests.strategies import CORPORA, CORPUS_FILES, FUZZ, ORACLE, bib_soup, mutated_bib
from tracker import bibsplit, bibtex

pytestmark = pytest.mark.usefixtures("quiet_bibtexparser")


def signature(block: Any) -> list[Any]:
    """Everything a caller can read from a block (the type, lines, raw text, key, fields,
    the error of a failed block and the block inside it)."""
    out: list[Any] = [type(block).__name__, block.start_line, block.raw]
    for name in ("key", "entry_type", "value", "comment", "duplicate_keys"):
        if hasattr(block, name):
            out.append((name, getattr(block, name)))
    if hasattr(block, "fields"):
        out.append([(f.key, f.value, f.start_line) for f in block.fields])
    error = getattr(block, "error", None)
    if error is not None:
        out.append((type(error).__name__, getattr(error, "abort_reason", str(error))))
    inner = getattr(block, "ignore_error_block", None)
    if inner is not None and inner is not block:
        out.append(signature(inner))
    return out


def assert_same_split(text: str) -> None:
    expected = [signature(b) for b in parse_string(text, parse_stack=[]).blocks]
    assert [signature(b) for b in bibsplit.split(text).blocks] == expected


@pytest.mark.parametrize("path", sorted(CORPORA.rglob("*.bib")) + CORPUS_FILES,
                         ids=lambda p: str(p.name))
def test_every_corpus_file_splits_as_bibtexparser_splits_it(path: Any) -> None:
    try:
        text, _ = bibtex.read_bib_file(path)
    except bibtex.BibFileError:
        pytest.skip("not text")
    assert_same_split(text)
    assert_same_split(text.replace("\n", "\r\n"))


@given(mutated_bib())
@FUZZ
def test_mutated_corpus_files_split_as_bibtexparser_splits_them(case: tuple[str, bytes]
                                                               ) -> None:
    name, data = case
    try:
        text, _ = bibtex.read_bib_bytes(data, name)
    except bibtex.BibFileError:
        return
    assert_same_split(text)


@given(bib_soup)
@FUZZ
def test_soup_splits_as_bibtexparser_splits_it(text: str) -> None:
    assert_same_split(text)


#: What a field value is made of: the characters with a meaning to the splitter, escaped and
#: not, nested braces, quotes with braces inside, `{"}`, block starts within a line.
PIECES = ["a", " ", "\n", "\r\n", "\t", "{", "}", '"', ",", "=", "@", "@misc{", "\\", "\\{",
          "\\}", '\\"', "\\,", "\\\n", '{"}', "{a}", "{{b}}", "{{{{{c}}}}}", '"q"', "#", "(",
          ")", "é", "\\'e", "%"]
value_text = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
field = st.tuples(st.sampled_from(["title", "author", "year", " doi ", "", "title"]),
                  st.one_of(value_text.map(lambda v: "{" + v + "}"),
                            value_text.map(lambda v: '"' + v + '"'), value_text))
entry_text = st.builds(
    lambda kind, key, fields, comma, tail: (
        f"@{kind}{{{key},"
        + ",".join(f"\n  {name} = {value}" for name, value in fields)
        + ("," if comma else "") + "\n}" + tail),
    st.sampled_from(["article", "Article", "misc ", "string", "comment", "preamble", "x_1"]),
    st.sampled_from(["k1", "k2", " K1 ", "", "a b", "k\n1", "k@x", "k{"]),
    st.lists(field, max_size=5), st.booleans(),
    st.sampled_from(["\n", "\n\n", "  ", "", " % note\n", " @misc{m, title={M}}", "\n  "]))
entries = st.lists(st.tuples(entry_text, st.sampled_from(["", "\n", "\n  ", " ", "x\n"])),
                   max_size=6).map(lambda parts: "".join(e + gap for e, gap in parts))


@given(entries)
@ORACLE
@example("@article{k,\n title = {A {B} \\{ c},\n year = 2001\n}\n@misc{j, title={J}}\n")
@example('@article{k,\n title = "A {"} b",\n}\n')
@example("@article{k,\n title = {a},\n title = {b}\n}\n")
@example("@article{k,\n title = {a} x\n}\n")
@example("prefix @article{k, title={a}}\n  @article{j,\n title={b}}")
def test_generated_entries_split_as_bibtexparser_splits_them(text: str) -> None:
    assert_same_split(text)


def test_well_formed_entries_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above would pass if every segment went to bibtexparser: the common
    entries must not."""
    slow: list[str] = []
    original = bibsplit._split_slowly

    def counted(segment: str, line: int) -> Any:
        slow.append(segment)
        return original(segment, line)

    monkeypatch.setattr(bibsplit, "_split_slowly", counted)
    text = ('@article{a,\n  title = {A {B} study of \\"o},\n  author = "Doe, J. and Roe, R.",\n'
            "  year = 2001,\n}\n\n@misc{b, title={B}, url={http://x.org/a,b}}\n"
            "@string{j = {J}}\n")
    assert_same_split(text)
    slow.clear()
    blocks = bibsplit.split(text).blocks
    assert [type(b).__name__ for b in blocks] == ["Entry", "Entry", "String"]
    assert slow == ["@string{j = {J}}\n"]
