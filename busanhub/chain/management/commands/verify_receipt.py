import json as jsonlib
import sys

from django.core.management.base import BaseCommand
from web3 import Web3

from busanhub.chain import node, verify


class Command(BaseCommand):
    help = (
        "Verify a receipt file against a chain node (CHAIN_RPC_URL or --rpc). "
        "Exit 0 when valid, 1 when a step fails (named), 2 when the file cannot be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--rpc", help="JSON-RPC URL (default: CHAIN_RPC_URL)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, file: str, rpc: str | None, json: bool, **options):
        try:
            with open(file, encoding="utf-8") as handle:
                receipt = _json_load(handle)
        except (OSError, ValueError) as exc:
            self.stderr.write(f"cannot read the receipt: {exc}")
            sys.exit(2)
        w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 10})) if rpc else node.web3()
        try:
            result = verify.verify_on_chain(receipt, w3)
        except node.TRANSIENT_ERRORS as exc:
            result = verify.verify_offline(receipt)
            result.explain("chain", False, "chain-error", error=str(exc))
        verify.print_result(result, as_json=json, out=self.stdout)
        if not result.ok:
            sys.exit(1)


def _json_load(handle):
    return jsonlib.load(handle)
