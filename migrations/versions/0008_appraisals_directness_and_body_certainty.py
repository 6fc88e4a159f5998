"""appraisals, directness and body-of-evidence certainty

The grading rules of tracker.grading (docs/grading.md) rate a claim's whole body of evidence
from per-study appraisals and per-link directness, and never read a missing judgement as "no
concerns". This revision:

- adds `appraisals` + `appraisal_domains` (one appraisal per citation, RoB 2 / ROBINS-I /
  AMSTAR 2 / JBI), `link_directness` (population, intervention, comparator, outcome, setting
  per evidence link), `body_judgements` (a reviewer's judgement on a domain of a claim's body)
  and `evidence_searches` (who looked for evidence, when, where), and `review_items` (what a
  review file last loaded, so that loading it again leaves what people changed since);
- adds the study's effect to `evidence_links` (outcome, measure, estimate, 95 % CI,
  participants, studies, follow-up) and makes its five concern columns nullable: NULL is
  "not judged". Links whose five concerns were all "none" with no upgrade — the old default,
  indistinguishable from "nobody judged" — become NULL; every other recorded judgement stays
  the link's. Nothing is turned into an appraisal.
- adds `claims.track` / `track_source` / `track_reason` (effect or descriptive claim, proposed
  by rule), `claims.standing` (the descriptive track's verdict) and `claims.rules_version`
  (0 here: set-up — `tracker init`, `bootstrap`, `restore` — regrades such claims with the
  current rules);
- rewrites the stored verdicts to what can be said without regrading: a certainty becomes
  "not-assessed" (no study is appraised yet), "unsupported" becomes "not-reviewed" for a claim
  with no evidence link and "insufficient" for one with links (also in the status history).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONCERNS = ('risk_of_bias', 'inconsistency', 'indirectness', 'imprecision', 'publication_bias')
_NOTE = ('(stored under the earlier grading rules; regraded by `tracker init`) ')


def _link_counter() -> int | None:
    """SQLite rebuilds evidence_links to alter it: its AUTOINCREMENT counter (0006) must
    survive, or a removed link's id would be handed out again."""
    if op.get_bind().dialect.name != 'sqlite':
        return None
    return int(op.get_bind().execute(sa.text(
        "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'evidence_links'"))
        .scalar() or 0)


def _restore_link_counter(counter: int | None) -> None:
    if counter is None:
        return
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'evidence_links'")
    op.execute(sa.text(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'evidence_links', max(:counter, "
        "(SELECT coalesce(max(id), 0) FROM evidence_links))").bindparams(counter=counter))


def upgrade() -> None:
    op.create_table(
        'appraisals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('citation_id', sa.Integer(), nullable=False),
        sa.Column('tool', sa.String(length=24), nullable=False),
        sa.Column('overall', sa.String(length=24), nullable=False),
        sa.Column('escalated', sa.Boolean(), nullable=False),
        sa.Column('pools', sa.String(length=16), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('appraised_by_id', sa.Integer(), nullable=False),
        sa.Column('appraised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['appraised_by_id'], ['users.id'],
                                name=op.f('fk_appraisals_appraised_by_id_users')),
        sa.ForeignKeyConstraint(['citation_id'], ['citations.id'],
                                name=op.f('fk_appraisals_citation_id_citations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisals')),
        sa.UniqueConstraint('citation_id', name=op.f('uq_appraisals_citation_id')),
    )
    op.create_table(
        'appraisal_domains',
        sa.Column('appraisal_id', sa.Integer(), nullable=False),
        sa.Column('domain', sa.String(length=8), nullable=False),
        sa.Column('ordinal', sa.Integer(), nullable=False),
        sa.Column('judgement', sa.String(length=24), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['appraisal_id'], ['appraisals.id'], ondelete='CASCADE',
                                name=op.f('fk_appraisal_domains_appraisal_id_appraisals')),
        sa.PrimaryKeyConstraint('appraisal_id', 'domain', name=op.f('pk_appraisal_domains')),
    )
    op.create_table(
        'link_directness',
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('element', sa.String(length=16), nullable=False),
        sa.Column('judgement', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('judged_by_id', sa.Integer(), nullable=False),
        sa.Column('judged_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['judged_by_id'], ['users.id'],
                                name=op.f('fk_link_directness_judged_by_id_users')),
        sa.ForeignKeyConstraint(['link_id'], ['evidence_links.id'], ondelete='CASCADE',
                                name=op.f('fk_link_directness_link_id_evidence_links')),
        sa.PrimaryKeyConstraint('link_id', 'element', name=op.f('pk_link_directness')),
    )
    op.create_table(
        'body_judgements',
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('domain', sa.String(length=32), nullable=False),
        sa.Column('value', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('judged_by_id', sa.Integer(), nullable=False),
        sa.Column('judged_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_body_judgements_claim_id_claims')),
        sa.ForeignKeyConstraint(['judged_by_id'], ['users.id'],
                                name=op.f('fk_body_judgements_judged_by_id_users')),
        sa.PrimaryKeyConstraint('claim_id', 'domain', name=op.f('pk_body_judgements')),
    )
    op.create_table(
        'evidence_searches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('searched_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('searched_by_id', sa.Integer(), nullable=False),
        sa.Column('sources', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_evidence_searches_claim_id_claims')),
        sa.ForeignKeyConstraint(['searched_by_id'], ['users.id'],
                                name=op.f('fk_evidence_searches_searched_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_searches')),
    )
    op.create_index(op.f('ix_evidence_searches_claim_id'), 'evidence_searches', ['claim_id'],
                    unique=False)
    op.create_table(
        'review_items',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('item', sa.String(length=300), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_review_items_document_id_documents')),
        sa.PrimaryKeyConstraint('document_id', 'item', name=op.f('pk_review_items')),
    )

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standing', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('track', sa.String(length=16), nullable=False,
                                      server_default='effect'))
        batch_op.add_column(sa.Column('track_source', sa.String(length=16), nullable=False,
                                      server_default='rule'))
        batch_op.add_column(sa.Column('track_reason', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('rules_version', sa.Integer(), nullable=False,
                                      server_default=sa.text('0')))
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=24), existing_nullable=False)
        batch_op.alter_column('signed_off_status', existing_type=sa.String(length=16),
                              type_=sa.String(length=24), existing_nullable=True)
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        for name in ('from_status', 'to_status'):
            batch_op.alter_column(name, existing_type=sa.String(length=16),
                                  type_=sa.String(length=24), existing_nullable=True)

    counter = _link_counter()
    with op.batch_alter_table('evidence_links', schema=None,
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        for name in CONCERNS:
            batch_op.alter_column(name, existing_type=sa.String(length=16), nullable=True)
        batch_op.add_column(sa.Column('effect_outcome', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('effect_measure', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('effect_estimate', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('effect_ci_low', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('effect_ci_high', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('participants', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('studies', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('follow_up', sa.String(length=200), nullable=True))
    _restore_link_counter(counter)

    op.execute(
        sa.text("UPDATE evidence_links SET " + ", ".join(f"{n} = NULL" for n in CONCERNS)
                + " WHERE " + " AND ".join(f"{n} = 'none'" for n in CONCERNS)
                + " AND NOT large_effect AND NOT dose_response"))
    has_links = "EXISTS (SELECT 1 FROM evidence_links e WHERE e.claim_id = claims.id)"
    op.execute(sa.text(
        "UPDATE claims SET certainty = 'not-assessed' WHERE certainty IS NOT NULL"))
    op.execute(sa.text(
        f"UPDATE claims SET status = CASE WHEN {has_links} THEN 'insufficient' "
        "ELSE 'not-reviewed' END WHERE status = 'unsupported'"))
    op.execute(sa.text(f"UPDATE claims SET explanation = '{_NOTE}' || explanation"))
    for column in ('from_status', 'to_status'):
        op.execute(sa.text(
            f"UPDATE status_changes SET {column} = CASE WHEN EXISTS (SELECT 1 FROM "
            "evidence_links e WHERE e.claim_id = status_changes.claim_id) THEN 'insufficient' "
            f"ELSE 'not-reviewed' END WHERE {column} = 'unsupported'"))


def downgrade() -> None:
    for column in ('from_status', 'to_status'):
        op.execute(sa.text(
            f"UPDATE status_changes SET {column} = 'unsupported' WHERE {column} IN "
            "('not-reviewed', 'no-evidence-found', 'contradicted') OR ("
            f"{column} = 'insufficient' AND NOT EXISTS (SELECT 1 FROM evidence_links e "
            "WHERE e.claim_id = status_changes.claim_id AND e.stance = 'supports'))"))
    op.execute(sa.text(
        "UPDATE claims SET status = 'unsupported' WHERE status IN ('not-reviewed', "
        "'no-evidence-found', 'contradicted') OR (status = 'insufficient' AND NOT EXISTS ("
        "SELECT 1 FROM evidence_links e WHERE e.claim_id = claims.id AND e.stance = 'supports'))"))
    op.execute(sa.text("UPDATE claims SET certainty = NULL WHERE certainty = 'not-assessed'"))
    for name in CONCERNS:
        op.execute(sa.text(f"UPDATE evidence_links SET {name} = 'none' WHERE {name} IS NULL"))
    counter = _link_counter()
    with op.batch_alter_table('evidence_links', schema=None,
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        for name in ('follow_up', 'studies', 'participants', 'effect_ci_high', 'effect_ci_low',
                     'effect_estimate', 'effect_measure', 'effect_outcome'):
            batch_op.drop_column(name)
        for name in CONCERNS:
            batch_op.alter_column(name, existing_type=sa.String(length=16), nullable=False)
    _restore_link_counter(counter)
    op.execute(sa.text(
        "UPDATE claims SET signed_off_status = 'unsupported' WHERE signed_off_status IN "
        "('not-reviewed', 'no-evidence-found', 'contradicted')"))
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        for name in ('from_status', 'to_status'):
            batch_op.alter_column(name, existing_type=sa.String(length=24),
                                  type_=sa.String(length=16), existing_nullable=True)
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.alter_column('signed_off_status', existing_type=sa.String(length=24),
                              type_=sa.String(length=16), existing_nullable=True)
        batch_op.alter_column('status', existing_type=sa.String(length=24),
                              type_=sa.String(length=16), existing_nullable=False)
        for name in ('rules_version', 'track_reason', 'track_source', 'track', 'standing'):
            batch_op.drop_column(name)
    op.drop_table('review_items')
    op.drop_index(op.f('ix_evidence_searches_claim_id'), table_name='evidence_searches')
    op.drop_table('evidence_searches')
    op.drop_table('body_judgements')
    op.drop_table('link_directness')
    op.drop_table('appraisal_domains')
    op.drop_table('appraisals')
