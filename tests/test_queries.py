"""The shared reads (tracker.queries) against plain-Python counts over the same rows, on the
shipped database and on a small synthetic health desk (several documents, split and retired
claims, open and closed flags), on SQLite and PostgreSQL; and paging that adds up."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.conftest import synth
from tracker import db, queries
from tracker.models import Claim, Document, Flag, Resource, Section
from tracker.services.articles import PATH_SEPARATOR
from tracker.vocabulary import FlagState

WEAK = queries.QUEUE_STATUSES



@pytest.fixture(params=["shipped", "synthetic"])
def desk(request: pytest.FixtureRequest, engine: Engine) -> Iterator[Engine]:
    """The shipped review, or a synthetic desk of size S (3 documents, 200 claims)."""
    if request.param == "shipped":
        yield request.getfixturevalue("shipped_engine")
        return
    generator = synth()
    generator.create(engine.url.render_as_string(hide_password=False), generator.SIZES["S"],
                       progress=None)
    yield engine


class Rows:
    """Every claim, flag, section and document, loaded once for plain-Python counting."""

    def __init__(self, engine: Engine) -> None:
        with db.reading(engine) as session:
            self.claims = list(session.scalars(select(Claim)))
            self.flags = list(session.scalars(select(Flag)))
            self.sections = list(session.scalars(select(Section)))
            self.documents = list(session.scalars(select(Document)))
            self.resources = list(session.scalars(select(Resource)))
        self.by_id = {c.id: c for c in self.claims}

    def graded(self, document: int | None) -> list[Claim]:
        return [c for c in self.claims if not c.retired and c.parent_id is None
                and (document is None or c.document_id == document)]

    def open_on(self, claim_id: int) -> bool:
        return any(f.claim_id == claim_id and f.state == FlagState.OPEN.value
                   for f in self.flags)


def scopes(rows: Rows) -> list[int | None]:
    return [None, *sorted(d.id for d in rows.documents)]


def test_coverage_counts_what_python_counts(desk: Engine) -> None:
    rows = Rows(desk)
    with db.reading(desk) as session:
        for document in scopes(rows):
            graded = rows.graded(document)
            cov = queries.coverage(session, document)
            assert cov.claims == len(graded)
            assert cov.by_status == {s: sum(c.status == s for c in graded)
                                     for s in queries.STATUSES}
            effect = [c for c in graded if c.track == "effect"]
            assert cov.by_certainty == {k: sum((c.certainty or "none") == k for c in effect)
                                        for k in (*queries.CERTAINTIES, "none")}
            assert sum(c.certainty is not None for c in graded) == sum(
                c.certainty is not None for c in effect), "only effect claims have a certainty"
            assert cov.by_standing == {k: sum(c.standing == k for c in graded)
                                       for k in queries.STANDINGS}
            assert cov.signed_off == sum(c.signed_off_status is not None
                                         and c.signed_off_status == c.status for c in graded)
            assert cov.open_flags == sum(
                f.state == FlagState.OPEN.value and not rows.by_id[f.claim_id].retired
                and (document is None or rows.by_id[f.claim_id].document_id == document)
                for f in rows.flags)


def test_coverage_by_section_groups_subsections_under_their_top_section(desk: Engine) -> None:
    rows = Rows(desk)
    with db.reading(desk) as session:
        for document in scopes(rows)[1:]:
            live = {s.id: s for s in rows.sections
                    if s.document_id == document and not s.retired}
            ordinals: dict[str, int] = {"(introduction)": -1}
            for s in live.values():
                top = s.path_key.split(PATH_SEPARATOR)[0]
                ordinals[top] = min(s.ordinal, ordinals.get(top, s.ordinal))
            totals: dict[str, Counter[str]] = defaultdict(Counter)
            for c in rows.graded(document):
                section = live.get(c.section_id) if c.section_id is not None else None
                top = section.path_key.split(PATH_SEPARATOR)[0] if section else "(introduction)"
                totals[top]["total"] += 1
                totals[top][c.status] += 1
            expected = sorted(
                (queries.CoverageRow(g, ordinals[g], t["total"],
                                     *(t[s] for s in queries.STATUSES))
                 for g, t in totals.items()), key=lambda r: r.ordinal)
            assert queries.coverage_by_section(session, document) == expected


def test_coverage_by_category_and_over_time(desk: Engine) -> None:
    rows = Rows(desk)
    with db.reading(desk) as session:
        for document in scopes(rows):
            graded = rows.graded(document)
            categories = sorted({c.category for c in graded})
            assert [(r.group, r.ordinal, r.total, r.supported) for r in
                    queries.coverage_by_category(session, document)] == [
                (k, i, sum(c.category == k for c in graded),
                 sum(c.category == k and c.status == "supported" for c in graded))
                for i, k in enumerate(categories)]
            if document is None:
                continue
            last: dict[str, int] = {}
            for point in queries.coverage_over_time(session, document):
                last[point.status] = point.claims  # points come day by day
            by_status = queries.coverage(session, document).by_status
            assert {s: last.get(s, 0) for s in queries.STATUSES} == by_status


def test_queue_and_its_size(desk: Engine) -> None:
    rows = Rows(desk)
    with db.reading(desk) as session:
        for document in scopes(rows):
            waiting = sorted(
                (c for c in rows.graded(document) if c.status in WEAK
                 and not rows.open_on(c.id)),
                key=lambda c: (WEAK.index(c.status), c.document_id, c.ordinal))
            assert queries.queue_size(session, document) == len(waiting)
            assert [r.id for r in queries.queue(session, document)] == [c.id for c in waiting]
            assert [r.id for r in queries.queue(session, document, limit=3, offset=2)] == [
                c.id for c in waiting[2:5]]


def test_flag_summary(desk: Engine) -> None:
    rows = Rows(desk)
    now = datetime.now(UTC)
    with db.reading(desk) as session:
        for document in scopes(rows):
            mine = [f for f in rows.flags if document is None
                    or rows.by_id[f.claim_id].document_id == document]
            expected = []
            for kind in sorted({f.kind for f in mine}):
                of = [f for f in mine if f.kind == kind]
                waiting = [f for f in of if f.state == FlagState.OPEN.value]
                expected.append(queries.FlagSummary(
                    kind, len(waiting), sum(f.state == "resolved" for f in of),
                    sum(f.state == "dismissed" for f in of),
                    sum(f.raised_at < now - timedelta(days=7) for f in waiting),
                    sum(f.raised_at < now - timedelta(days=30) for f in waiting)))
            assert queries.flag_summary(session, document, now=now) == expected


def test_documents_count_live_claims_sections_and_resources(desk: Engine) -> None:
    rows = Rows(desk)
    with db.reading(desk) as session:
        found = {d.id: d for d in queries.documents(session)}
    assert list(found) == [d.id for d in sorted(rows.documents, key=lambda d: d.title)]
    for d in rows.documents:
        assert (found[d.id].claims, found[d.id].sections, found[d.id].resources) == (
            len(rows.graded(d.id)),
            sum(s.document_id == d.id and not s.retired for s in rows.sections),
            sum(r.document_id == d.id and not r.retired for r in rows.resources))
        with db.reading(desk) as session:
            assert queries.article_view(session, d.id).document == found[d.id]


@pytest.mark.parametrize("filters", [
    {}, {"include_parts": False}, {"status": "supported"}, {"flagged": True},
    {"flagged": False, "include_retired": True},
])
def test_claims_pages_add_up_to_the_whole_list(desk: Engine, filters: dict[str, Any]) -> None:
    rows = Rows(desk)
    with db.reading(desk) as session:
        for document in scopes(rows):
            where = queries.ClaimFilter(document_id=document, **filters)
            whole = queries.claims(session, where)
            assert queries.claim_count(session, where) == len(whole)
            pages = [queries.claims(session, where, limit=7, offset=start)
                     for start in range(0, len(whole) + 7, 7)]
            assert [r for page in pages for r in page] == whole


def test_flags_pages_add_up_to_the_whole_list(desk: Engine) -> None:
    rows = Rows(desk)
    with db.reading(desk) as session:
        for document in scopes(rows):
            for state in (None, FlagState.OPEN.value, FlagState.RESOLVED.value):
                where = queries.FlagFilter(document_id=document, state=state)
                whole = queries.flags(session, where)
                assert queries.flag_count(session, where) == len(whole)
                pages = [queries.flags(session, where, limit=4, offset=start)
                         for start in range(0, len(whole) + 4, 4)]
                assert [f for page in pages for f in page] == whole
