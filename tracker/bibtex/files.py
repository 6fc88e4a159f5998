"""Reading a .bib file: bytes to text, in the encoding stated, marked or detected (the
"Encoding" and "Limits" rules of docs/bibtex.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from tracker import encodings
from tracker.bibtex.model import BibFileError, ParsedBib, Problem
from tracker.bibtex.pipeline import parse_bibtex
from tracker.limits import MAX_BIB_FILE_BYTES, MB, read_bounded


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text and how it was decoded: `encoding` is a codec name; for a file that is
    not UTF, `confidence` and `evidence` are `tracker.encodings.detect`'s (or `stated`: the
    user named the encoding)."""

    text: str
    encoding: str
    confidence: float = 1.0
    evidence: str = ""
    stated: bool = False

    @property
    def unicode(self) -> bool:
        return self.encoding in UNICODE_ENCODINGS

    def note(self) -> str:
        """What an import report says about the encoding ("" for UTF)."""
        name = encodings.name_of(self.encoding)
        if self.stated:
            return f"read as {name}, as stated"
        if self.unicode:
            return ""
        return (f"not UTF-8: read as {name} (confidence {self.confidence:.2f}: "
                f"{self.evidence}); save it as UTF-8, or state the encoding with --encoding")


UNICODE_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16")


def read_bib_file(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The text of a .bib file and the encoding used to decode it (see `decode_bib_file`)."""
    decoded = decode_bib_file(path, encoding)
    return decoded.text, decoded.encoding


def decode_bib_file(path: Path, encoding: str | None = None) -> Decoded:
    """Read and decode a .bib file (see docs/bibtex.md; `encoding` states it). A file
    over `MAX_BIB_FILE_BYTES` is refused before it is read."""
    path = Path(path)
    if path.is_dir():
        raise BibFileError(path, "is a directory, not a BibTeX file")
    try:
        data = read_bounded(path, MAX_BIB_FILE_BYTES, lambda size: _too_large(size, path))
    except OSError as error:
        raise BibFileError(path, f"cannot be read: {error.strerror or error}") from error
    return decode_bib_bytes(data, path, encoding)


def _too_large(size: int, path: Path) -> BibFileError:
    return BibFileError(
        path,
        f"is {size:,} bytes; a BibTeX file may be at most {MAX_BIB_FILE_BYTES:,} bytes "
        f"({MAX_BIB_FILE_BYTES // MB} MB) - split it into smaller files",
    )


def read_bib_bytes(data: bytes, path: Path | str, encoding: str | None = None
                   ) -> tuple[str, str]:
    """Decode the bytes of a .bib file (e.g. an upload) as `read_bib_file` does."""
    decoded = decode_bib_bytes(data, path, encoding)
    return decoded.text, decoded.encoding


def decode_bib_bytes(data: bytes, path: Path | str, encoding: str | None = None) -> Decoded:
    """Decode the bytes of a .bib file; `path` names it in errors. More than
    `MAX_BIB_FILE_BYTES` is refused before decoding."""
    path = Path(path)
    if len(data) > MAX_BIB_FILE_BYTES:
        raise _too_large(len(data), path)
    if encoding:
        return _stated(data, path, encoding)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as error:
            raise BibFileError(path, "starts with a UTF-16 mark but is not UTF-16") from error
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise BibFileError(
            path, f"is a binary file (it contains NUL bytes, the first on line {line}), not "
                  "BibTeX text"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if text.startswith("\ufeff"):
            return Decoded(text[1:], "utf-8-sig")
        return Decoded(text, "utf-8")
    try:
        found = encodings.detect(data)
    except encodings.EncodingUnsure as unsure:
        raise BibFileError(path, f"is not UTF-8 and its encoding is unclear: {unsure}; save "
                                 "it as UTF-8, or state the encoding (--encoding latin-1, "
                                 "latin-2, latin-9, cp1252, ...)") from None
    return Decoded(found.text, found.encoding, found.confidence, found.evidence)


def _stated(data: bytes, path: Path, encoding: str) -> Decoded:
    """`data` decoded as the user says it is encoded."""
    codec = encodings.codec(encoding)
    if codec is None:
        raise BibFileError(path, f"unknown encoding {encoding!r} (e.g. utf-8, latin-1, "
                                 "latin-2, latin-9, cp1252)")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BibFileError(path, f"line {line}: byte 0x{data[error.start]:02x} is not "
                                 f"{encodings.name_of(codec)}, as stated") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise BibFileError(path, "is a binary file (it contains NUL characters), not BibTeX")
    return Decoded(text, codec, stated=True)


def parse_bib_file(path: Path, encoding: str | None = None) -> ParsedBib:
    """Read and parse a .bib file; a file that is not UTF gets an "encoding" problem that
    names the encoding guessed and the confidence."""
    decoded = decode_bib_file(path, encoding)
    parsed = parse_bibtex(decoded.text, source=str(path))
    if decoded.unicode or decoded.stated:
        return parsed
    problem = Problem(str(path), None, None, None, "encoding", decoded.note())
    return replace(parsed, problems=(problem, *parsed.problems))
