"""dual review: entries, items, assignments

Documents an editor puts under dual review (`dual_review_documents`); claims and studies
assigned to pairs of reviewers (`review_assignments`); each judgement two reviewers make
independently (`dual_items`: a stance, an appraisal, a directness) with their entries
(`dual_entries`) and the measured values of each entry (`dual_entry_values`, for agreement
statistics in SQL). New tables only: nothing existing changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dual_review_documents',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('required_by_id', sa.Integer(), nullable=False),
    sa.Column('required_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_dual_review_documents_document_id_documents')),
    sa.ForeignKeyConstraint(['required_by_id'], ['users.id'], name=op.f('fk_dual_review_documents_required_by_id_users')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_dual_review_documents'))
    )
    op.create_table('dual_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('citation_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_reason', sa.Text(), nullable=True),
    sa.Column('created_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revealed_at', tracker.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', tracker.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_payload', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['citation_id'], ['citations.id'], name=op.f('fk_dual_items_citation_id_citations')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_dual_items_claim_id_claims')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_dual_items_decided_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_dual_items_document_id_documents')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_dual_items_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dual_items')),
    sa.UniqueConstraint('target', name=op.f('uq_dual_items_target'))
    )
    with op.batch_alter_table('dual_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dual_items_citation_id'), ['citation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dual_items_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dual_items_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dual_items_state'), ['state'], unique=False)

    op.create_table('review_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('citation_id', sa.Integer(), nullable=True),
    sa.Column('first_reviewer_id', sa.Integer(), nullable=False),
    sa.Column('second_reviewer_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_review_assignments_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['citation_id'], ['citations.id'], name=op.f('fk_review_assignments_citation_id_citations')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_review_assignments_claim_id_claims')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_review_assignments_document_id_documents')),
    sa.ForeignKeyConstraint(['first_reviewer_id'], ['users.id'], name=op.f('fk_review_assignments_first_reviewer_id_users')),
    sa.ForeignKeyConstraint(['second_reviewer_id'], ['users.id'], name=op.f('fk_review_assignments_second_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_assignments')),
    sa.UniqueConstraint('document_id', 'target', name=op.f('uq_review_assignments_document_id_target'))
    )
    with op.batch_alter_table('review_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_assignments_citation_id'), ['citation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_assignments_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_assignments_document_id'), ['document_id'], unique=False)

    op.create_table('dual_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('submitted_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['dual_items.id'], name=op.f('fk_dual_entries_item_id_dual_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_dual_entries_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dual_entries')),
    sa.UniqueConstraint('item_id', 'reviewer_id', name=op.f('uq_dual_entries_item_id_reviewer_id'))
    )
    with op.batch_alter_table('dual_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dual_entries_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dual_entries_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('dual_entry_values',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['dual_entries.id'], name=op.f('fk_dual_entry_values_entry_id_dual_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'field', name=op.f('pk_dual_entry_values'))
    )


def downgrade() -> None:
    op.drop_table('dual_entry_values')
    with op.batch_alter_table('dual_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dual_entries_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_dual_entries_item_id'))

    op.drop_table('dual_entries')
    with op.batch_alter_table('review_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_assignments_document_id'))
        batch_op.drop_index(batch_op.f('ix_review_assignments_claim_id'))
        batch_op.drop_index(batch_op.f('ix_review_assignments_citation_id'))

    op.drop_table('review_assignments')
    with op.batch_alter_table('dual_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dual_items_state'))
        batch_op.drop_index(batch_op.f('ix_dual_items_document_id'))
        batch_op.drop_index(batch_op.f('ix_dual_items_claim_id'))
        batch_op.drop_index(batch_op.f('ix_dual_items_citation_id'))

    op.drop_table('dual_items')
    op.drop_table('dual_review_documents')
