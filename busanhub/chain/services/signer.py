from contextlib import contextmanager

from django.db import transaction

from busanhub.chain.models import ChainSigner


@contextmanager
def signer_locked(address: str):
    """Serialises everything that spends the signer's nonces, across processes and machines.

    A row lock on the signer's row (`SELECT ... FOR UPDATE`), held while a nonce is read from
    the node, the transaction signed and sent.
    """
    ChainSigner.objects.get_or_create(address=address)
    with transaction.atomic():
        yield ChainSigner.objects.select_for_update().get(address=address)
