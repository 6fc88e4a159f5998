"""Site furniture and self-descriptions: lines and sentences that are never claims (pure).

A health page carries text that belongs to the site, not to the article: bylines, dates,
categories, breadcrumbs, calls to action, disclaimers, sign-up and share boxes. And an article
describes itself ("This leaflet has been produced to give you general information…"). Each is
recognised by a documented rule below, by what the line *does*, not by a fixed list of nouns;
bylines and dates also yield the document's metadata (author, date).

`furniture_kind(line)` classifies a whole line (a paragraph or a heading); `is_not_a_claim
(sentence)` says whether a sentence is furniture or a self-description. Both are linear in the
text and bounded (only the first `_MAX_FURNITURE_WORDS` words of a line are considered furniture).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = [
    "FurnitureLine",
    "byline_name",
    "furniture_kind",
    "is_furniture_heading",
    "is_not_a_claim",
    "is_self_description",
    "parse_date",
]

#: A line longer than this is a paragraph, never furniture (calls to action and bylines are short).
_MAX_FURNITURE_WORDS = 16

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "january jan enero janvier januar janeiro",
            "february feb febrero février fevrier februar",
            "march mar marzo mars märz marz",
            "april apr abril avril",
            "may mayo mai",
            "june jun junio juin juni",
            "july jul julio juillet juli",
            "august aug agosto août aout",
            "september sep sept septiembre septembre",
            "october oct octubre octobre oktober",
            "november nov noviembre novembre",
            "december dec diciembre décembre decembre dezember",
        ],
        start=1,
    )
    for name in names.split()
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = (
    # 12 March 2023, 12. März 2023
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\.?\s+(?:{_MONTH})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 12, 2023
    rf"|(?:{_MONTH})\.?\s+\d{{4}}"  # March 2023
    r"|\d{4}-\d{2}-\d{2}"  # 2023-03-12
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{4}"  # 12/03/2023
    r"|\d{4}年\d{1,2}月\d{1,2}日)"  # 2023年3月12日
)
_DATE_LABEL = (
    r"(?:(?:page\s+)?last\s+(?:reviewed|updated|modified)|next\s+review\s+(?:due|date)"
    r"|published(?:\s+on)?|posted(?:\s+on)?|updated(?:\s+on)?|reviewed(?:\s+on)?|modified"
    r"|date|actualizado|fecha|aktualisiert(?:\s+am)?|stand|mis\s+à\s+jour(?:\s+le)?|publié(?:\s+le)?"
    r"|更新日|公開日|作成日)"
)
#: A line that is a date, with or without its label ("Page last reviewed: 12 May 2023").
_DATE_LINE = re.compile(
    rf"^(?:{_DATE_LABEL}\s*:?\s*)?{_DATE}\.?$|^{_DATE_LABEL}\s*:?\s*{_DATE}", re.I
)
_DATE_IN_TEXT = re.compile(_DATE, re.I)

#: "By Jane Doe, MD", "Written by …", "Medically reviewed by …", "Von …", "Por …", "Par …".
_BYLINE = re.compile(
    r"^(?:(?:written|posted|reviewed|medically\s+reviewed|fact[- ]checked|edited)\s+by|by|von"
    r"|verfasst\s+von|geschrieben\s+von|escrito\s+por|écrit\s+par|rédigé\s+par"
    r"|por|par|author|autor|auteur|reviewer)\s*:?\s+(?P<name>[^\s].*?)\s*$",
    re.I,
)
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|de|van|von|der|la|le|da|del|di|y|and|&|,)$")

_CATEGORY = re.compile(
    r"^(?:categor(?:y|ies)|tags?|filed\s+under|posted\s+in|topics?|section|keywords"
    r"|also\s+called|also\s+known\s+as|other\s+names?|published\s+in|erschienen\s+in"
    r"|publicado\s+en|publié\s+dans|schlagwörter|schlüsselwörter|etiquetas|catégories"
    r"|mots-clés|palabras\s+clave)\s*:", re.I
)
#: A list of authors with their degrees ("Joseph D. Forrester, MD1, Jennifer C. Hunter,
#: DrPH1"): two or more names followed by a degree.
_AUTHOR_DEGREE = re.compile(
    r",\s*(?:MD|M\.D\.|PhD|Ph\.D\.|DrPH|DVM|MPH|MSc|MS|RN|PharmD|DO|MBBS|MRCGP|FRCP|FRCGP"
    r"|Dr\.?\s?med\.?)\s*\d*(?=[,;\s(]|$)"
)
_BREADCRUMB_SEPARATOR = re.compile(r"\s+(?:>|›|»|/|\||→)\s+")

#: Verbs a call to action starts with.
_CTA_VERB = re.compile(
    r"^(?:book|schedule|request|call|contact|subscribe|sign\s+up|sign\s+in|log\s+in|register"
    r"|download|share|follow|join|get\s+started|get\s+in\s+touch|learn\s+more|read\s+more"
    r"|find\s+out\s+more|see\s+more|click|tap|order|buy|shop|try|start|visit|discover"
    r"|explore|find|enquire|inquire|ask\s+(?:us|our)|chat|email\s+us|print|tweet|pin|save)\b",
    re.I,
)
#: Words that make a line starting with such a verb an offer rather than advice.
_CTA_OBJECT = re.compile(
    r"\b(?:free|today|now|us|our|consultation|appointment|newsletter|offer|here|online"
    r"|discount|quote|demo|trial|team|clinic|page|article|post|story|facebook|twitter|x"
    r"|linkedin|whatsapp|email|pinterest)\b",
    re.I,
)
_SIGN_UP = re.compile(
    r"\b(?:newsletter|mailing\s+list|subscribe|sign\s+up|enter\s+your\s+e-?mail"
    r"|your\s+e-?mail\s+address|cookies?|privacy\s+policy|terms\s+of\s+use)\b",
    re.I,
)
_SHARE = re.compile(
    r"^(?:share(?:\s+(?:this|on|via)\b.*)?|tweet|print(?:\s+this\s+page)?|email(?:\s+this\s+page)?"
    r"|facebook|twitter|linkedin|whatsapp|pinterest|copy\s+link|skip\s+to\s+(?:main\s+)?content"
    r"|back\s+to\s+top|menu|search|home|close)$",
    re.I,
)
_DISCLAIMER = re.compile(
    r"^(?:medical\s+)?disclaimer\b"
    r"|\bfor\s+(?:general\s+)?information(?:al)?\s+(?:purposes\s+)?only\b"
    r"|\b(?:is|are)\s+not\s+(?:intended|meant|designed)\s+(?:to\s+(?:be\s+)?|as\s+)"
    r"(?:a\s+)?(?:substitute|replace|replacement|provide|medical\s+advice|diagnose)"
    r"|\bnot\s+(?:be\s+)?(?:a\s+)?substitute\s+for\s+(?:professional\s+)?(?:medical\s+)?"
    r"(?:advice|care|diagnosis|treatment)"
    r"|\bdoes\s+not\s+(?:constitute|replace|provide)\s+(?:professional\s+)?(?:medical\s+)?advice",
    re.I,
)

#: A self-description: the document (whatever it calls itself) as the subject of what a
#: document does, or the writer announcing what follows.
_SELF_DESCRIPTION = re.compile(
    r"\b(?:this|the\s+present|our)\s+(?:[\w-]+\s+){1,2}?"
    r"(?:(?:has\s+been|was|is)\s+(?:produced|written|prepared|compiled)\b"
    r"|(?:will\s+|can\s+|aims\s+to\s+|tries\s+to\s+|sets\s+out\s+to\s+|is\s+going\s+to\s+)?"
    r"(?:explains?|describes?|tells?\s+you|outlines?|summari[sz]es?|discusses|answers|looks?\s+at"
    r"|explores?|introduces?|sets\s+out|walks?\s+you\s+through|goes\s+through)\b"
    r"|(?:will\s+)?(?:gives?|provides?|offers?)\s+(?:you\s+)?(?:with\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:information|an\s+overview|advice|guidance|answers|tips|facts|understanding)\b"
    r"|(?:will\s+|can\s+|should\s+|is\s+meant\s+to\s+|aims\s+to\s+)?helps?\s+you\s+(?:to\s+)?"
    r"(?:understand|decide|learn|find|know|prepare)\b"
    r"|covers?\s+(?:the|what|how|why|when|some|information|topics)\b)"
    r"|\bwe(?:'ll|’ll|\s+will|\s+are\s+going\s+to)?\s+(?:look\s+at|explain|describe|cover|discuss"
    r"|answer|explore|go\s+through|talk\s+about|tell\s+you|show\s+you)\b"
    r"|\byou(?:'ll|’ll|\s+will)\s+(?:learn|find\s+out|read|discover)\b"
    r"|\b(?:below|here)\s+(?:you(?:'ll|’ll|\s+will|\s+can)|we)\s+(?:find|learn|read|explain|look)"
    r"|\bthe\s+following\s+(?:[\w-]+\s+)?(?:sections?|paragraphs?|pages?|information"
    r"|questions)\b|\b(?:are\s+)?(?:included|found|answered)\s+in\s+the\s+(?:above|below)"
    r"\s+link\b"
    r"|\bin\s+this\s+(?:article|guide|post|leaflet|booklet|page|factsheet|fact\s+sheet|section"
    r"|video|blog|piece)\b"
    r"|\bthis\s+(?:article|guide|post|page|piece|section|leaflet|booklet|factsheet|website)\b"
    r"|\bread\s+on\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class FurnitureLine:
    """What a line of site furniture is, and the metadata it carries (author or date)."""

    kind: str  # byline, date, category, breadcrumb, call-to-action, sign-up, share, disclaimer
    author: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd when it could be read, else as written


def _words(text: str) -> list[str]:
    return text.split()


def byline_name(line: str) -> str | None:
    """The name in a byline ("By Jane Doe, MD" → "Jane Doe, MD"), or None."""
    return _byline_name(" ".join(line.split()))


def _byline_name(line: str) -> str | None:
    match = _BYLINE.match(line)
    if match is None:
        return None
    name = match.group("name").rstrip(".")
    words = _words(name)
    if not words or len(words) > 12:
        return None
    # A name: capitalised words (and particles, degrees after a comma), no sentence.
    head = name.split(",")[0].split(" and ")[0]
    head_words = _words(head)
    if not head_words or not all(_NAME_WORD.match(word) for word in head_words):
        return None
    return name


def _breadcrumb(line: str) -> bool:
    parts = _BREADCRUMB_SEPARATOR.split(line)
    if len(parts) < 3 and not (len(parts) == 2 and parts[0].casefold() == "home"):
        return False
    return all(0 < len(_words(part)) <= 6 and not part.endswith((".", "?", "!")) for part in parts)


def furniture_kind(line: str) -> FurnitureLine | None:
    """The kind of site furniture a whole line is, or None for article text.

    Rules, first match wins: a byline ("By Jane Doe, MD": capitalised name words after "by",
    "written by", "medically reviewed by", "von", "por", "par"); a date line (a date, alone or
    after "Published", "Last updated", "Page last reviewed", "Next review due"…); a category
    line ("Categories:", "Tags:", "Filed under"); a breadcrumb (three or more short parts, or
    "Home" and one, joined by ">", "›", "»", "/", "|"); a share or navigation word alone
    ("Share", "Print this page", "Skip to content"); a sign-up or cookie box (newsletter,
    subscribe, e-mail address, cookies, privacy policy) of a short line; a call to action (a
    short line starting with an imperative such as book, schedule, request, call, subscribe,
    learn more, with an offer word such as free, today, us, our, consultation, appointment,
    or three words or fewer without a full stop); a disclaimer ("for information purposes
    only", "not a substitute for medical advice"). Only lines of at most 16 words qualify,
    except disclaimers.
    """
    text = line.strip().strip("*_").strip()
    if not text:
        return None
    words = _words(text)
    if _DISCLAIMER.search(text):
        return FurnitureLine("disclaimer")
    if len(_AUTHOR_DEGREE.findall(text)) >= 2 and not _ends_in_sentence(text):
        return FurnitureLine("byline", author=text.split(",")[0].strip())
    if len(words) > _MAX_FURNITURE_WORDS:
        return None
    name = _byline_name(text)
    if name is not None:
        return FurnitureLine("byline", author=name)
    dated = _DATE_IN_TEXT.search(text)
    if _DATE_LINE.match(text) or (dated and len(words) <= 6 and not text.endswith(".")):
        return FurnitureLine("date", date=parse_date(dated.group(0)) if dated else None)
    if _CATEGORY.match(text):
        return FurnitureLine("category")
    if _breadcrumb(text):
        return FurnitureLine("breadcrumb")
    if _SHARE.match(text.rstrip(":")):
        return FurnitureLine("share")
    if _SIGN_UP.search(text) and len(words) <= 12:
        return FurnitureLine("sign-up")
    if _CTA_VERB.match(text) and (
        _CTA_OBJECT.search(text) or (len(words) <= 3 and not text.endswith("."))
    ):
        return FurnitureLine("call-to-action")
    return None


def _ends_in_sentence(text: str) -> bool:
    """An author list ends in a name, a degree or a note in brackets, not in a full stop after
    a lower-case word."""
    return bool(re.search(r"[a-zà-ÿ]{3,}\.$", text))


#: A pointer to elsewhere ("For more information, see …", "Para obtener más información,
#: consulte …"): where to read, not what is true.
_POINTER = re.compile(
    r"^\(?\s*(?:for\s+(?:more\s+|further\s+)?(?:information|details|tips|advice|help|guidance)\b"
    r"|read\s+more|leer\s+más|lire\s+(?:la\s+)?suite|en\s+savoir\s+plus|weiterlesen|mehr\s+lesen"
    r"|(?:to\s+)?(?:learn|find\s+out|read)\s+more\b|more\s+information\b"
    r"|para\s+(?:obtener\s+)?más\s+información|más\s+información"
    r"|pour\s+(?:en\s+savoir\s+)?plus(?:\s+d['’]informations?)?|plus\s+d['’]informations?"
    r"|weitere\s+informationen|mehr\s+(?:dazu|informationen)"
    r"|詳しくは|詳細は)",
    re.I,
)


def is_furniture_heading(title: str, *, markdown: bool = True) -> bool:
    """A heading that opens a box of site furniture, whose content is left out with it:
    related articles, share, sign-up, comments, advertisements; in Markdown also any heading
    that is a furniture line ("## Book an appointment"). A plain-text line that is furniture
    ("Home > Flu") is left out alone, not as a box: plain text has no heading levels."""
    key = title.strip().rstrip(":").casefold()
    if re.match(
        r"^(?:related(?:\s+(?:articles?|posts?|content|pages?|topics?|stories|reading))?"
        r"|you\s+(?:may|might)\s+also\s+(?:like|be\s+interested\s+in)|more\s+(?:from|on|in)\b.*"
        r"|popular\s+(?:articles?|posts?)|recent\s+posts?|latest\s+(?:news|articles?|posts?)"
        r"|comments?|leave\s+a\s+(?:comment|reply)|share(?:\s+this.*)?|follow\s+us.*"
        r"|advertisement|sponsored.*|about\s+the\s+author|tags|categories|newsletter.*"
        r"|stay\s+(?:informed|connected|up\s+to\s+date).*|get\s+in\s+touch|contact\s+us"
        r"|cookie.*|related\s+links|other\s+languages?)$",
        key,
    ):
        return True
    return markdown and furniture_kind(title) is not None


def is_self_description(sentence: str) -> bool:
    """The sentence describes the document itself ("This leaflet has been produced to give you
    general information", "In this guide we'll look at…", "Read on"): true of the text, not
    of the world."""
    return bool(_SELF_DESCRIPTION.search(sentence))


def is_not_a_claim(sentence: str) -> bool:
    """A sentence that is furniture (a call to action, a disclaimer, a sign-up line) or a
    self-description."""
    return (is_self_description(sentence) or bool(_POINTER.match(sentence))
            or furniture_kind(sentence) is not None)


def parse_date(text: str) -> str:
    """`text` as an ISO date (yyyy-mm-dd) when it is one of the forms `furniture_kind` reads;
    month-year gives the first of the month; day/month/year is read day first (as outside the
    US); otherwise `text` as written."""
    value = text.strip().rstrip(".")
    if match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value):
        return _iso(int(match[1]), int(match[2]), int(match[3])) or value
    if match := re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", value):
        return _iso(int(match[1]), int(match[2]), int(match[3])) or value
    if match := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", value):
        return _iso(int(match[3]), int(match[2]), int(match[1])) or value
    words = re.findall(r"[^\W\d_]+|\d+", value.casefold())
    numbers = [int(word) for word in words if word.isdigit()]
    months = [_MONTHS[word] for word in words if word in _MONTHS]
    years = [n for n in numbers if n > 31]
    days = [n for n in numbers if n <= 31]
    if months and years:
        return _iso(years[0], months[0], days[0] if days else 1) or value
    return value


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
