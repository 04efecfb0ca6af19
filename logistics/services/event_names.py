"""What an EPCIS event names: its objects (with their role, quantity and unit) and its GLNs,
read from the event as captured. Shared by capture's checks and its store."""

from decimal import Decimal, InvalidOperation

from ..epcis import identifiers
from ..models import EventEPC

EPC_LISTS = {
    "epcList": EventEPC.Role.EPC,
    "childEPCs": EventEPC.Role.CHILD,
    "inputEPCList": EventEPC.Role.INPUT,
    "outputEPCList": EventEPC.Role.OUTPUT,
}
QUANTITY_LISTS = {
    "quantityList": EventEPC.Role.QUANTITY,
    "childQuantityList": EventEPC.Role.CHILD_QUANTITY,
    "inputQuantityList": EventEPC.Role.INPUT_QUANTITY,
    "outputQuantityList": EventEPC.Role.OUTPUT_QUANTITY,
}


def event_identifiers(event: dict) -> list[tuple[str, str, Decimal | None, str]]:
    """(role, canonical identifier, quantity, uom) for every object the event names."""
    rows: list[tuple[str, str, Decimal | None, str]] = []
    for key, role in EPC_LISTS.items():
        for epc in event.get(key) or []:
            rows.append((role, identifiers.canonical(epc), None, ""))
    if event.get("parentID"):
        rows.append((EventEPC.Role.PARENT, identifiers.canonical(event["parentID"]), None, ""))
    for key, role in QUANTITY_LISTS.items():
        for element in event.get(key) or []:
            quantity = element.get("quantity")
            try:
                amount = Decimal(str(quantity)) if quantity is not None else None
            except InvalidOperation:
                amount = None
            rows.append(
                (role, identifiers.canonical(element["epcClass"]), amount, element.get("uom", ""))
            )
    return rows


def raw_identifiers(event: dict) -> list[tuple[str, str]]:
    found = []
    for key in EPC_LISTS:
        for index, epc in enumerate(event.get(key) or []):
            found.append((f"{key}[{index}]", epc))
    if event.get("parentID"):
        found.append(("parentID", event["parentID"]))
    for key in QUANTITY_LISTS:
        for index, element in enumerate(event.get(key) or []):
            found.append((f"{key}[{index}].epcClass", element.get("epcClass", "")))
    return found


def glns_of(event: dict) -> set[str]:
    glns = set()
    for key in ("readPoint", "bizLocation"):
        parsed = identifiers.parse((event.get(key) or {}).get("id", ""))
        if parsed.gln:
            glns.add(parsed.gln)
    for key, field in (("sourceList", "source"), ("destinationList", "destination")):
        for entry in event.get(key) or []:
            parsed = identifiers.parse(entry.get(field, ""))
            if parsed.gln:
                glns.add(parsed.gln)
    return glns
