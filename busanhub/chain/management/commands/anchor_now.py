import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from busanhub.chain import node, services
from busanhub.chain.models import AnchorBatch


class Command(BaseCommand):
    help = (
        "Seal, submit and wait for the confirmation of everything pending, printing the batches "
        "(for operations, demos and tests)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=120, help="seconds to wait at most")

    def handle(self, *args, timeout: float, **options):
        try:
            sealed = services.batches_seal_all()
            for batch in sealed:
                self.stdout.write(
                    f"sealed    batch {batch.pk}: {batch.leaf_count} leaves, root {batch.root}"
                )
            deadline = time.monotonic() + timeout
            while True:
                services.batches_recheck()
                for batch in services.batches_submit():
                    self.stdout.write(f"submitted batch {batch.pk}: tx {batch.tx_hash}")
                services.batches_replace_stuck()
                for batch in services.batches_confirm():
                    self.stdout.write(
                        f"confirmed batch {batch.pk}: block {batch.block_number} "
                        f"({batch.block_hash}), gas {batch.gas_used}"
                    )
                waiting = AnchorBatch.objects.exclude(status=AnchorBatch.Status.CONFIRMED).count()
                if not waiting:
                    break
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"{waiting} batches not confirmed after {timeout:.0f} s "
                        f"(CHAIN_CONFIRMATIONS={settings.CHAIN_CONFIRMATIONS})"
                    )
                time.sleep(0.5)
        except node.TRANSIENT_ERRORS as exc:
            raise CommandError(f"the chain node is unreachable: {exc}") from exc
        except node.ChainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS("everything is anchored"))
