"""evidence link ids are never reused (SQLite AUTOINCREMENT)

SQLite gives a new row the highest id + 1, so the id of the newest link, once unlinked, went to
the next link created — and a stale form's (link id, version) then edited that other link, and
the audit trail mixed the two. The table is rebuilt with AUTOINCREMENT and its counter starts
past every link id the audit trail has seen. PostgreSQL's sequences never reuse ids: nothing to
do there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('evidence_links', recreate='always',
                              table_kwargs={'sqlite_autoincrement': True}):
        pass
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'evidence_links'")
    op.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'evidence_links', max("
        "(SELECT coalesce(max(id), 0) FROM evidence_links), "
        "(SELECT coalesce(max(entity_id), 0) FROM audit_events "
        "WHERE entity_type = 'evidence_link'))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('evidence_links', recreate='always',
                              table_kwargs={'sqlite_autoincrement': False}):
        pass
