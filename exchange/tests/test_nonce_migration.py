"""The data migration that moves the hot wallet's `nonce:<address>` ScanCursor rows into
busanhub.chain's ChainSigner rows."""

import importlib

import pytest
from django.apps import apps

from busanhub.chain.models import ChainSigner
from exchange.models import ScanCursor

migration = importlib.import_module("exchange.migrations.0014_hot_wallet_nonces_to_chain_signers")
HOT = "0x1111111111111111111111111111111111111111"
OTHER = "0x2222222222222222222222222222222222222222"


@pytest.mark.django_db
def test_nonce_cursors_become_signer_rows_and_other_cursors_stay():
    # Given the exchange's nonce row, a scan cursor, and a signer row already counting higher
    ScanCursor.objects.create(name=f"nonce:{HOT}", block_number=17)
    ScanCursor.objects.create(name=f"nonce:{OTHER}", block_number=3)
    ScanCursor.objects.create(name="deposits", block_number=120)
    ChainSigner.objects.create(address=OTHER, next_nonce=9)

    # When the migration runs
    migration.nonces_to_signers(apps, None)

    # Then each nonce row is a signer's next nonce (never lowered) and is gone; deposits stays
    assert dict(ChainSigner.objects.values_list("address", "next_nonce")) == {HOT: 17, OTHER: 9}
    assert list(ScanCursor.objects.values_list("name", "block_number")) == [("deposits", 120)]


@pytest.mark.django_db
def test_the_migration_reverses():
    ChainSigner.objects.create(address=HOT, next_nonce=5)
    ChainSigner.objects.create(address=OTHER)  # never used: no cursor

    migration.signers_to_nonces(apps, None)

    assert list(ScanCursor.objects.values_list("name", "block_number")) == [(f"nonce:{HOT}", 5)]
