"""LaTeX field text <-> display Unicode (the "Field values" rule of docs/bibtex.md): a small
table first, pylatexenc (imported on first use) for the macros it lacks; verbatim fields
(addresses, identifiers) only lose braces and escapes."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

WHITESPACE = " \t\n\r\f\v"
_WHITESPACE_RUN = re.compile(r"[ \t\n\r\f\v]+")
_CONTROL_WHITESPACE = re.compile(r"[\t\n\r\f\v]")
#: A character that may need decoding, or whitespace other than a single space.
_SPECIAL = re.compile(r"[\\{}~$\t\n\r\f\v]")

_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "b": "\u0331",
    "d": "\u0323",
}

_SYMBOL_WORDS = {
    "ss": "ß",
    "SS": "SS",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "dj": "đ",
    "DJ": "Đ",
    "textendash": "–",
    "textemdash": "—",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "textbraceleft": "{",
    "textbraceright": "}",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textunderscore": "_",
    "textdollar": "$",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "textquotesingle": "'",
    "textquotedbl": '"',
    "guillemotleft": "«",
    "guillemotright": "»",
    "guillemetleft": "«",
    "guillemetright": "»",
    "quotedblbase": "„",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "S": "§",
    "P": "¶",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "pounds": "£",
    "textsterling": "£",
    "euro": "€",
    "texteuro": "€",
    "textdegree": "°",
    "textbullet": "•",
    "textperiodcentered": "·",
    "textmu": "µ",
    "slash": "/",
    "textpm": "±",
    "texttimes": "×",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "BibTeX": "BibTeX",
}

#: Macros that only format their argument (or the rest of their group): dropped for display.
_FORMAT_WORDS = frozenset(
    {"emph", "textit", "textbf", "textsc", "textrm", "textsf", "texttt", "textup", "textsl"}
    | {"textmd", "textnormal", "mbox", "hbox", "url", "mkbibquote", "mkbibemph", "mkbibitalic"}
    | {"mkbibbold", "NoCaseChange", "ensuremath", "textsuperscript", "textsubscript"}
    | {"it", "bf", "em", "sc", "rm", "sf", "tt", "sl", "up", "md", "normalfont", "relax"}
    | {"protect"}
)

_CONTROL_SYMBOLS = {
    "&": "&",
    "%": "%",
    "$": "$",
    "#": "#",
    "_": "_",
    "{": "{",
    "}": "}",
    "~": "~",
    "^": "^",
    " ": " ",
    "\t": " ",
    "\n": " ",
    "\r": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "\\": " ",
    "-": "",
    "/": "",
    "@": "",
    "!": "",
}

_LETTER = r"(?:\\[ij](?![A-Za-z])|[A-Za-z])"
_LATEX_TOKEN = re.compile(
    r"\\(?P<acc>['`^\"~=.])\s*(?:\{\s*(?P<a1>" + _LETTER + r")\s*\}|(?P<a2>" + _LETTER + r"))"
    r"|\\(?P<lacc>[uvHckrbd])(?:\s*\{\s*(?P<l1>" + _LETTER + r")\s*\}|\s+(?P<l2>[A-Za-z]))"
    r"|(?P<noop>\\noopsort\s*\{[^{}]*\})"
    r"|\\(?P<word>[A-Za-z]+)[ \t\n\r]*(?P<args>(?:\{[^{}]*\}){0,9})"
    r"|\\(?P<sym>[^A-Za-z]?)"
    r"|(?P<dash>---?)"
    r"|(?P<quote>``|'')"
    r"|(?P<math>\$)"
    r"|(?P<tilde>~)"
    r"|(?P<brace>[{}])",
    re.DOTALL,
)
_DASHES = {"--": "–", "---": "—"}
_QUOTES = {"``": "“", "''": "”"}


def _collapse(text: str) -> str:
    """One space for every run of ASCII whitespace, none at the ends."""
    if (
        "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
        and _CONTROL_WHITESPACE.search(text) is None
    ):
        return text
    return _WHITESPACE_RUN.sub(" ", text).strip(WHITESPACE)


def is_plain(text: str) -> bool:
    """True when `decode_latex` has nothing to do but collapse spaces (the common case)."""
    return (
        _SPECIAL.search(text) is None and "--" not in text and "``" not in text and "''" not in text
    )


def _letter(token: str) -> str:
    return {"\\i": "i", "\\j": "j"}.get(token, token)


def _decode_token(match: re.Match[str]) -> str:
    """One table entry; macros the table lacks go to `_unknown_macro`."""
    accent = match.group("acc") or match.group("lacc")
    if accent is not None:
        letter = match.group("a1") or match.group("a2") or match.group("l1") or match.group("l2")
        return unicodedata.normalize("NFC", _letter(letter) + _ACCENTS[accent])
    word = match.group("word")
    if word is not None:
        args = match.group("args")
        if word == "url":
            return decode_verbatim(args)
        if word == "href" and args:  # \href{address}{text}: the text
            return _decode_table(args[args.rfind("{") :])
        symbol = "" if word in _FORMAT_WORDS else _SYMBOL_WORDS.get(word)
        if symbol is None:
            return _unknown_macro(f"\\{word}", args)
        return symbol + _decode_table(args) if args else symbol
    symbol = match.group("sym")
    if symbol is not None:
        decoded = _CONTROL_SYMBOLS.get(symbol)
        return _unknown_macro(match.group(0), "") if decoded is None else decoded
    text = match.group(0)
    return _DASHES.get(text) or _QUOTES.get(text) or (" " if text == "~" else "")


def _decode_table(text: str) -> str:
    return _LATEX_TOKEN.sub(_decode_token, text)


def _unknown_macro(macro: str, args: str) -> str:
    """pylatexenc's text for a macro the table lacks (``\\alpha`` -> α); when it has none,
    the macro is dropped and its arguments kept (``\\mkbibacro{NASA}`` -> NASA)."""
    if len(args) > CACHED_CHARS:
        return _unknown_macro_text(macro, args)
    return _unknown_macro_cached(macro, args)


def _unknown_macro_text(macro: str, args: str) -> str:
    try:
        text = str(_pylatexenc().latex_to_text(macro + args))
    except Exception:  # pylatexenc trips on some macros without their arguments
        text = ""
    text = text.replace("\xa0", " ").replace("\xad", "")
    if text.strip(WHITESPACE) or not args:
        return text
    return _decode_table(args)


_unknown_macro_cached = lru_cache(maxsize=4096)(_unknown_macro_text)


@cache
def _pylatexenc() -> Any:
    from pylatexenc.latex2text import (  # type: ignore[import-untyped]
        LatexNodes2Text,
        MacroTextSpec,
        get_default_latex_context_db,
    )

    context = get_default_latex_context_db()
    context.add_context_category(
        "evidence-tracker", prepend=True, macros=[MacroTextSpec("url", simplify_repl="%s")]
    )
    return LatexNodes2Text(latex_context=context, math_mode="text", keep_braced_groups=False)


#: Longer strings stay out of the caches shared across files: an abstract is rarely decoded
#: twice, and 65,536 cached values of a field's maximum size would hold gigabytes.
CACHED_CHARS = 2048


def _decode_text(text: str) -> str:
    return _WHITESPACE_RUN.sub(" ", _decode_table(text)).strip(WHITESPACE)


_decode_cached = lru_cache(maxsize=1 << 16)(_decode_text)


def decode_latex(text: str) -> str:
    """LaTeX field text to display Unicode: accents, symbols, dashes, quotes; braces dropped."""
    if not is_plain(text):
        return _decode_cached(text) if len(text) <= CACHED_CHARS else _decode_text(text)
    if "  " in text or text[:1] == " " or text[-1:] == " ":  # no tab or newline: plain
        return _WHITESPACE_RUN.sub(" ", text).strip(WHITESPACE)
    return text


_ENCODE = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "–": "--",
    "—": "---",
}
_NEEDS_ENCODE = re.compile(r"[\\{}$%&#_~^–—]|--|``|''")
_LIGATURE_CHARS = "-`'"


def encode_latex(text: str) -> str:
    """Display Unicode to BibTeX field text such that `decode_latex` gives it back.

    Non-ASCII letters stay UTF-8; LaTeX specials are escaped; a literal brace or backslash
    becomes ``\\textbraceleft{}`` etc. (BibTeX and pybtex count every brace, escaped or not);
    ``{}`` separates characters that would otherwise form a ligature (``--``, ``````,
    ``''``)."""
    text = _collapse(text)
    if _NEEDS_ENCODE.search(text) is None:
        return text
    out: list[str] = []
    last = ""
    for char in text:
        piece = _ENCODE.get(char, char)
        if last and last in _LIGATURE_CHARS and piece[0] == last:
            out.append("{}")
        out.append(piece)
        last = piece[-1]
    return "".join(out)


_VERBATIM_TOKEN = re.compile(
    r"\\(textbackslash|textbraceleft|textbraceright)\{\}|\\([_%&#${}])|[{}]"
)
_VERBATIM_ENCODE = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
}


def _decode_verbatim_token(match: re.Match[str]) -> str:
    word = match.group(1)
    if word is not None:
        return _SYMBOL_WORDS[word]
    return match.group(2) or ""


def decode_verbatim(text: str) -> str:
    """A verbatim field (url, doi, ...): only braces and ``\\_``-style escapes are removed."""
    if "\\" in text or "{" in text or "}" in text:
        text = _VERBATIM_TOKEN.sub(_decode_verbatim_token, text)
    return _collapse(text)


def encode_verbatim(text: str) -> str:
    """Inverse of `decode_verbatim`."""
    text = _collapse(text)
    if "\\" not in text and "{" not in text and "}" not in text:
        return text
    return "".join(_VERBATIM_ENCODE.get(char, char) for char in text)


UNESCAPED_BRACE = re.compile(r"(?<!\\)[{}]")
