import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from web3 import Web3

from busanhub.chain import evm, node
from busanhub.chain.models import AnchorBatch, ChainDeployment

logger = logging.getLogger(__name__)

DEPLOY_TIMEOUT_S = 120


def deployment_active() -> ChainDeployment | None:
    return ChainDeployment.objects.filter(is_active=True).first()


def deployment_create() -> ChainDeployment:
    """Deploys BusanAnchor from the signer account, waits for it to be mined, and records it.

    The previous active deployment (if any) is deactivated; its batches go back to `sealed`
    so they are anchored again on the new contract.
    """
    w3 = node.web3()
    account = node.signer()
    factory = w3.eth.contract(abi=node.artifact()["abi"], bytecode=node.artifact()["bytecode"])
    tx = factory.constructor().build_transaction(
        {"from": account.address, "chainId": w3.eth.chain_id}
    )
    receipt = evm.send_and_wait(w3, account=account, tx=tx, timeout=DEPLOY_TIMEOUT_S)
    tx_hash = receipt["transactionHash"]
    if not receipt["contractAddress"]:
        raise node.ChainError(f"deployment transaction {node.to_hex(tx_hash)} failed")
    genesis = w3.eth.get_block(0)["hash"]
    with transaction.atomic():
        for previous in ChainDeployment.objects.select_for_update().filter(is_active=True):
            _deactivate(previous, reason="replaced by a new deployment")
        deployment = ChainDeployment.objects.create(
            chain_id=w3.eth.chain_id,
            address=receipt["contractAddress"],
            genesis_hash=node.to_hex(genesis),
            deploy_tx_hash=node.to_hex(tx_hash),
            deploy_block=receipt["blockNumber"],
            deployer=account.address,
        )
    logger.info("deployed %s", deployment)
    return deployment


def deployment_ensure() -> ChainDeployment:
    """The active deployment; deploys one when none is and CHAIN_AUTO_DEPLOY is on (dev, tests)."""
    deployment = deployment_active()
    if deployment is not None:
        return deployment
    if settings.CHAIN_AUTO_DEPLOY:
        return deployment_create()
    raise node.NotDeployed("no active BusanAnchor deployment: run `manage.py chain_deploy`")


def deployment_check(*, deployment: ChainDeployment) -> str | None:
    """Why the deployment is gone (chain reset, other chain), or None when it is still live."""
    w3 = node.web3()
    if w3.eth.chain_id != deployment.chain_id:
        return f"the node serves chain {w3.eth.chain_id}, not {deployment.chain_id}"
    if node.to_hex(w3.eth.get_block(0)["hash"]) != deployment.genesis_hash:
        return "the chain's genesis block changed (chain reset)"
    if not w3.eth.get_code(Web3.to_checksum_address(deployment.address)):
        return "the contract has no code any more (chain reset)"
    return None


@transaction.atomic
def deployment_reset(*, deployment: ChainDeployment, reason: str) -> int:
    """Deactivates a deployment the chain lost and sends all its batches back to `sealed`."""
    deployment = ChainDeployment.objects.select_for_update().get(pk=deployment.pk)
    if not deployment.is_active:
        return 0
    count = _deactivate(deployment, reason=reason)
    # The chain that counted the signers' nonces is gone: count again from the node's.
    evm.signers_forget()
    return count


def _deactivate(deployment: ChainDeployment, *, reason: str) -> int:
    from busanhub.chain.services.batches import batch_requeue

    deployment.is_active = False
    deployment.deactivation_reason = reason[:200]
    deployment.deactivated_at = timezone.now()
    deployment.save(update_fields=["is_active", "deactivation_reason", "deactivated_at"])
    batches = AnchorBatch.objects.select_for_update().filter(deployment=deployment)
    count = 0
    for batch in batches.exclude(status=AnchorBatch.Status.SEALED):
        batch_requeue(batch=batch, reason=f"deployment {deployment.address} gone: {reason}")
        count += 1
    logger.warning("deactivated %s (%s); %d batches to anchor again", deployment, reason, count)
    return count
