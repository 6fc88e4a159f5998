"""indexes for a health desk's scale: a document's live claims, open flags per claim

Measured at 300 documents, 20,000 claims, 50,000 citations (benchmarks/NOTES.md has the
EXPLAIN output before and after):
- claims (document_id, retired, parent_id) replaces claims (document_id): a document's live
  sentences are counted from the index alone;
- claims (parent_id) becomes partial (parent_id IS NOT NULL): SQLite's planner, which has no
  statistics, took `parent_id IS NULL` (nearly every claim) for a selective condition;
- flags (claim_id, state) replaces flags (claim_id) and flags (state): open flags of a claim
  are one index probe; SQLite scanned every open flag of the desk through the state index;
- citation_topics (facet, value) goes: SQLite read every topic through it for one document's
  gap map; the primary key (citation_id, facet, value) serves the lookups.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_PARENT = sa.text("parent_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('citation_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_citation_topics_facet_value')

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_document_id'))
        batch_op.create_index('ix_claims_document_id_retired_parent_id',
                              ['document_id', 'retired', 'parent_id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_claims_parent_id'))
        batch_op.create_index('ix_claims_parent_id', ['parent_id'], unique=False,
                              sqlite_where=HAS_PARENT, postgresql_where=HAS_PARENT)

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flags_claim_id'))
        batch_op.drop_index(batch_op.f('ix_flags_state'))
        batch_op.create_index('ix_flags_claim_id_state', ['claim_id', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_claim_id_state')
        batch_op.create_index(batch_op.f('ix_flags_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_flags_claim_id'), ['claim_id'], unique=False)

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_parent_id')
        batch_op.create_index(batch_op.f('ix_claims_parent_id'), ['parent_id'], unique=False)
        batch_op.drop_index('ix_claims_document_id_retired_parent_id')
        batch_op.create_index(batch_op.f('ix_claims_document_id'), ['document_id'], unique=False)

    with op.batch_alter_table('citation_topics', schema=None) as batch_op:
        batch_op.create_index('ix_citation_topics_facet_value', ['facet', 'value'], unique=False)
