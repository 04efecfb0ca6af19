from django.core.management.base import BaseCommand, CommandError

from busanhub.chain import node, services


class Command(BaseCommand):
    help = "Deploy the BusanAnchor contract with CHAIN_PRIVATE_KEY and record it as active."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing when an active deployment is still live on the node",
        )

    def handle(self, *args, if_missing=False, **options):
        try:
            active = services.deployment_active()
            if if_missing and active and services.deployment_check(deployment=active) is None:
                self.stdout.write(f"already deployed: {active.address} (chain {active.chain_id})")
                return
            deployment = services.deployment_create()
        except node.TRANSIENT_ERRORS as exc:
            raise CommandError(f"the chain node is unreachable: {exc}") from exc
        except node.ChainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"deployed BusanAnchor at {deployment.address} on chain {deployment.chain_id} "
            f"(tx {deployment.deploy_tx_hash}, block {deployment.deploy_block})"
        )
