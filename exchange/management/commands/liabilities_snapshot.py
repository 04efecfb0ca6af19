"""`python manage.py liabilities_snapshot [--no-reserves]`: a proof-of-liabilities snapshot now
(the daily task's work, on demand). Prints the snapshot id, root and totals beside reserves."""

from django.core.management.base import BaseCommand

from exchange import services


class Command(BaseCommand):
    help = "Takes and anchors a proof-of-liabilities snapshot now."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-reserves", action="store_true", help="do not read reserves from the node"
        )

    def handle(self, *args, no_reserves, **options):
        snapshot = services.liabilities_snapshot(with_reserves=not no_reserves)
        self.stdout.write(f"snapshot {snapshot.public_id} root {snapshot.root}")
        for symbol, total in snapshot.totals.items():
            reserve = snapshot.reserves.get(symbol, "-")
            self.stdout.write(f"{symbol}: liabilities {total} reserves {reserve}")
