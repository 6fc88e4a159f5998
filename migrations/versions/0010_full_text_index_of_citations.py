"""a full-text index of the citations for the evidence finder and the citation search

SQLite: the FTS5 table `citation_search` (title, abstract, keywords, finding); PostgreSQL: the
table `citation_search` (a weighted tsvector per citation) with a GIN index. Triggers on
`citations` keep it in step with every write; existing citations are indexed here. The index
is derived data, outside the models (`tracker.finder.index`; migrations/env.py leaves it out of
Alembic's comparison and backups leave it out).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from tracker.finder import index

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in index.install_statements(op.get_context().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in index.uninstall_statements(op.get_context().dialect.name):
        op.execute(statement)
