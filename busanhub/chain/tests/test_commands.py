"""The management commands of the anchoring platform, and the stand-alone receipt verifier."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from busanhub.chain import node, services
from busanhub.chain.devnode import ROOT, free_port
from busanhub.chain.models import AnchorBatch, AnchorLeaf, ChainDeployment
from busanhub.chain.testing import anchored_records as anchor_and_confirm

Status = AnchorBatch.Status


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def nonce() -> int:
    return node.web3().eth.get_transaction_count(node.signer().address, "latest")


def write_receipt(tmp_path: Path, receipt: dict, name: str = "receipt.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(receipt, indent=2), encoding="utf-8")
    return str(path)


def tamper_proof(receipt: dict) -> dict:
    tampered = json.loads(json.dumps(receipt))
    element = tampered["proof"][0]
    tampered["proof"][0] = element[:-1] + ("0" if element[-1] != "0" else "1")
    return tampered


@pytest.fixture
def node_only(db, settings, anvil):
    """The session's anvil without a deployment recorded."""
    settings.CHAIN_RPC_URL = anvil.url
    settings.CHAIN_CONFIRMATIONS = 1
    settings.CHAIN_AUTO_DEPLOY = False
    return anvil


# --- chain_deploy -----------------------------------------------------------------------------


def test_chain_deploy_records_an_active_deployment(node_only):
    # Given no deployment
    assert not ChainDeployment.objects.exists()

    # When chain_deploy runs
    out = run("chain_deploy")

    # Then one active deployment is recorded, and the contract is on chain
    deployment = ChainDeployment.objects.get()
    assert deployment.is_active
    assert deployment.chain_id == 31337
    assert deployment.deployer == node.signer().address
    assert node.web3().eth.get_code(deployment.address)
    assert out == (
        f"deployed BusanAnchor at {deployment.address} on chain 31337 "
        f"(tx {deployment.deploy_tx_hash}, block {deployment.deploy_block})\n"
    )


def test_chain_deploy_if_missing_does_nothing_when_deployed(node_only):
    run("chain_deploy", "--if-missing")
    deployment = ChainDeployment.objects.get()
    before = nonce()

    out = run("chain_deploy", "--if-missing")

    assert out == f"already deployed: {deployment.address} (chain 31337)\n"
    assert list(ChainDeployment.objects.values_list("pk", "is_active")) == [(deployment.pk, True)]
    assert nonce() == before  # no transaction sent


def test_chain_deploy_again_replaces_the_active_deployment(node_only):
    run("chain_deploy")
    first = ChainDeployment.objects.get()
    run("chain_deploy")
    first.refresh_from_db()
    second = ChainDeployment.objects.get(is_active=True)
    assert second.pk != first.pk and second.address != first.address
    assert not first.is_active
    assert first.deactivation_reason == "replaced by a new deployment"


@pytest.mark.django_db
def test_chain_deploy_with_the_node_down_is_a_command_error(settings):
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(CommandError, match="the chain node is unreachable"):
        run("chain_deploy")
    assert not ChainDeployment.objects.exists()


# --- anchor_now -------------------------------------------------------------------------------


def test_anchor_now_seals_submits_and_confirms_everything(chain, settings):
    # Given 5 pending leaves and batches of 2
    settings.CHAIN_BATCH_SIZE = 2
    for i in range(5):
        services.anchor_record(kind="test.record", ref=f"r{i}", version=1, data={"i": i})

    # When anchor_now runs
    out = run("anchor_now", "--timeout", "30")

    # Then three batches were sealed, sent and confirmed, and it says so, line by line
    batches = list(AnchorBatch.objects.order_by("pk"))
    assert [b.leaf_count for b in batches] == [2, 2, 1]
    assert {b.status for b in batches} == {Status.CONFIRMED}
    assert not AnchorLeaf.objects.filter(batch__isnull=True).exists()
    lines = out.splitlines()
    assert lines[:3] == [
        f"sealed    batch {b.pk}: {b.leaf_count} leaves, root {b.root}" for b in batches
    ]
    assert [line for line in lines if line.startswith("submitted")] == [
        f"submitted batch {b.pk}: tx {b.tx_hash}" for b in batches
    ]
    assert [line for line in lines if line.startswith("confirmed")] == [
        f"confirmed batch {b.pk}: block {b.block_number} ({b.block_hash}), gas {b.gas_used}"
        for b in batches
    ]
    assert lines[-1] == "everything is anchored"


def test_anchor_now_with_nothing_pending(chain):
    assert run("anchor_now") == "everything is anchored\n"
    assert not AnchorBatch.objects.exists()


def test_anchor_now_with_the_node_down_is_a_command_error(chain, settings):
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"
    services.anchor_record(kind="test.record", ref="r1", version=1, data={})
    with pytest.raises(CommandError, match="the chain node is unreachable"):
        run("anchor_now", "--timeout", "5")
    # Sealing needs no node: the batch waits, sealed, for the node to come back
    assert list(AnchorBatch.objects.values_list("status", flat=True)) == [Status.SEALED]


# --- receipt ----------------------------------------------------------------------------------


def test_receipt_prints_the_receipt_with_its_envelope(chain):
    leaves = anchor_and_confirm(public=False)
    out = run("receipt", leaves[1].digest)
    assert json.loads(out) == services.receipt_for(leaves[1].digest, include_envelope=True)
    assert json.loads(out)["envelope"] == leaves[1].envelope


def test_receipt_without_envelope(chain):
    leaves = anchor_and_confirm(public=True)
    out = run("receipt", leaves[0].digest, "--no-envelope")
    assert json.loads(out) == services.receipt_for(leaves[0].digest, include_envelope=False)
    assert "envelope" not in json.loads(out)


@pytest.mark.django_db
def test_receipt_of_an_unknown_or_pending_digest_is_a_command_error():
    with pytest.raises(CommandError, match=r"not anchored yet \(status: unknown\)"):
        run("receipt", "0x" + "ab" * 32)
    leaf = services.anchor_record(kind="test.record", ref="r1", version=1, data={})
    with pytest.raises(CommandError, match=r"not anchored yet \(status: pending\)"):
        run("receipt", leaf.digest)


# --- verify_receipt ---------------------------------------------------------------------------


def test_verify_receipt_command_accepts_a_valid_receipt(chain, tmp_path, capsys):
    leaves = anchor_and_confirm()
    path = write_receipt(tmp_path, services.receipt_for(leaves[0].digest))
    out = run("verify_receipt", path, "--rpc", chain.url)  # no SystemExit: exit status 0
    assert out.splitlines()[-1] == "VALID"
    assert [line.split(":")[0] for line in out.splitlines()[:-1]] == [
        "ok   format",
        "ok   envelope",
        "ok   leaf",
        "ok   proof",
        "ok   chain",
        "ok   anchored",
        "ok   contract-verify",
        "ok   block",
    ]


def test_verify_receipt_command_uses_the_configured_node_by_default(chain, tmp_path):
    leaves = anchor_and_confirm()
    path = write_receipt(tmp_path, services.receipt_for(leaves[0].digest))
    out = run("verify_receipt", path, "--json")
    assert json.loads(out)["valid"] is True


def test_verify_receipt_command_names_the_failing_step(chain, tmp_path):
    leaves = anchor_and_confirm()
    path = write_receipt(tmp_path, tamper_proof(services.receipt_for(leaves[0].digest)))
    from io import StringIO

    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("verify_receipt", path, "--rpc", chain.url, stdout=out)
    assert exited.value.code == 1
    lines = out.getvalue().splitlines()
    assert lines[-1] == "INVALID at step 'proof'"
    assert lines[-2].startswith("FAIL proof: the proof leads to 0x")


def test_verify_receipt_command_exits_2_for_an_unreadable_file(chain, tmp_path):
    from io import StringIO

    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    for path in (str(bad), str(tmp_path / "missing.json")):
        err = StringIO()
        with pytest.raises(SystemExit) as exited:
            call_command("verify_receipt", path, "--rpc", chain.url, stdout=StringIO(), stderr=err)
        assert exited.value.code == 2
        assert err.getvalue().startswith("cannot read the receipt: ")


# --- python -m busanhub.chain.verify, without Django ------------------------------------------

NO_DJANGO = (
    "import sys; sys.modules['django'] = None; sys.modules['celery'] = None; "
    "from busanhub.chain.verify import main; sys.exit(main(sys.argv[1:]))"
)


def verify_without_django(path: str, rpc: str, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-c", NO_DJANGO, path, "--rpc", rpc, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_standalone_verifier_accepts_a_valid_receipt(chain, tmp_path):
    leaves = anchor_and_confirm()
    path = write_receipt(tmp_path, services.receipt_for(leaves[2].digest))
    done = verify_without_django(path, chain.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "VALID"
    assert done.stderr == ""


def test_standalone_verifier_prints_json(chain, tmp_path):
    leaves = anchor_and_confirm()
    path = write_receipt(tmp_path, services.receipt_for(leaves[2].digest))
    done = verify_without_django(path, chain.url, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["valid"] is True
    assert [s["name"] for s in result["steps"]] == [
        "format",
        "envelope",
        "leaf",
        "proof",
        "chain",
        "anchored",
        "contract-verify",
        "block",
    ]


def test_standalone_verifier_names_the_failing_step_of_a_tampered_receipt(chain, tmp_path):
    leaves = anchor_and_confirm()
    path = write_receipt(tmp_path, tamper_proof(services.receipt_for(leaves[0].digest)))
    done = verify_without_django(path, chain.url)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == "INVALID at step 'proof'"


def test_standalone_verifier_refuses_tampered_envelope_data(chain, tmp_path):
    leaves = anchor_and_confirm()
    receipt = services.receipt_for(leaves[0].digest)
    receipt["envelope"]["data"] = {"i": 42}
    done = verify_without_django(write_receipt(tmp_path, receipt), chain.url)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == "INVALID at step 'envelope'"


def test_standalone_verifier_refuses_another_chain(chain, tmp_path):
    leaves = anchor_and_confirm()
    receipt = services.receipt_for(leaves[0].digest)
    receipt["anchor"]["chainId"] = 1
    done = verify_without_django(write_receipt(tmp_path, receipt), chain.url)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == "INVALID at step 'chain'"
    assert "FAIL chain: the node serves chain 31337" in done.stdout


def test_standalone_verifier_refuses_another_contract(chain, tmp_path):
    # Given a receipt naming another BusanAnchor contract, which never anchored the root
    leaves = anchor_and_confirm()
    receipt = services.receipt_for(leaves[0].digest)
    other = services.deployment_create()  # a second contract on the same chain
    receipt["anchor"]["contract"] = other.address

    done = verify_without_django(write_receipt(tmp_path, receipt), chain.url)

    assert done.returncode == 1, done.stderr
    assert "ok   chain: the node serves chain 31337" in done.stdout
    assert done.stdout.splitlines()[-1] == "INVALID at step 'anchored'"
    assert "has not anchored this root" in done.stdout


def test_standalone_verifier_refuses_an_address_without_a_contract(chain, tmp_path):
    leaves = anchor_and_confirm()
    receipt = services.receipt_for(leaves[0].digest)
    receipt["anchor"]["contract"] = "0x" + "12" * 20

    done = verify_without_django(write_receipt(tmp_path, receipt), chain.url)

    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == "INVALID at step 'anchored'"
    assert "there is no BusanAnchor contract at 0x1212" in done.stdout


def test_standalone_verifier_with_the_node_down_fails_at_the_chain_step(chain, tmp_path):
    leaves = anchor_and_confirm()
    path = write_receipt(tmp_path, services.receipt_for(leaves[0].digest))
    done = verify_without_django(path, f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == "INVALID at step 'chain'"
    assert "FAIL chain: the node could not be asked" in done.stdout


def test_standalone_verifier_exits_2_for_an_unreadable_file(tmp_path):
    done = verify_without_django(str(tmp_path / "missing.json"), "http://127.0.0.1:1")
    assert done.returncode == 2
    assert done.stderr.startswith("cannot read the receipt: ")
    assert done.stdout == ""
