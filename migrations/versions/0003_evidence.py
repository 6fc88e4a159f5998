"""evidence links, flags, open questions, citation topics, claim grades, status history

Existing claims start unsupported: before this revision nothing could support them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('open_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_open_questions_created_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_open_questions_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_questions')),
    sa.UniqueConstraint('document_id', 'slug', name=op.f('uq_open_questions_document_id_slug'))
    )
    with op.batch_alter_table('open_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_questions_document_id'), ['document_id'], unique=False)

    op.create_table('citation_topics',
    sa.Column('citation_id', sa.Integer(), nullable=False),
    sa.Column('facet', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['citation_id'], ['citations.id'], name=op.f('fk_citation_topics_citation_id_citations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('citation_id', 'facet', 'value', name=op.f('pk_citation_topics'))
    )
    with op.batch_alter_table('citation_topics', schema=None) as batch_op:
        batch_op.create_index('ix_citation_topics_facet_value', ['facet', 'value'], unique=False)

    op.create_table('question_evidence',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('citation_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('added_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_question_evidence_added_by_id_users')),
    sa.ForeignKeyConstraint(['citation_id'], ['citations.id'], name=op.f('fk_question_evidence_citation_id_citations')),
    sa.ForeignKeyConstraint(['question_id'], ['open_questions.id'], name=op.f('fk_question_evidence_question_id_open_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'citation_id', name=op.f('pk_question_evidence'))
    )
    op.create_table('evidence_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('citation_id', sa.Integer(), nullable=False),
    sa.Column('stance', sa.String(length=16), nullable=False),
    sa.Column('locator', sa.String(length=500), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('risk_of_bias', sa.String(length=16), nullable=False),
    sa.Column('inconsistency', sa.String(length=16), nullable=False),
    sa.Column('indirectness', sa.String(length=16), nullable=False),
    sa.Column('imprecision', sa.String(length=16), nullable=False),
    sa.Column('publication_bias', sa.String(length=16), nullable=False),
    sa.Column('large_effect', sa.Boolean(), nullable=False),
    sa.Column('dose_response', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['citation_id'], ['citations.id'], name=op.f('fk_evidence_links_citation_id_citations')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_evidence_links_claim_id_claims')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_evidence_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_evidence_links_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_links')),
    sa.UniqueConstraint('claim_id', 'citation_id', name=op.f('uq_evidence_links_claim_id_citation_id'))
    )
    with op.batch_alter_table('evidence_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_links_citation_id'), ['citation_id'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', tracker.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_flags_claim_id_claims')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_flags_closed_by_id_users')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_flags_raised_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags'))
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flags_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flags_state'), ['state'], unique=False)

    op.create_table('question_claims',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_question_claims_claim_id_claims')),
    sa.ForeignKeyConstraint(['question_id'], ['open_questions.id'], name=op.f('fk_question_claims_question_id_open_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'claim_id', name=op.f('pk_question_claims'))
    )
    op.create_table('status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_status_changes_claim_id_claims')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_status_changes_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_changes'))
    )
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_changes_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_changes_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_changes_document_id'), ['document_id'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_claim_id'), ['claim_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_claim_id_claims'), 'claims', ['claim_id'], ['id'])

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='unsupported'))
        batch_op.add_column(sa.Column('certainty', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('explanation', sa.Text(), nullable=False, server_default='unsupported: no supporting evidence'))
        batch_op.add_column(sa.Column('requirement', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('override_min_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('override_designs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('override_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('override_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('override_at', tracker.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('signed_off_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('signed_off_at', tracker.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('signed_off_status', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_claims_status'), ['status'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_claims_signed_off_by_id_users'), 'users', ['signed_off_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_claims_override_by_id_users'), 'users', ['override_by_id'], ['id'])
    # Claims that existed before this revision enter the status history as unsupported.
    op.execute(
        "INSERT INTO status_changes (at, document_id, claim_id, from_status, to_status) "
        "SELECT created_at, document_id, id, NULL, 'unsupported' FROM claims "
        "WHERE retired = false"
    )


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_claims_override_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_claims_signed_off_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_claims_status'))
        batch_op.drop_column('signed_off_status')
        batch_op.drop_column('signed_off_at')
        batch_op.drop_column('signed_off_by_id')
        batch_op.drop_column('override_at')
        batch_op.drop_column('override_by_id')
        batch_op.drop_column('override_reason')
        batch_op.drop_column('override_designs')
        batch_op.drop_column('override_min_count')
        batch_op.drop_column('requirement')
        batch_op.drop_column('explanation')
        batch_op.drop_column('certainty')
        batch_op.drop_column('status')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_claim_id_claims'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_events_claim_id'))
        batch_op.drop_column('claim_id')

    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_changes_document_id'))
        batch_op.drop_index(batch_op.f('ix_status_changes_claim_id'))
        batch_op.drop_index(batch_op.f('ix_status_changes_at'))

    op.drop_table('status_changes')
    op.drop_table('question_claims')
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flags_state'))
        batch_op.drop_index(batch_op.f('ix_flags_claim_id'))

    op.drop_table('flags')
    with op.batch_alter_table('evidence_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_links_citation_id'))

    op.drop_table('evidence_links')
    op.drop_table('question_evidence')
    with op.batch_alter_table('citation_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_citation_topics_facet_value')

    op.drop_table('citation_topics')
    with op.batch_alter_table('open_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_questions_document_id'))

    op.drop_table('open_questions')
