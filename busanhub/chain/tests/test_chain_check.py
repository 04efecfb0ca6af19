"""/verify/<digest> remembers a final anchor's chain steps for a while (busanhub.chain.chain_check):
counted on the wire, between the portal and the real anvil node."""

import json
import re
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.db import transaction

from busanhub.chain import chain_check, services
from busanhub.chain.models import AnchorBatch
from busanhub.chain.testing import anchor_pending, anchored_records

STEPS = ["format", "envelope", "leaf", "proof", "chain", "anchored", "contract-verify", "block"]


class CountingProxy:
    """A real HTTP hop in front of the node: forwards every JSON-RPC body and records each
    method the portal asked for."""

    def __init__(self, target: str):
        calls: list[str] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                payload = json.loads(body)
                with lock:
                    for call in payload if isinstance(payload, list) else [payload]:
                        calls.append(call["method"])
                request = urllib.request.Request(  # noqa: S310 - the test's own anvil
                    target, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    data = answer.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.calls = calls
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def counted(chain, settings):
    """The chain fixture's node, reached by the portal through a counting proxy."""
    proxy = CountingProxy(chain.url)
    settings.CHAIN_RPC_URL = proxy.url
    settings.CHAIN_CHECK_REMEMBER_S = 30
    yield proxy
    proxy.close()


def _checked_at(html: str) -> str | None:
    found = re.search(r'class="verify-checked"><small>(.*?)</small>', html, re.S)
    return found.group(1) if found else None


def test_a_record_of_a_batch_already_checked_asks_the_node_nothing(counted, client):
    # Given three records anchored in one confirmed batch, the first one's page seen once
    leaves = anchored_records(3)
    first = client.get(f"/verify/{leaves[0].digest}")
    assert first.context["result"].ok
    assert "eth_chainId" in counted.calls and "eth_call" in counted.calls
    assert "eth_getTransactionReceipt" in counted.calls
    assert "eth_blockNumber" in counted.calls  # its depth, before remembering
    counted.calls.clear()

    # When the page of another record of the same batch is shown, and the first one's again
    second = client.get(f"/verify/{leaves[1].digest}")
    again = client.get(f"/verify/{leaves[0].digest}", HTTP_ACCEPT_LANGUAGE="en")

    # Then the node was not asked, every step still holds, and the pages say when it was
    assert counted.calls == []
    for response in (second, again):
        assert response.status_code == 200
        assert response.context["result"].ok
        assert [s.name for s in response.context["result"].steps] == STEPS
        assert re.findall(r'<li class="verify-step (is-[\w-]+)"', response.content.decode()) == [
            "is-ok"
        ] * len(STEPS)
    html = again.content.decode()
    assert "The chain was last checked at " in html
    assert "KST." in _checked_at(html)
    assert "reused for up to 30 s" in html
    assert "this proof leads to the same root" in html  # not "returns true": it was not asked
    assert "체인을 마지막으로 확인한 시각: " in second.content.decode()
    assert second.context["chain_checked_at"] == first.context["chain_checked_at"]


def test_the_json_form_says_when_the_chain_was_checked_and_asks_once(counted, client):
    leaves = anchored_records(2)
    first = client.get(f"/verify/{leaves[0].digest}?format=json").json()
    counted.calls.clear()
    second = client.get(f"/verify/{leaves[1].digest}?format=json").json()
    assert counted.calls == []
    assert first["valid"] is True and second["valid"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", second["chainCheckedAt"])
    assert second["chainCheckedAt"] == first["chainCheckedAt"]
    assert [step["name"] for step in second["steps"]] == STEPS


def test_a_record_of_another_batch_asks_the_node(counted, client):
    # Given one batch's record seen (remembered), then a second batch anchored
    [old] = anchored_records(1)
    client.get(f"/verify/{old.digest}")
    [new] = anchored_records(1, kind="test.other")
    assert AnchorBatch.objects.filter(status=AnchorBatch.Status.CONFIRMED).count() == 2
    counted.calls.clear()

    # When the second batch's record is shown
    response = client.get(f"/verify/{new.digest}")

    # Then the node was asked about that batch
    assert response.context["result"].ok
    assert "eth_call" in counted.calls and "eth_getTransactionReceipt" in counted.calls


def test_the_remembered_steps_expire(counted, client, settings):
    settings.CHAIN_CHECK_REMEMBER_S = 1
    leaves = anchored_records(2)
    client.get(f"/verify/{leaves[0].digest}")
    counted.calls.clear()
    client.get(f"/verify/{leaves[1].digest}")
    assert counted.calls == []

    time.sleep(1.1)
    response = client.get(f"/verify/{leaves[1].digest}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.context["result"].ok
    assert "eth_call" in counted.calls
    assert "reused for up to 1 s" in response.content.decode()


def test_a_batch_not_yet_deep_enough_is_never_remembered(counted, client, settings, chain):
    # Given a batch the portal confirmed at one block, while the rule now asks for three
    leaves = anchored_records(2)
    settings.CHAIN_CONFIRMATIONS = 3

    # When its records are shown twice
    for leaf in leaves * 2:
        counted.calls.clear()
        response = client.get(f"/verify/{leaf.digest}")

        # Then every view asks the node (and says it checked the chain just now)
        assert response.context["result"].ok
        assert "eth_call" in counted.calls and "eth_blockNumber" in counted.calls
        assert response.context["chain_checked_at"] is not None

    # Once two more blocks are mined the batch is final: remembered from the next view on
    chain.call("anvil_mine", "0x2")
    client.get(f"/verify/{leaves[0].digest}")
    counted.calls.clear()
    client.get(f"/verify/{leaves[1].digest}")
    assert counted.calls == []


def test_a_failing_chain_step_is_never_remembered(counted, client):
    # Given a receipt whose transaction does not hold its root (the page would say so)
    leaves = anchored_records(2)
    receipt = services.receipt_for(leaves[0].digest)
    receipt["anchor"]["blockHash"] = "0x" + "00" * 32

    # When it is checked twice
    first = chain_check.receipt_check(receipt)
    counted.calls.clear()
    second = chain_check.receipt_check(receipt)

    # Then both failed at the block and the node was asked both times
    assert first.result.failed_step.name == "block"
    assert second.result.failed_step.name == "block" and not second.is_remembered
    assert "eth_getTransactionReceipt" in counted.calls


def test_a_requeued_batch_is_forgotten_and_its_new_anchor_checked(counted, client):
    # Given a batch whose records were seen (remembered)
    leaves = anchored_records(2)
    batch = AnchorBatch.objects.get()
    old = services.receipt_for(leaves[0].digest)
    assert client.get(f"/verify/{leaves[0].digest}").context["result"].ok
    assert chain_check.receipt_check(old).is_remembered

    # When the batch is sent back to sealed (as a reorg check does) and anchored again
    with transaction.atomic():
        locked = (
            AnchorBatch.objects.select_for_update(of=("self",)).select_related("deployment").get()
        )
        services.batch_requeue(batch=locked, reason="test: reorg")
    key = chain_check.anchor_key(
        chain_id=old["anchor"]["chainId"],
        contract=old["anchor"]["contract"],
        root=old["root"],
        tx_hash=old["anchor"]["txHash"],
        block_number=old["anchor"]["blockNumber"],
        block_hash=old["anchor"]["blockHash"],
    )
    assert cache.get(key) is None
    pending = client.get(f"/verify/{leaves[1].digest}")
    assert 'class="verify-verdict is-pending"' in pending.content.decode()
    anchor_pending()
    counted.calls.clear()
    response = client.get(f"/verify/{leaves[1].digest}")

    # Then the page asks the node about the batch's anchor as it stands now
    batch.refresh_from_db()
    assert response.context["receipt"]["anchor"]["txHash"] == batch.tx_hash
    assert response.context["result"].ok
    assert "eth_getTransactionReceipt" in counted.calls


def test_an_uploaded_receipt_is_checked_against_the_node_every_time(counted, client):
    leaves = anchored_records(2)
    client.get(f"/verify/{leaves[0].digest}")  # the batch is remembered for the digest pages
    counted.calls.clear()
    receipt = services.receipt_for(leaves[1].digest)
    response = client.post("/verify/", {"text": json.dumps(receipt)})
    assert response.context["result"].ok
    assert "eth_call" in counted.calls
    assert (
        "The chain was last checked at "
        in client.post(
            "/verify/", {"text": json.dumps(receipt)}, HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    )


def test_a_changed_record_shows_at_once_even_when_its_batch_is_remembered(counted):
    # Given a remembered batch
    leaves = anchored_records(2)
    assert chain_check.receipt_check(services.receipt_for(leaves[0].digest)).result.ok
    assert chain_check.receipt_check(services.receipt_for(leaves[1].digest)).is_remembered

    # When a record's data no longer matches its digest (the record-side steps run each time)
    receipt = services.receipt_for(leaves[1].digest)
    receipt["envelope"] = {**receipt["envelope"], "changed": True}
    checked = chain_check.receipt_check(receipt)

    # Then it fails at the envelope, and the chain steps are not even reached
    assert checked.result.failed_step.name == "envelope"
    assert [s.name for s in checked.result.steps] == ["format", "envelope", "leaf", "proof"]


def test_records_of_a_remembered_batch_each_show_their_own_steps(counted, client):
    # Given a batch holding a public and a private record, the public one's page seen twice
    # (its verdict and steps then rendered once for every view alike: busanhub/fragments.py)
    public = services.anchor_record(kind="test.record", ref="p", version=1, data={}, public=True)
    private = services.anchor_record(kind="test.record", ref="q", version=1, data={}, public=False)
    anchor_pending()
    client.get(f"/verify/{public.digest}")
    seen = client.get(f"/verify/{public.digest}")
    assert re.findall(r'<li class="verify-step (is-[\w-]+)"', seen.content.decode()) == [
        "is-ok"
    ] * len(STEPS)
    counted.calls.clear()

    # When the private record's page is shown, in Korean and in English
    korean = client.get(f"/verify/{private.digest}").content.decode()
    english = client.get(f"/verify/{private.digest}", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # Then each shows its own envelope step (not checked), in its language, from the cache
    assert counted.calls == []
    for html in (korean, english):
        assert (
            re.findall(r'<li class="verify-step (is-[\w-]+)"', html)
            == [
                "is-ok",
                "is-skipped",
            ]
            + ["is-ok"] * 6
        )
    assert "the record&#x27;s data is not public" in english
    assert "the record&#x27;s data is not public" not in korean
    assert "this proof leads to the same root" in english
