"""wording decisions and PICO tags

Editors' decisions on proposed "overstated" flags (`wording_decisions`, GRADE guideline 26);
reviewers' decisions on the PICO tags of claims (`claim_tags`); a reviewer's decision and the
triggering words on the citations' tags (`citation_topics.state`, `.trigger`; NULL until a
reviewer decides, so a database nobody decided on goes down again without losing anything). Data: the rule tags
"cancer pain" that the old `\bcancer\b` rule put on chronic *non-cancer* pain sources are
removed where nothing else in the citation names cancer, oncology or palliative care.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('claim_tags',
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('facet', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_tags_claim_id_claims')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_claim_tags_decided_by_id_users')),
    sa.PrimaryKeyConstraint('claim_id', 'facet', 'value', name=op.f('pk_claim_tags'))
    )
    op.create_table('wording_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('strength', sa.String(length=16), nullable=False),
    sa.Column('allowed_strength', sa.String(length=16), nullable=False),
    sa.Column('certainty', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('suggestion', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', tracker.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_wording_decisions_claim_id_claims')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_wording_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['flag_id'], ['flags.id'], name=op.f('fk_wording_decisions_flag_id_flags')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wording_decisions'))
    )
    with op.batch_alter_table('wording_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wording_decisions_claim_id'), ['claim_id'], unique=False)

    with op.batch_alter_table('citation_topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('trigger', sa.Text(), nullable=True))
    _untag_non_cancer()


#: The corrected rule as of this revision (frozen here: the live one may change later).
_CANCER = re.compile(r"(?<!non-)(?<!non )\bcancer\b|oncolog|palliative", re.IGNORECASE)


def _untag_non_cancer() -> None:
    connection = op.get_bind()
    topics = sa.table('citation_topics', sa.column('citation_id', sa.Integer()),
                      sa.column('facet', sa.String()), sa.column('value', sa.String()),
                      sa.column('source', sa.String()))
    citations = sa.table('citations', sa.column('id', sa.Integer()),
                         sa.column('title', sa.Text()), sa.column('abstract', sa.Text()),
                         sa.column('keywords', sa.JSON()), sa.column('extra', sa.JSON()))
    tagged = connection.execute(
        sa.select(citations.c.id, citations.c.title, citations.c.abstract,
                  citations.c.keywords, citations.c.extra)
        .join(topics, topics.c.citation_id == citations.c.id)
        .where(topics.c.facet == 'condition', topics.c.value == 'cancer pain',
               topics.c.source == 'rule')).all()
    wrong = []
    for ident, title, abstract, keywords, extra in tagged:
        finding = (extra or {}).get('finding') if isinstance(extra, dict) else None
        text = "\n".join(t for t in (title, abstract, " ".join(keywords or []),
                                     finding if isinstance(finding, str) else None) if t)
        if not _CANCER.search(text):
            wrong.append(ident)
    if wrong:
        connection.execute(sa.delete(topics).where(
            topics.c.citation_id.in_(wrong), topics.c.facet == 'condition',
            topics.c.value == 'cancer pain', topics.c.source == 'rule'))


def downgrade() -> None:
    with op.batch_alter_table('citation_topics', schema=None) as batch_op:
        batch_op.drop_column('trigger')
        batch_op.drop_column('state')

    with op.batch_alter_table('wording_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wording_decisions_claim_id'))

    op.drop_table('wording_decisions')
    op.drop_table('claim_tags')
