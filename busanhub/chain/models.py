from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ChainDeployment(models.Model):
    """A deployed BusanAnchor contract. At most one is active; a chain reset deactivates it."""

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    address = models.CharField(_("contract address"), max_length=42)
    genesis_hash = models.CharField(_("genesis block hash"), max_length=66)
    deploy_tx_hash = models.CharField(_("deploy transaction"), max_length=66)
    deploy_block = models.PositiveBigIntegerField(_("deploy block"))
    deployer = models.CharField(_("deployer"), max_length=42)
    is_active = models.BooleanField(_("active"), default=True)
    deactivation_reason = models.CharField(_("deactivation reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("chain deployment")
        verbose_name_plural = _("chain deployments")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="chain_one_active_deployment",
            ),
        ]

    def __str__(self) -> str:
        return f"BusanAnchor {self.address} on chain {self.chain_id}"


class AnchorBatch(models.Model):
    """A sealed Merkle tree of leaves, submitted and confirmed on chain as one root."""

    class Status(models.TextChoices):
        SEALED = "sealed", _("sealed, waiting to be sent")
        SUBMITTED = "submitted", _("sent, waiting for confirmations")
        CONFIRMED = "confirmed", _("confirmed on chain")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SEALED
    )
    root = models.CharField(_("Merkle root"), max_length=66, db_index=True)
    leaf_count = models.PositiveIntegerField(_("leaves"))
    # The whole tree as concatenated 32-byte nodes (OpenZeppelin layout): proofs are read
    # from it, so no per-leaf proof rows are written when a batch is sealed.
    tree = models.BinaryField(_("tree nodes"), editable=False)
    deployment = models.ForeignKey(
        ChainDeployment, on_delete=models.PROTECT, null=True, blank=True, related_name="batches"
    )
    nonce = models.PositiveBigIntegerField(_("nonce"), null=True, blank=True)
    tx_hash = models.CharField(_("transaction"), max_length=66, blank=True)
    # Every transaction hash sent for this batch (replacements share the nonce).
    tx_hashes = models.JSONField(_("transactions sent"), default=list, blank=True)
    raw_tx = models.BinaryField(_("signed transaction"), null=True, blank=True, editable=False)
    max_fee_per_gas = models.PositiveBigIntegerField(null=True, blank=True)
    max_priority_fee_per_gas = models.PositiveBigIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    block_number = models.PositiveBigIntegerField(_("block"), null=True, blank=True)
    block_hash = models.CharField(_("block hash"), max_length=66, blank=True)
    block_timestamp = models.DateTimeField(_("block time"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    gas_used = models.PositiveBigIntegerField(_("gas used"), null=True, blank=True)
    effective_gas_price = models.PositiveBigIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(_("times anchored"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("sealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("anchor batch")
        verbose_name_plural = _("anchor batches")
        indexes = [models.Index(fields=["status", "created_at"], name="chain_batch_status")]
        constraints = [
            models.CheckConstraint(condition=Q(leaf_count__gt=0), name="chain_batch_not_empty"),
            models.CheckConstraint(
                condition=~Q(status="confirmed")
                | (Q(block_number__isnull=False) & ~Q(block_hash="") & ~Q(tx_hash="")),
                name="chain_batch_confirmed_has_block",
            ),
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.leaf_count} leaves, {self.status})"


class AnchorLeaf(models.Model):
    """The outbox: one anchored version of one record, written in the record's transaction."""

    kind = models.CharField(_("kind"), max_length=64)
    ref = models.CharField(_("reference"), max_length=128)
    version = models.PositiveIntegerField(_("version"))
    digest = models.CharField(_("digest"), max_length=66, unique=True)
    envelope = models.JSONField(_("envelope"))
    # Whether anyone may see the envelope's data in a receipt (public records), or only the digest.
    is_public = models.BooleanField(_("public data"), default=False)
    batch = models.ForeignKey(
        AnchorBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="leaves"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("anchor leaf")
        verbose_name_plural = _("anchor leaves")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "ref", "version"], name="chain_leaf_one_per_version"
            ),
        ]
        indexes = [
            # Serves the sealer's `WHERE batch_id IS NULL ORDER BY id LIMIT n`.
            models.Index(fields=["id"], condition=Q(batch__isnull=True), name="chain_leaf_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref} v{self.version}"


class ChainSigner(models.Model):
    """One row per server-held signing account (the anchoring signer, the exchange's hot wallet
    and deposit addresses, the education faucet...): its row lock serialises the account's
    nonces, and it remembers what busanhub.chain.evm handed out (see evm.nonce_take)."""

    address = models.CharField(_("address"), max_length=42, unique=True)
    # The next nonce to hand out (when the node's pending count is not higher): covers what is
    # signed and recorded by a committed caller but not yet broadcast.
    next_nonce = models.PositiveBigIntegerField(_("next nonce"), default=0)
    # {nonce: {"hash": ...}} of signed transactions not yet seen mined: a nonce the
    # node does not know and that is not here was abandoned, and is handed out again.
    in_flight = models.JSONField(_("transactions in flight"), default=dict, blank=True)

    class Meta:
        verbose_name = _("chain signer")
        verbose_name_plural = _("chain signers")

    def __str__(self) -> str:
        return self.address
