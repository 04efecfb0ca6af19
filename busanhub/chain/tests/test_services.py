"""The anchoring pipeline on a real anvil node: outbox, seal, submit, confirm, receipts, and
what happens when the node is down, the chain reorganises or is reset, or a transaction sticks."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from busanhub.chain import node, services, verify
from busanhub.chain.devnode import Anvil
from busanhub.chain.models import AnchorBatch, AnchorLeaf, ChainDeployment
from busanhub.chain.testing import confirm_all

Status = AnchorBatch.Status


def anchor(n: int, kind: str = "test.record", public: bool = True) -> list[AnchorLeaf]:
    return [
        services.anchor_record(kind=kind, ref=f"r{i}", version=1, data={"i": i}, public=public)
        for i in range(n)
    ]


def nonce() -> int:
    return node.web3().eth.get_transaction_count(node.signer().address, "latest")


# --- the outbox -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anchor_record_is_idempotent_and_never_rewrites():
    leaf = services.anchor_record(kind="safety.report", ref="abc", version=1, data={"x": 1})
    assert leaf.digest.startswith("0x") and len(leaf.digest) == 66
    assert leaf.envelope == {"kind": "safety.report", "ref": "abc", "version": 1, "data": {"x": 1}}
    again = services.anchor_record(kind="safety.report", ref="abc", version=1, data={"x": 1})
    assert again.pk == leaf.pk
    with pytest.raises(ValidationError) as refused:
        services.anchor_record(kind="safety.report", ref="abc", version=1, data={"x": 2})
    assert "version" in refused.value.message_dict
    assert AnchorLeaf.objects.count() == 1
    assert AnchorLeaf.objects.get().envelope["data"] == {"x": 1}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "Safety", "ref": "a", "version": 1, "data": {}}, "kind"),
        ({"kind": "safety.report", "ref": "", "version": 1, "data": {}}, "ref"),
        ({"kind": "safety.report", "ref": "a", "version": 0, "data": {}}, "version"),
        ({"kind": "safety.report", "ref": "a", "version": 1, "data": {"f": float("nan")}}, "data"),
    ],
)
def test_anchor_record_refuses_bad_input_naming_the_field(kwargs, field):
    with pytest.raises(ValidationError) as refused:
        services.anchor_record(**kwargs)
    assert field in refused.value.message_dict
    assert AnchorLeaf.objects.count() == 0


@pytest.mark.django_db
def test_leaf_rolls_back_with_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        services.anchor_record(kind="safety.report", ref="gone", version=1, data={})
        raise RuntimeError("the caller's write failed")
    assert AnchorLeaf.objects.count() == 0


@pytest.mark.django_db
def test_seal_takes_pending_leaves_in_batches_of_the_configured_size(settings):
    settings.CHAIN_BATCH_SIZE = 4
    anchor(10)
    batches = services.batches_seal_all()
    assert [b.leaf_count for b in batches] == [4, 4, 2]
    assert not AnchorLeaf.objects.filter(batch__isnull=True).exists()
    assert services.batch_seal() is None  # nothing pending: no empty batch


# --- seal, submit, confirm, receipt ---------------------------------------------------------


def test_full_pipeline_gives_receipts_the_chain_accepts(chain):
    leaves = anchor(3)
    private = services.anchor_record(kind="test.private", ref="p", version=1, data={"secret": 1})
    assert services.receipt_for(leaves[0].digest) is None  # never a receipt before anchoring

    [batch] = services.batches_seal_all()
    assert batch.leaf_count == 4
    [sent] = services.batches_submit()
    assert sent.status == Status.SUBMITTED and sent.tx_hash
    [confirmed] = confirm_all()
    assert confirmed.status == Status.CONFIRMED
    assert confirmed.block_number and confirmed.block_hash.startswith("0x")
    assert confirmed.gas_used > 0

    receipt = services.receipt_for(leaves[1].digest)
    assert list(receipt) == [
        "type",
        "version",
        "record",
        "envelope",
        "digest",
        "leaf",
        "proof",
        "root",
        "anchor",
    ]
    assert receipt["record"] == {"kind": "test.record", "ref": "r1", "version": 1}
    assert receipt["root"] == batch.root and len(receipt["proof"]) == 2
    assert receipt["anchor"]["contract"] == chain.deployment.address
    assert receipt["anchor"]["chainId"] == 31337
    assert receipt["anchor"]["timestamp"].endswith("Z")
    result = verify.verify_on_chain(receipt, node.web3())
    assert result.ok, result.as_dict()
    assert [s.name for s in result.steps] == [
        "format",
        "envelope",
        "leaf",
        "proof",
        "chain",
        "anchored",
        "contract-verify",
        "block",
    ]
    # A private record's receipt carries no data unless asked for by someone allowed to see it.
    assert "envelope" not in services.receipt_for(private.digest)
    assert services.receipt_for(private.digest, include_envelope=True)["envelope"]["data"] == {
        "secret": 1
    }
    assert verify.verify_on_chain(services.receipt_for(private.digest), node.web3()).ok


def test_each_step_run_twice_sends_one_transaction(chain):
    anchor(2)
    services.batches_seal_all()
    assert services.batches_seal_all() == []
    before = nonce()
    services.batches_submit()
    services.batches_submit()
    confirm_all()
    assert nonce() == before + 1
    services.batches_confirm()
    services.batches_confirm()
    services.batches_replace_stuck()
    assert nonce() == before + 1
    assert AnchorBatch.objects.get().status == Status.CONFIRMED


def test_confirmation_waits_for_the_configured_number_of_blocks(chain, settings):
    settings.CHAIN_CONFIRMATIONS = 3
    anchor(1)
    services.batches_seal_all()
    services.batches_submit()
    assert services.batches_confirm() == []
    chain.call("anvil_mine", "0x1")
    assert services.batches_confirm() == []
    chain.call("anvil_mine", "0x1")
    assert len(services.batches_confirm()) == 1


def test_a_root_already_on_chain_is_adopted_not_sent_again(chain):
    # Given a batch whose transaction was sent but never recorded (a crash after sending)
    anchor(2)
    [batch] = services.batches_seal_all()
    w3 = node.web3()
    account = node.signer()
    contract = node.contract(w3, chain.deployment.address)
    tx = contract.functions.anchor(bytes.fromhex(batch.root[2:]), 2).build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
    )
    sent = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    w3.eth.wait_for_transaction_receipt(sent, timeout=10)
    before = nonce()
    # When submit runs, then it records that transaction instead of sending a second one
    [adopted] = services.batches_submit()
    assert adopted.tx_hash == node.to_hex(sent)
    assert nonce() == before
    confirm_all()
    assert AnchorBatch.objects.get().status == Status.CONFIRMED


def test_nothing_to_submit_without_a_deployment(db, settings, anvil):
    settings.CHAIN_RPC_URL = anvil.url
    settings.CHAIN_AUTO_DEPLOY = False
    anchor(1)
    services.batches_seal_all()
    with pytest.raises(node.NotDeployed):
        services.batches_submit()
    assert AnchorBatch.objects.get().status == Status.SEALED


# --- failures -------------------------------------------------------------------------------


def test_node_down_loses_nothing_and_anchors_when_back(db, settings, tmp_path):
    node_ = Anvil(state_path=str(tmp_path / "state.json")).start()
    try:
        settings.CHAIN_RPC_URL = node_.url
        settings.CHAIN_CONFIRMATIONS = 1
        services.deployment_create()
        leaves = anchor(3)
        node_.stop()  # the node goes down (its state is saved)

        [batch] = services.batches_seal_all()  # sealing needs only the database
        with pytest.raises(node.TRANSIENT_ERRORS):
            services.batches_submit()
        with pytest.raises(node.TRANSIENT_ERRORS):
            services.batches_confirm()
        batch.refresh_from_db()
        assert batch.status == Status.SEALED and batch.tx_hash == ""
        assert AnchorLeaf.objects.filter(batch=batch).count() == 3

        node_.start()  # back, same port, same chain
        assert services.batches_recheck() == 0
        services.batches_submit()
        confirm_all()
        batch.refresh_from_db()
        assert batch.status == Status.CONFIRMED
        assert verify.verify_on_chain(services.receipt_for(leaves[0].digest), node.web3()).ok
    finally:
        node_.stop()


def test_node_down_task_retries_with_backoff(db, settings):
    import requests

    from busanhub.chain import tasks

    unreachable = Anvil()  # never started: nothing listens on its port
    settings.CHAIN_RPC_URL = unreachable.url
    ChainDeployment.objects.create(
        chain_id=31337,
        address="0x" + "11" * 20,
        genesis_hash="0x" + "22" * 32,
        deploy_tx_hash="0x" + "33" * 32,
        deploy_block=1,
        deployer="0x" + "44" * 20,
    )
    anchor(1)
    tasks.seal_pending.apply()
    assert tasks.submit_sealed.retry_backoff
    assert issubclass(requests.ConnectionError, tasks.submit_sealed.autoretry_for)
    # Run eagerly, the retries happen at once; all fail while the node is down.
    result = tasks.submit_sealed.apply()
    assert result.failed() and isinstance(result.result, requests.ConnectionError)
    assert result.traceback
    assert AnchorBatch.objects.get().status == Status.SEALED  # nothing lost, nothing half-done


def test_reorg_sends_the_batch_back_and_it_anchors_again(own_chain):
    leaves = anchor(2)
    [batch] = services.batches_seal_all()
    snapshot = own_chain.call("evm_snapshot")
    services.batches_submit()
    confirm_all()
    batch.refresh_from_db()
    first_block_hash = batch.block_hash
    assert batch.status == Status.CONFIRMED

    # The chain reorganises: the block with our transaction is replaced by other blocks.
    own_chain.call("evm_revert", snapshot)
    own_chain.call("anvil_mine", "0x3")
    assert services.batches_recheck() == 1
    batch.refresh_from_db()
    assert batch.status == Status.SEALED and "reorg" in batch.last_error
    assert services.receipt_for(leaves[0].digest) is None

    services.batches_submit()
    confirm_all()
    batch.refresh_from_db()
    assert batch.status == Status.CONFIRMED and batch.block_hash != first_block_hash
    assert batch.attempts == 2
    assert verify.verify_on_chain(services.receipt_for(leaves[0].digest), node.web3()).ok


def test_chain_reset_redeploys_and_anchors_again(own_chain, settings):
    leaves = anchor(2)
    services.batches_seal_all()
    services.batches_submit()
    confirm_all()
    old = own_chain.deployment

    own_chain.call("anvil_reset")  # the chain starts over: the contract is gone
    requeued = services.batches_recheck()
    assert requeued == 1
    old.refresh_from_db()
    assert old.is_active is False and "reset" in old.deactivation_reason
    assert AnchorBatch.objects.get().status == Status.SEALED

    settings.CHAIN_AUTO_DEPLOY = True
    services.batches_submit()
    confirm_all()
    new = ChainDeployment.objects.get(is_active=True)
    assert new.pk != old.pk
    receipt = services.receipt_for(leaves[1].digest)
    assert receipt["anchor"]["contract"] == new.address
    assert verify.verify_on_chain(receipt, node.web3()).ok


def test_stuck_transaction_is_replaced_with_higher_fees(own_chain, settings):
    settings.CHAIN_STUCK_AFTER_S = 0
    leaves = anchor(1)
    services.batches_seal_all()
    own_chain.call("evm_setAutomine", False)
    [batch] = services.batches_submit()
    first_hash, first_fee = batch.tx_hash, batch.max_fee_per_gas
    # Fees jump above what the transaction offers: it stays in the pool, unmined.
    own_chain.call("anvil_setNextBlockBaseFeePerGas", hex(first_fee * 10))
    own_chain.call("evm_mine")
    # The node drops it as underpriced: confirmation replaces it, and so does the stuck check.
    assert services.batches_confirm() == []
    services.batches_replace_stuck()
    replaced = AnchorBatch.objects.get(pk=batch.pk)
    assert replaced.tx_hashes[0] == first_hash and len(replaced.tx_hashes) >= 2
    assert replaced.tx_hash == replaced.tx_hashes[-1] != first_hash
    assert replaced.nonce == batch.nonce
    assert replaced.max_fee_per_gas > first_fee * 10
    own_chain.call("evm_mine")
    [confirmed] = services.batches_confirm()
    assert confirmed.tx_hash == replaced.tx_hash
    assert nonce() == batch.nonce + 1  # one nonce, one transaction mined
    assert verify.verify_on_chain(services.receipt_for(leaves[0].digest), node.web3()).ok


def test_transaction_mined_between_the_receipt_and_the_nonce_reads_is_confirmed(
    own_chain, settings, monkeypatch
):
    """The nonce read after a missing receipt may see our own transaction, mined in between:
    the batch is confirmed, not sent back to sealed as if another transaction had spent it."""
    from busanhub.chain.services import batches

    leaves = anchor(1)
    services.batches_seal_all()
    own_chain.call("evm_setAutomine", False)
    [batch] = services.batches_submit()
    find_receipt = batches._find_receipt
    calls = []

    def mined_after_the_first_read(w3, batch):
        receipt = find_receipt(w3, batch)
        calls.append(receipt)
        if len(calls) == 1:
            own_chain.call("evm_mine")  # the node mines it right after the receipt read
        return receipt

    monkeypatch.setattr(batches, "_find_receipt", mined_after_the_first_read)
    services.batches_confirm()  # its head was read before the block: not yet confirmed
    assert calls[0] is None and calls[1] is not None
    assert AnchorBatch.objects.get(pk=batch.pk).status == Status.SUBMITTED
    [confirmed] = services.batches_confirm()
    assert confirmed.pk == batch.pk and confirmed.status == Status.CONFIRMED
    assert nonce() == batch.nonce + 1
    assert verify.verify_on_chain(services.receipt_for(leaves[0].digest), node.web3()).ok


# --- bulk outbox ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anchor_records_in_bulk_equals_one_by_one():
    records = [
        {"kind": "test.bulk", "ref": f"b{i}", "version": 1, "data": {"i": i}, "public": i % 2 == 0}
        for i in range(5)
    ]
    leaves = services.anchor_records(records)
    assert [leaf.ref for leaf in leaves] == ["b0", "b1", "b2", "b3", "b4"]
    assert [leaf.is_public for leaf in leaves] == [True, False, True, False, True]
    single = services.anchor_record(kind="test.bulk", ref="b3", version=1, data={"i": 3})
    assert single.pk == leaves[3].pk and single.digest == leaves[3].digest
    # Idempotent: the same records again create nothing new.
    again = services.anchor_records(records)
    assert [leaf.pk for leaf in again] == [leaf.pk for leaf in leaves]
    assert AnchorLeaf.objects.count() == 5


@pytest.mark.django_db
def test_anchor_records_is_all_or_nothing():
    services.anchor_record(kind="test.bulk", ref="x", version=1, data={"v": 1})
    with pytest.raises(ValidationError):
        services.anchor_records(
            [
                {"kind": "test.bulk", "ref": "new", "version": 1, "data": {}},
                {"kind": "test.bulk", "ref": "x", "version": 1, "data": {"v": 2}},  # rewrite
            ]
        )
    with pytest.raises(ValidationError) as refused:
        services.anchor_records([{"kind": "Bad", "ref": "y", "version": 1, "data": {}}])
    assert "records[0]" in refused.value.message_dict
    assert list(AnchorLeaf.objects.values_list("ref", flat=True)) == ["x"]
