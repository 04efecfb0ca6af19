"""The hot wallet's nonce counter moves from the `nonce:<address>` ScanCursor rows (the
exchange's own nonce model) to busanhub.chain's ChainSigner rows, which busanhub.chain.evm
locks and counts for every server-held signer."""

from django.db import migrations

PREFIX = "nonce:"


def nonces_to_signers(apps, schema_editor):
    cursor_model = apps.get_model("exchange", "ScanCursor")
    signer_model = apps.get_model("chain", "ChainSigner")
    for cursor in cursor_model.objects.filter(name__startswith=PREFIX):
        address = cursor.name.removeprefix(PREFIX)
        signer, _ = signer_model.objects.get_or_create(address=address)
        signer.next_nonce = max(signer.next_nonce, cursor.block_number, 0)
        signer.save(update_fields=["next_nonce"])
        cursor.delete()


def signers_to_nonces(apps, schema_editor):
    cursor_model = apps.get_model("exchange", "ScanCursor")
    signer_model = apps.get_model("chain", "ChainSigner")
    for signer in signer_model.objects.filter(next_nonce__gt=0):
        cursor_model.objects.update_or_create(
            name=f"{PREFIX}{signer.address}", defaults={"block_number": signer.next_nonce}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0013_krw_transfer_owner_required"),
        ("chain", "0005_signer_nonces"),
    ]

    operations = [migrations.RunPython(nonces_to_signers, signers_to_nonces)]
