import json

from django.core.management.base import BaseCommand, CommandError

from busanhub.chain import selectors, services


class Command(BaseCommand):
    help = "Print the receipt JSON of an anchored digest (with its envelope: an operator's view)."

    def add_arguments(self, parser):
        parser.add_argument("digest")
        parser.add_argument("--no-envelope", action="store_true", help="leave the data out")

    def handle(self, *args, digest: str, no_envelope: bool, **options):
        receipt = services.receipt_for(digest, include_envelope=not no_envelope)
        if receipt is None:
            status = selectors.anchor_state(digest).status
            raise CommandError(f"not anchored yet (status: {status})")
        self.stdout.write(json.dumps(receipt, indent=2))
