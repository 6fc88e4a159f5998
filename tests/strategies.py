"""Hypothesis strategies and settings shared by the fuzz tests (tests/test_fuzz.py,
tests/test_bad_input.py, tests/test_bibsplit.py): real BibTeX corpora and the shipped article
mutated byte by byte, and BibTeX-like soup."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.conftest import ARTICLE, SHARED, scaled

CORPORA = SHARED / "corpora"
#: Real files to mutate: every corpus .bib file up to 150 kB (the two larger ones only cost
#: time), plus the curated library (all there is when ../shared/corpora is absent).
CORPUS_FILES = sorted(
    [p for p in CORPORA.rglob("*.bib") if p.stat().st_size <= 150_000]
    + [ARTICLE.parent / "library.bib"]
)
#: A whole property test may take this long (a hang fails it; normal runs take seconds).
TIMEOUT = scaled(60, 3600)
FUZZ = settings(max_examples=scaled(100, 3000), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(max_examples=scaled(15, 300), deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ORACLE = settings(max_examples=scaled(300, 5000), deadline=None)


#: Bytes spliced into a file: control characters, NUL, invalid UTF-8, unbalanced braces and
#: quotes, block starts, macro definitions, a UTF-16 mark.
INSERTIONS = [b"\x00", b"\x01", b"\x08", b"\x0b", b"\x0c", b"\x1b[31m", b"\x7f", b"\r", b"\r\n",
              b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xfe\xff", b"{", b"{{{{",
              b"}", b"}}}}", b'"', b"@", b"@article{", b"@string{", b"#", b"%", b"\\", b"\\'",
              b",", b"=", b"and", b"@string{x = x # x}", b"\xc3\xa9", "中".encode()]


@st.composite
def mutated_bib(draw: st.DrawFn) -> tuple[str, bytes]:
    """A corpus file with a few byte flips, truncations, deleted or duplicated spans and
    insertions."""
    path = draw(st.sampled_from(CORPUS_FILES))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "truncate", "delete", "duplicate", "insert"]))
        size = len(data)
        at = draw(st.integers(0, size))
        if kind == "flip" and size:
            data[min(at, size - 1)] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind in ("delete", "duplicate"):
            end = min(size, at + draw(st.integers(0, 2000)))
            data[at:at] = b"" if kind == "delete" else data[at:end]
            if kind == "delete":
                del data[at:end]
        else:
            data[at:at] = draw(st.sampled_from(INSERTIONS)) * draw(st.integers(1, 3))
    return str(path.relative_to(path.parents[1])), bytes(data)


bib_soup = st.lists(
    st.sampled_from(["@article{", "@string{", "@comment{", "@preamble{", "@misc(", "k1,", "k2,",
                     "title", "author", "year", "doi", "pmid", "url", "keywords", " = ", "=",
                     "{", "}", '"', "#", ",", "%", "\n", "\r\n", "\r", " ", "\t", "and",
                     "others", "2019", "10.1000/x", "https://doi.org/", "\\'e", "\\",
                     "\\emph{", "--", "$", "~", "jan", ")", "x", "\x00", "\x01", "\x1b",
                     "\x7f", "\ufeff", "é", "中", "\U0001f600"])
    | st.text(max_size=6),
    max_size=60,
).map("".join)


ARTICLE_INSERTIONS = [b"\x00", b"\x01", b"\x1b", b"\xff", b"\xc3", b"\xfe\xff", b"# ",
                      b"\n## ", b"\n- ", b"[", b"](", b"?", b".", b"\n\n", b"\r", b"*" * 3]


@st.composite
def mutated_article(draw: st.DrawFn) -> bytes:
    data = bytearray(ARTICLE.read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "delete", "duplicate", "insert"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            data[min(at, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "delete":
            del data[at:at + draw(st.integers(0, 3000))]
        elif kind == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(0, 3000))]
        else:
            data[at:at] = draw(st.sampled_from(ARTICLE_INSERTIONS))
    return bytes(data)
