"""retraction notices

Notices about cited papers (retraction, expression of concern, correction, reinstatement)
read from the Retraction Watch database and matched to citations by DOI or PMID
(`retraction_notices`). A new table only: nothing existing changes.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models

revision: str = '0015'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('retraction_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citation_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('nature', sa.String(length=32), nullable=False),
    sa.Column('notice_date', sa.Date(), nullable=True),
    sa.Column('notice_doi', sa.String(length=255), nullable=True),
    sa.Column('notice_pmid', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('matched_on', sa.String(length=8), nullable=False),
    sa.Column('source_file', sa.String(length=1000), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citation_id'], ['citations.id'], name=op.f('fk_retraction_notices_citation_id_citations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_retraction_notices_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retraction_notices')),
    sa.UniqueConstraint('citation_id', 'record_id', name=op.f('uq_retraction_notices_citation_id_record_id'))
    )
    with op.batch_alter_table('retraction_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retraction_notices_citation_id'), ['citation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('retraction_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retraction_notices_citation_id'))

    op.drop_table('retraction_notices')
