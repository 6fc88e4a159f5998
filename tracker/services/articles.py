"""Ingesting an article: file → sections, claims and listed resources, revision-aware.

Re-ingesting the same text changes nothing. A revised text keeps the identity (and so the
evidence) of unchanged and lightly edited claims, adds new ones and retires removed ones; see
`tracker.article.reconcile` for the matching rules.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker import db
from tracker.article import (
    ArticleError,
    ParsedArticle,
    ParsedClaim,
    Reconciliation,
    StoredClaim,
    parse_article,
    parse_page,
    reconcile,
)
from tracker.errors import Conflict, InvalidInput, NotFound
from tracker.fetch import fetch_page
from tracker.limits import (
    MAX_ARTICLE_BYTES,
    MAX_PAGE_BYTES,
    MAX_SLUG_CHARS,
    MB,
    check_text,
    read_bounded,
    recorded_path,
)
from tracker.models import (
    PATH_SEPARATOR,
    CitedSource,
    Claim,
    Document,
    Resource,
    Section,
    utcnow,
)
from tracker.services import evidence
from tracker.services.access import Actor, authorize, record

MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


@dataclass(frozen=True, slots=True)
class ArticleSource:
    """An article as read: its text (plain text, Markdown) or its bytes (a web page), where it
    came from, its format ("text", "markdown", "html"; None: decide from the text), the
    language the user gave, if any, and — when `read_article` or `fetch_article` made it — its
    parse, so that `ingest` parses nothing inside its write transaction."""

    text: str
    path: str
    fmt: str | None
    data: bytes | None = None  # a web page's bytes as received
    url: str | None = None  # where it was fetched from
    language: str | None = None
    parsed: ParsedArticle | None = None


@dataclass(slots=True)
class IngestReport:
    document_id: int
    slug: str
    title: str
    created: bool
    unchanged: bool
    claims: int = 0
    sections: int = 0
    resources: int = 0
    kept: int = 0
    edited: int = 0
    added: int = 0
    retired: int = 0
    changed_claim_ids: list[int] = field(default_factory=list)


def read_article(path: Path, *, language: str | None = None) -> ArticleSource:
    """Read an article file, refusing what is not a text article or a web page with a one-line
    reason. A text file over `MAX_ARTICLE_BYTES` (a page over `MAX_PAGE_BYTES`) is refused
    before it is read. `.html`/`.htm` files, and files that open with `<!DOCTYPE html` or
    `<html`, are web pages."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    if path.is_dir():
        raise InvalidInput(f"{path}: is a directory, not an article file")
    suffix = path.suffix.lower()
    limit = MAX_PAGE_BYTES if suffix in HTML_SUFFIXES else MAX_ARTICLE_BYTES
    try:
        data = read_bounded(path, limit, lambda size: _too_large(path, size, limit))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})") from None
    if not data.strip():
        raise InvalidInput(f"{path}: the file is empty")
    if suffix in HTML_SUFFIXES or _looks_like_html(data):
        page = ArticleSource(text="", path=str(path), fmt="html", data=data, language=language)
        return replace(page, parsed=_parse(page))
    text = _decode(path, data)
    fmt = "markdown" if suffix in MARKDOWN_SUFFIXES else None
    if suffix == ".txt":
        fmt = "text"
    source = ArticleSource(text=text, path=str(path), fmt=fmt, language=language)
    return replace(source, parsed=_parse(source))


def _parse(source: ArticleSource) -> ParsedArticle:
    try:
        return parse_source(source)
    except ArticleError as exc:
        raise InvalidInput(f"{source.path}: {exc}") from None


def fetch_article(url: str, *, language: str | None = None) -> ArticleSource:
    """Fetch an article's web page (`tracker.fetch.fetch_page`: time, size, redirect and
    content-type limits) as a source to ingest; a text response is read as text."""
    page = fetch_page(url)
    if page.media_type in ("text/html", "application/xhtml+xml"):
        fetched = ArticleSource(text="", path=page.url, fmt="html", data=page.data,
                                url=page.url, language=language)
        return replace(fetched, parsed=_parse(fetched))
    if len(page.data) > MAX_ARTICLE_BYTES:
        raise _too_large(Path(url), len(page.data), MAX_ARTICLE_BYTES)
    text = _decode(Path(url), page.data, page.charset)
    fmt = "markdown" if "markdown" in page.media_type else "text"
    fetched = ArticleSource(text=text, path=page.url, fmt=fmt, url=page.url, language=language)
    return replace(fetched, parsed=_parse(fetched))


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _too_large(path: Path, size: int, limit: int = MAX_ARTICLE_BYTES) -> InvalidInput:
    what = "a web page" if limit == MAX_PAGE_BYTES else "an article"
    return InvalidInput(
        f"{path}: the file is {size:,} bytes; {what} may be at most "
        f"{limit:,} bytes ({limit // MB} MB) - split it"
    )


def _decode(path: Path, data: bytes, charset: str | None = None) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path}: unreadable UTF-16 text ({exc.reason})") from None
    if b"\x00" in data:
        raise InvalidInput(f"{path}: looks like a binary file (NUL bytes), not a text article")
    try:
        text = data.decode("utf-8-sig") if not charset else data.decode(charset)
    except LookupError:
        text = data.decode("utf-8-sig", errors="replace")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"{path}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the article as UTF-8"
        ) from None
    controls = [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f"]
    if len(controls) > max(8, len(text) // 1000):
        raise InvalidInput(f"{path}: looks like a binary file (control characters), not text")
    return text


#: Latin letters that do not decompose into an ASCII letter and a mark.
_LATIN_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                                "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L",
                                "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"})


def slugify(title: str) -> str:
    """A document's identity from its title: its words in ASCII (letters of Latin-based
    scripts lose their marks: "Étude" → "etude", "Straße" → "strasse"). A title with letters
    that have no ASCII form (Hebrew, Arabic, Greek, Cyrillic, CJK...) also gets the first ten
    hex digits of its SHA-256, so that two different titles never share a slug."""
    letters = unicodedata.normalize("NFKD", title.translate(_LATIN_LETTERS))
    slug = re.sub(r"[^a-z0-9]+", "-", letters.encode("ascii", "ignore").decode().lower())
    slug = slug.strip("-")[:180].strip("-")
    untransliterated = any(not c.isascii() and unicodedata.category(c).startswith("L")
                           for c in letters)
    if not untransliterated and slug:
        return slug
    digest = hashlib.sha256(" ".join(title.split()).casefold().encode("utf-8")).hexdigest()
    return f"{slug or 'document'}-{digest[:10]}"


def ingest(
    session: Session,
    actor: Actor,
    source: ArticleSource,
    *,
    slug: str | None = None,
    revision_of: str | None = None,
) -> IngestReport:
    """Record an article (or a revision of one) as sections, claims and resources.

    The document is the one `revision_of` names (a revision, however much it changed), else
    the one with `slug` (default: `slugify` of the title), else a new one. A text whose slug
    names a tracked document is taken as its revision only when they plausibly are one
    article (`same_article`); otherwise Conflict, asking for --slug or --revision-of."""
    authorize(actor, "document.ingest")
    if slug is not None:
        slug = check_text(slug, "the document slug", MAX_SLUG_CHARS) or None
    parsed = source.parsed or _parse(source)
    source = replace(source, path=recorded_path(source.path))
    if revision_of is not None:
        document = session.scalar(select(Document).where(Document.slug == revision_of))
        if document is None:
            raise NotFound(f"no document {revision_of!r} to revise; `tracker documents` "
                           "lists them")
        slug = document.slug
    else:
        slug = slug or slugify(parsed.title)
        document = session.scalar(select(Document).where(Document.slug == slug))
    if document is None:
        return _create(session, actor, parsed, source, slug)
    if document.content_hash == parsed.content_hash:
        return IngestReport(
            document_id=document.id, slug=slug, title=document.title, created=False,
            unchanged=True, claims=_live_claims(session, document.id),
        )
    if revision_of is None:
        _check_same_article(session, document, parsed, source)
    return _revise(session, actor, document, parsed, source)


#: A revision keeps at least this share of the claims of the shorter version (kept as they
#: were, or lightly edited; see `tracker.article.reconcile`).
SAME_ARTICLE_SHARE = 0.5


def same_article(stored: list[StoredClaim], parsed: ParsedArticle) -> tuple[bool, int]:
    """Whether a new text is plausibly a revision of a document's claims, and how many
    claims they share."""
    plan = reconcile(stored, parsed.claims)
    shared = len(plan.kept) + len(plan.edited)
    shorter = min(len(stored), len(parsed.claims))
    return shared >= 1 and shared >= SAME_ARTICLE_SHARE * shorter, shared


def _check_same_article(session: Session, document: Document, parsed: ParsedArticle,
                        source: ArticleSource) -> None:
    stored = [StoredClaim(id=c.id, text=c.text, fingerprint=c.fingerprint,
                          section_path=_path_of(c.section))
              for c in session.scalars(select(Claim).where(
                  Claim.document_id == document.id, Claim.parent_id.is_(None),
                  Claim.retired.is_(False)).order_by(Claim.ordinal))]
    plausible, shared = same_article(stored, parsed)
    if not plausible:
        raise Conflict(
            f"{source.path}: the tracked document {document.slug!r} has this slug, but only "
            f"{shared} of its {len(stored)} claims are in this text ({len(parsed.claims)} "
            "claims), so it looks like another article; nothing was changed. Pass "
            f"--slug NEW-SLUG to track it as a new document, or --revision-of "
            f"{document.slug} to record it as a revision")


def parse_source(source: ArticleSource) -> ParsedArticle:
    """The source parsed by its format: a web page by `parse_page`, text by `parse_article`."""
    if source.fmt == "html":
        return parse_page(source.data or b"", source.url, source.language)
    fmt = source.fmt if source.fmt in ("text", "markdown") else None
    return parse_article(source.text, fmt=fmt, language=source.language)  # type: ignore[arg-type]


def _describe(document: Document, parsed: ParsedArticle, source: ArticleSource) -> None:
    """What the document says about itself, from this ingest (kept only for a page: bytes)."""
    document.author = (parsed.metadata.author or "")[:500] or None
    document.published = (parsed.metadata.published or "")[:32] or None
    document.language = parsed.language
    document.source_url = source.url[:2000] if source.url else None
    document.source_bytes = source.data if source.fmt == "html" else None


def _sync_cited(session: Session, document: Document, parsed: ParsedArticle,
                by_ordinal: dict[int, Claim]) -> None:
    """The document's cited sources replaced by this revision's (nothing refers to them)."""
    session.execute(delete(CitedSource).where(CitedSource.document_id == document.id))
    session.add_all(
        CitedSource(
            document_id=document.id, ordinal=cited.ordinal, kind=cited.kind,
            identifier=cited.identifier, url=cited.url, link_text=cited.link_text,
            sentence=cited.sentence, span_start=cited.start, span_end=cited.end,
            claim_id=(by_ordinal[cited.claim_ordinal].id
                      if cited.claim_ordinal is not None and cited.claim_ordinal in by_ordinal
                      else None),
        )
        for cited in parsed.cited
    )
    session.flush()


def _create(
    session: Session, actor: Actor, parsed: ParsedArticle, source: ArticleSource, slug: str
) -> IngestReport:
    document = Document(
        slug=slug, title=parsed.title, source_path=source.path,
        source_format=source.fmt or "auto", source_text=parsed.text,
        content_hash=parsed.content_hash,
    )
    _describe(document, parsed, source)
    session.add(document)
    session.flush()
    sections = _sync_sections(session, document, parsed)
    claims = [_new_claim(document, sections, c) for c in parsed.claims]
    session.add_all(claims)
    session.flush()
    _link_restatements(parsed, {c.ordinal: claim for c, claim in zip(parsed.claims, claims,
                                                                      strict=True)})
    for claim in claims:
        evidence.note_new_claim(session, claim)
    evidence.regrade(session, [c.id for c in claims])
    _sync_resources(session, document, parsed)
    _sync_cited(session, document, parsed, {c.ordinal: c for c in claims})
    report = IngestReport(
        document_id=document.id, slug=slug, title=parsed.title, created=True, unchanged=False,
        claims=len(claims), sections=len(parsed.sections), resources=len(parsed.resources),
        added=len(claims), changed_claim_ids=[c.id for c in claims],
    )
    record(session, actor, "document.ingest", "document", document.id,
           f"ingested {source.path}: {len(claims)} claims in {len(parsed.sections)} sections",
           document_id=document.id,
           after={"path": source.path, "content_hash": parsed.content_hash,
                  "claims": len(claims), "sections": len(parsed.sections),
                  "resources": len(parsed.resources)})
    return report


def _revise(
    session: Session, actor: Actor, document: Document, parsed: ParsedArticle,
    source: ArticleSource,
) -> IngestReport:
    """A new revision of a stored document: claims kept, reworded, added and retired by
    `reconcile`, each change audited, then the document's text replaced."""
    db.lock_document(session, document.id)  # reviewers of it finish first, then wait
    stored_rows = _claims_to_reconcile(session, document)
    sections = _sync_sections(session, document, parsed)
    by_id = {c.id: c for c in stored_rows}
    plan = reconcile([_stored(c) for c in stored_rows], parsed.claims)
    by_ordinal: dict[int, Claim] = {}
    changed: list[int] = []
    for claim_id, ordinal in plan.kept:
        _place(by_id[claim_id], sections, parsed.claims[ordinal])
        by_ordinal[ordinal] = by_id[claim_id]
    for claim_id, ordinal in plan.edited:
        _reword(session, actor, document, by_id[claim_id], sections, parsed.claims[ordinal])
        by_ordinal[ordinal] = by_id[claim_id]
        changed.append(claim_id)
    added = [_new_claim(document, sections, parsed.claims[o]) for o in plan.added]
    session.add_all(added)
    now = utcnow()
    for claim_id in plan.retired:
        _retire(session, actor, document, by_id[claim_id], now)
        changed.append(claim_id)
    session.flush()
    for ordinal, claim in zip(plan.added, added, strict=True):
        by_ordinal[ordinal] = claim
        changed.append(claim.id)
        evidence.note_new_claim(session, claim)
    evidence.regrade(session, [c for c in changed if c not in plan.retired])
    for claim in by_ordinal.values():
        claim.restates_id = None
    _link_restatements(parsed, by_ordinal)
    _sync_resources(session, document, parsed)
    _sync_cited(session, document, parsed, by_ordinal)
    return _replace_text(session, actor, document, parsed, source, plan, changed)


def _claims_to_reconcile(session: Session, document: Document) -> list[Claim]:
    """The document's live top-level claims, in order: what a revision is reconciled with."""
    return list(session.scalars(
        select(Claim).where(
            Claim.document_id == document.id, Claim.parent_id.is_(None),
            Claim.retired.is_(False),
        ).order_by(Claim.ordinal)
    ))


def _stored(claim: Claim) -> StoredClaim:
    return StoredClaim(id=claim.id, text=claim.text, fingerprint=claim.fingerprint,
                       section_path=_path_of(claim.section))


def _reword(
    session: Session, actor: Actor, document: Document, claim: Claim,
    sections: dict[tuple[str, ...], Section], new: ParsedClaim,
) -> None:
    """A claim whose wording a revision lightly edited keeps its identity, takes the new
    wording and category, and loses the parts the new wording no longer has."""
    before = {"text": claim.text, "category": claim.category}
    claim.text = new.text
    claim.fingerprint = new.fingerprint
    claim.category = new.category.value
    claim.category_rule = new.category_rule
    _place(claim, sections, new)
    _retire_lost_parts(session, actor, claim)
    record(session, actor, "claim.revise", "claim", claim.id,
           "wording changed in a revision of the article", document_id=document.id,
           before=before, after={"text": new.text, "category": new.category.value})


def _retire(
    session: Session, actor: Actor, document: Document, claim: Claim, now: datetime
) -> None:
    """A claim no longer in the article is retired, with its parts."""
    claim.retired = True
    claim.retired_at = now
    evidence.note_retired_claim(session, claim)
    for part in claim.parts:
        if not part.retired:
            evidence.note_retired_claim(session, part)
        part.retired = True
        part.retired_at = now
    record(session, actor, "claim.retire", "claim", claim.id,
           "no longer in the article", document_id=document.id,
           before={"text": claim.text}, after={"retired": True})


def _replace_text(
    session: Session, actor: Actor, document: Document, parsed: ParsedArticle,
    source: ArticleSource, plan: Reconciliation, changed: list[int],
) -> IngestReport:
    """The document takes the revision's text and description; the revision is audited."""
    _describe(document, parsed, source)
    before_doc = {"content_hash": document.content_hash, "path": document.source_path}
    document.title = parsed.title
    document.source_path = source.path
    document.source_text = parsed.text
    document.content_hash = parsed.content_hash
    session.flush()
    report = IngestReport(
        document_id=document.id, slug=document.slug, title=parsed.title, created=False,
        unchanged=False, claims=len(parsed.claims), sections=len(parsed.sections),
        resources=len(parsed.resources), kept=len(plan.kept), edited=len(plan.edited),
        added=len(plan.added), retired=len(plan.retired), changed_claim_ids=changed,
    )
    record(session, actor, "document.revise", "document", document.id,
           f"re-ingested {source.path}: {report.kept} kept, {report.edited} edited, "
           f"{report.added} added, {report.retired} retired", document_id=document.id,
           before=before_doc,
           after={"content_hash": parsed.content_hash, "path": source.path,
                  "kept": report.kept, "edited": report.edited, "added": report.added,
                  "retired": report.retired})
    return report


def _path_of(section: Section | None) -> tuple[str, ...]:
    if section is None:
        return ()
    return tuple(section.path_key.split(PATH_SEPARATOR))


def _sync_sections(
    session: Session, document: Document, parsed: ParsedArticle
) -> dict[tuple[str, ...], Section]:
    existing = {
        s.path_key: s
        for s in session.scalars(select(Section).where(Section.document_id == document.id))
    }
    by_path: dict[tuple[str, ...], Section] = {}
    seen: set[str] = set()
    for ps in parsed.sections:
        key = PATH_SEPARATOR.join(ps.path)
        section = existing.get(key)
        if section is None:
            section = Section(document_id=document.id, title=ps.title, path_key=key)
            session.add(section)
        section.level = ps.level
        section.ordinal = ps.ordinal
        section.kind = ps.kind.value
        section.span_start = ps.start
        section.span_end = ps.end
        section.retired = False
        section.parent = by_path.get(ps.path[:-1])
        by_path[ps.path] = section
        seen.add(key)
    for key, section in existing.items():
        if key not in seen:
            section.retired = True
    session.flush()
    return by_path


def _new_claim(
    document: Document, sections: dict[tuple[str, ...], Section], parsed: ParsedClaim
) -> Claim:
    claim = Claim(
        document_id=document.id, text=parsed.text, fingerprint=parsed.fingerprint,
        category=parsed.category.value, category_rule=parsed.category_rule,
    )
    _place(claim, sections, parsed)
    return claim


def _place(claim: Claim, sections: dict[tuple[str, ...], Section], parsed: ParsedClaim) -> None:
    claim.section = sections.get(parsed.section_path) if parsed.section_path else None
    claim.ordinal = parsed.ordinal
    claim.span_start = parsed.start
    claim.span_end = parsed.end
    claim.incomplete = parsed.incomplete
    claim.list_items = list(parsed.items) or None
    claim.retired = False
    claim.retired_at = None


def _link_restatements(parsed: ParsedArticle, by_ordinal: dict[int, Claim]) -> None:
    for pc in parsed.claims:
        if pc.restates is not None and pc.ordinal in by_ordinal and pc.restates in by_ordinal:
            by_ordinal[pc.ordinal].restates_id = by_ordinal[pc.restates].id


def _retire_lost_parts(session: Session, actor: Actor, claim: Claim) -> None:
    """Parts an editor split off stay while their words are still in the edited sentence."""
    for part in claim.parts:
        if part.retired:
            continue
        at = claim.text.find(part.text)
        if at < 0:
            evidence.note_retired_claim(session, part)
            part.retired = True
            part.retired_at = utcnow()
            record(session, actor, "claim.retire", "claim", part.id,
                   "part no longer in the revised sentence", document_id=claim.document_id,
                   before={"text": part.text}, after={"retired": True})
        else:
            part.span_start = claim.span_start + at
            part.span_end = part.span_start + len(part.text)


def _sync_resources(session: Session, document: Document, parsed: ParsedArticle) -> None:
    existing = {
        r.title: r
        for r in session.scalars(select(Resource).where(Resource.document_id == document.id))
    }
    seen = set()
    for pr in parsed.resources:
        resource = existing.get(pr.title)
        if resource is None:
            resource = Resource(document_id=document.id, title=pr.title)
            session.add(resource)
        resource.ordinal = pr.ordinal
        resource.description = pr.description
        resource.span_start = pr.start
        resource.span_end = pr.end
        resource.retired = False
        seen.add(pr.title)
    for title, resource in existing.items():
        if title not in seen:
            resource.retired = True
    session.flush()


def _live_claims(session: Session, document_id: int) -> int:
    count = session.scalar(
        select(func.count()).select_from(Claim).where(
            Claim.document_id == document_id, Claim.retired.is_(False),
            Claim.parent_id.is_(None))
    )
    return int(count or 0)
