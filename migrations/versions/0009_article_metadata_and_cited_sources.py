"""article metadata, list items and the article's own citations

Documents gain what they say about themselves (author, published date, language, the address
a page was fetched from, the bytes of a page as received); claims the fragment items of the
list a sentence introduces; `cited_sources` holds the studies an article itself cites (DOI,
PMID, PMCID, journal links, "this 2023 review" phrases) as candidates, never evidence.
Existing documents keep None in the new columns until re-ingested.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cited_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('identifier', sa.String(length=1000), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('link_text', sa.String(length=500), nullable=False),
    sa.Column('sentence', sa.Text(), nullable=False),
    sa.Column('span_start', sa.Integer(), nullable=False),
    sa.Column('span_end', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_cited_sources_claim_id_claims')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_cited_sources_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cited_sources'))
    )
    with op.batch_alter_table('cited_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cited_sources_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cited_sources_document_id'), ['document_id'], unique=False)

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_items', sa.JSON(), nullable=True))

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('published', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('source_url', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('source_bytes', sa.LargeBinary(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('source_bytes')
        batch_op.drop_column('source_url')
        batch_op.drop_column('language')
        batch_op.drop_column('published')
        batch_op.drop_column('author')

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('list_items')

    with op.batch_alter_table('cited_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cited_sources_document_id'))
        batch_op.drop_index(batch_op.f('ix_cited_sources_claim_id'))

    op.drop_table('cited_sources')
