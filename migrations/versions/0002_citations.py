"""citations: the literature, imported from BibTeX; resources link to them

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('citations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('entry_type', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('title_key', sa.Text(), nullable=False),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('authors_text', sa.Text(), nullable=False),
    sa.Column('first_author_key', sa.Text(), nullable=False),
    sa.Column('others', sa.Boolean(), nullable=False),
    sa.Column('editors', sa.JSON(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('container', sa.Text(), nullable=True),
    sa.Column('volume', sa.Text(), nullable=True),
    sa.Column('number', sa.Text(), nullable=True),
    sa.Column('pages', sa.Text(), nullable=True),
    sa.Column('doi', sa.Text(), nullable=True),
    sa.Column('pmid', sa.Text(), nullable=True),
    sa.Column('isbn', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('abstract', sa.Text(), nullable=True),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('design', sa.String(length=32), nullable=True),
    sa.Column('design_source', sa.String(length=16), nullable=False),
    sa.Column('design_reason', sa.Text(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('source_file', sa.String(length=1000), nullable=True),
    sa.Column('source_line', sa.Integer(), nullable=True),
    sa.Column('imported_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('verification_note', sa.Text(), nullable=True),
    sa.Column('retracted', sa.Boolean(), nullable=False),
    sa.Column('retraction_note', sa.Text(), nullable=True),
    sa.Column('updated_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_citations_imported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citations')),
    sa.UniqueConstraint('doi', name=op.f('uq_citations_doi')),
    sa.UniqueConstraint('key', name=op.f('uq_citations_key')),
    sa.UniqueConstraint('pmid', name=op.f('uq_citations_pmid'))
    )
    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.create_index('ix_citations_dedupe', ['title_key', 'year'], unique=False)
        batch_op.create_index(batch_op.f('ix_citations_design'), ['design'], unique=False)
        batch_op.create_index(batch_op.f('ix_citations_verified'), ['verified'], unique=False)

    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('citation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_resources_citation_id_citations'), 'citations', ['citation_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_resources_citation_id_citations'), type_='foreignkey')
        batch_op.drop_column('citation_id')

    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citations_verified'))
        batch_op.drop_index(batch_op.f('ix_citations_design'))
        batch_op.drop_index('ix_citations_dedupe')

    op.drop_table('citations')
