"""Every write of the anchoring pipeline. Service apps call `anchor_record` and `receipt_for`."""

from .batches import (
    batch_requeue,
    batch_seal,
    batches_confirm,
    batches_recheck,
    batches_replace_stuck,
    batches_seal_all,
    batches_submit,
)
from .deployments import deployment_active, deployment_check, deployment_create, deployment_ensure
from .records import (
    ANCHOR_LEAF_TABLE,
    anchor_leaf_columns,
    anchor_record,
    anchor_record_new,
    anchor_records,
    anchor_records_new,
    receipt_for,
)

__all__ = [
    "ANCHOR_LEAF_TABLE",
    "anchor_leaf_columns",
    "anchor_record",
    "anchor_record_new",
    "anchor_records",
    "anchor_records_new",
    "batch_requeue",
    "batch_seal",
    "batches_confirm",
    "batches_recheck",
    "batches_replace_stuck",
    "batches_seal_all",
    "batches_submit",
    "deployment_active",
    "deployment_check",
    "deployment_create",
    "deployment_ensure",
    "receipt_for",
]
