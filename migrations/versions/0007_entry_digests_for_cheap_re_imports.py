"""entry digests for cheap re-imports

`citations.entry_digest`: SHA-256 of the entry's original text and of the @string macros its
file defined (`tracker.bibtex.entry_digest`). Re-importing a file looks the digests up (indexed)
and skips decoding the entries already stored as written. Citations stored before this
revision keep None and take the full path when re-imported (their file's macros were not kept,
so no digest can be computed for them).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_digest', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_citations_entry_digest'), ['entry_digest'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citations_entry_digest'))
        batch_op.drop_column('entry_digest')
