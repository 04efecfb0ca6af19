"""Every write of B-Fresh."""

from .capture import (
    MAX_EVENTS_PER_DOCUMENT,
    CaptureError,
    CaptureResult,
    epcis_document_capture,
    epcis_event_capture,
)
from .coldchain import lot_breach_check, readings_from_events, readings_ingest
from .masterdata import (
    device_register,
    location_create,
    location_update,
    partner_key_create,
    party_create,
    product_create,
    product_update,
)
from .recalls import (
    recall_create,
    recall_export_csv,
    recall_export_xlsx,
    recall_holders,
    recall_kde_rows,
    recall_notify,
)

__all__ = [
    "MAX_EVENTS_PER_DOCUMENT",
    "CaptureError",
    "CaptureResult",
    "device_register",
    "epcis_document_capture",
    "epcis_event_capture",
    "location_create",
    "location_update",
    "lot_breach_check",
    "partner_key_create",
    "party_create",
    "product_create",
    "product_update",
    "readings_from_events",
    "readings_ingest",
    "recall_create",
    "recall_export_csv",
    "recall_export_xlsx",
    "recall_holders",
    "recall_kde_rows",
    "recall_notify",
]
