"""full-text index: PostgreSQL indexes inserted citations per statement

The trigger that indexed each inserted citation row by row becomes a statement-level trigger
reading the statement's transition table, so a bulk import (COPY) is indexed as one set; the
row trigger stays for updates of the indexed fields. SQLite: nothing changes. Idempotent (a
database whose revision 0010 already made the new triggers gets them again).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from tracker.finder import index

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = index.TABLE


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        return
    for statement in (index.drop_trigger_statements() + index.insert_function_statements()
                      + index.trigger_statements("postgresql")):
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        return
    for statement in index.drop_trigger_statements():
        op.execute(statement)
    op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_insert()")
    op.execute(f"CREATE TRIGGER {TABLE}_sync AFTER INSERT OR UPDATE OF title, abstract, "
               f"keywords, extra ON citations FOR EACH ROW EXECUTE FUNCTION {TABLE}_sync()")
