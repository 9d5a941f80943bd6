"""Partner keys for the standard covoiturage interop API

Revision ID: ab678a40d37f
Revises: ba62b3d05339
Create Date: 2026-12-01 21:35:17.669958

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ab678a40d37f"
down_revision = "ba62b3d05339"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "partner_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("rate_limit", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_key")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_partner_key_secret_hash")),
    )


def downgrade():
    op.drop_table("partner_key")
