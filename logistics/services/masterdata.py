"""Master data: parties, their API keys, locations, products, lots, data loggers.

Rows that events name are never deleted (deactivate them instead) and keep the identifier the
events were captured with: a GLN, GTIN or lot code freezes once events name it.
"""

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from .. import selectors
from ..epcis import identifiers
from ..models import Device, Event, EventEPC, Location, Lot, PartnerKey, Party, Product

# GS1's AI (10) alphabet (CSET 82), at most 20 characters.
_LOT_CODE = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")


@transaction.atomic
def party_create(
    *,
    gln: str,
    name: str,
    kind: str,
    contact_email: str = "",
    company_prefix: str = "",
    name_ko: str = "",
    member=None,
) -> Party:
    """Registers a party by its GLN (check digit verified); `member` joins it when given.

    Its GS1 company prefix, when given, lets events name its SSCCs, GIAIs and GRAIs."""
    if not identifiers.is_valid_gln(gln):
        raise ValidationError({"gln": _("Enter a 13-digit GLN with a correct check digit.")})
    party = Party(
        gln=gln,
        name=name,
        name_ko=name_ko,
        kind=kind,
        contact_email=contact_email,
        company_prefix=company_prefix,
    )
    party.full_clean()
    party.save()
    if member is not None:
        party.members.add(member)
    return party


@transaction.atomic
def partner_key_create(*, party: Party, name: str) -> tuple[PartnerKey, str]:
    """Issues an API key for a party's system; the raw key is returned once, never stored."""
    raw = "bf_" + secrets.token_urlsafe(32)
    key = PartnerKey(party=party, name=name, prefix=raw[:12], key_hash=PartnerKey.hash_key(raw))
    key.full_clean()
    key.save()
    return key, raw


@transaction.atomic
def location_create(
    *,
    party: Party,
    gln: str,
    name: str,
    kind: str,
    latitude=None,
    longitude=None,
    name_ko: str = "",
) -> Location:
    """Registers a location of a party by its GLN (check digit verified)."""
    if not identifiers.is_valid_gln(gln):
        raise ValidationError({"gln": _("Enter a 13-digit GLN with a correct check digit.")})
    location = Location(
        party=party,
        gln=gln,
        name=name,
        name_ko=name_ko,
        kind=kind,
        latitude=latitude,
        longitude=longitude,
    )
    location.full_clean()
    location.save()
    return location


@transaction.atomic
def product_create(
    *,
    gtin: str,
    name: str,
    product_form: str,
    storage_class: str,
    species: str = "",
    name_ko: str = "",
    owner: Party | None = None,
) -> Product:
    """Registers a trade item by its GTIN (stored as GTIN-14, check digit verified)."""
    try:
        gtin = identifiers.normalize_gtin(gtin)
    except ValueError as exc:
        raise ValidationError({"gtin": _("Enter a valid GTIN.")}) from exc
    product = Product(
        gtin=gtin,
        name=name,
        name_ko=name_ko,
        species=species,
        product_form=product_form,
        storage_class=storage_class,
        owner=owner,
    )
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def device_register(*, party: Party, device_id: str, attached_to: str = "") -> Device:
    """Registers (or re-attaches) a data logger of a party.

    It attaches only to an object the party holds or took part in
    (`selectors.party_may_monitor`): otherwise refused (`attached_to`) and nothing changes.
    """
    device = Device.objects.select_for_update().filter(device_id=device_id).first()
    if device is not None and device.party_id != party.pk:
        raise ValidationError({"device_id": _("This data logger belongs to another party.")})
    if attached_to and not selectors.party_may_monitor(party=party, identifier=attached_to):
        raise ValidationError({"attached_to": _not_yours_message()})
    device = device or Device(device_id=device_id, party=party)
    device.attached_to = attached_to
    device.full_clean()
    device.save()
    return device


def _not_yours_message() -> str:
    return _(
        "Your party neither holds this object nor took part in an event naming it: "
        "a data logger reports only on your own goods."
    )


@transaction.atomic
def lot_create(*, product: Product, lot_code: str, trace_number: str = "") -> Lot:
    """Registers a lot of an active product by its lot code (GS1 AI 10), before any event.

    Its identifier is the GS1 Digital Link that events name it by. Unique per product (also
    under concurrent registration: the constraint decides, and the loser gets a field error).
    """
    lot_code = (lot_code or "").strip()
    if not _LOT_CODE.fullmatch(lot_code):
        raise ValidationError({"lot_code": _lot_code_message()})
    product = Product.objects.select_for_update().get(pk=product.pk)
    if not product.is_active:
        raise ValidationError({"product": _("This product is inactive.")})
    lot = Lot(
        product=product,
        lot_code=lot_code,
        identifier=identifiers.lot_dl(gtin=product.gtin, lot=lot_code),
        trace_number=trace_number,
    )
    _check_lot_free(lot)
    lot.full_clean(validate_unique=False, validate_constraints=False)
    _save_unique_lot(lot)
    return lot


def _lot_code_message() -> str:
    return _("Enter a lot code of 1 to 20 letters, digits or GS1-allowed symbols.")


def _check_lot_free(lot: Lot) -> None:
    taken = Lot.objects.filter(
        Q(product_id=lot.product_id, lot_code=lot.lot_code) | Q(identifier=lot.identifier)
    )
    if lot.pk:
        taken = taken.exclude(pk=lot.pk)
    if taken.exists():
        raise ValidationError({"lot_code": _("This product already has a lot with this code.")})


def _save_unique_lot(lot: Lot, **kwargs) -> None:
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the transaction usable
            lot.save(**kwargs)
    except IntegrityError as exc:
        raise ValidationError(
            {"lot_code": _("This product already has a lot with this code.")}
        ) from exc


def _named_in_event_data(gln: str, events) -> bool:
    """Whether any of `events` names the GLN anywhere (sources and destinations included), in
    URN (`sgln:8801234.50000.0`, `pgln:…`) or Digital Link (`/414/…`, `/417/…`) spelling."""
    dotted = r"\.?".join(gln[:12])
    pattern = rf"(414|417)/{gln}([^0-9]|$)|(sgln|pgln):{dotted}([^0-9]|$)"
    return events.annotate(text=Cast("data", TextField())).filter(text__regex=pattern).exists()


def _location_in_events(location: Location) -> bool:
    place = f"{identifiers.DL_ROOT}/414/{location.gln}"
    if Event.objects.filter(
        Q(read_point=place)
        | Q(read_point__startswith=place + "/")
        | Q(biz_location=place)
        | Q(biz_location__startswith=place + "/")
    ).exists():
        return True
    # A source or destination that is a known location links its party to the event (see
    # capture), so only that party's events can name it there.
    return _named_in_event_data(location.gln, Event.objects.filter(parties=location.party_id))


def _party_in_events(party: Party) -> bool:
    return party.events.exists()


def _product_in_events(product: Product) -> bool:
    if product.lots.exists():
        return True
    return EventEPC.objects.filter(
        identifier__startswith=f"{identifiers.DL_ROOT}/01/{product.gtin}/"
    ).exists()


def _lot_in_events(lot: Lot) -> bool:
    return EventEPC.objects.filter(identifier=lot.identifier).exists()


PARTY_FIELDS = ("gln", "name", "name_ko", "kind", "contact_email", "company_prefix", "is_active")
LOCATION_FIELDS = ("gln", "name", "name_ko", "kind", "latitude", "longitude", "is_active")
PRODUCT_FIELDS = (
    "gtin",
    "name",
    "name_ko",
    "species",
    "product_form",
    "storage_class",
    "is_active",
)
LOT_FIELDS = ("lot_code", "trace_number")


def _apply(row: models.Model, changes: dict) -> None:
    for key, value in changes.items():
        setattr(row, key, value)
    row.full_clean()
    row.save(update_fields=list(changes) or None)


@transaction.atomic
def party_update(*, party: Party, changes: dict) -> Party:
    """Changes a party's master data (or deactivates it); its GLN only while no event names it.

    Row-locked, so two editors do not interleave. Errors name the field.
    """
    party = Party.objects.select_for_update().get(pk=party.pk)
    changes = {key: value for key, value in changes.items() if key in PARTY_FIELDS}
    if "gln" in changes and changes["gln"] != party.gln:
        if not identifiers.is_valid_gln(changes["gln"]):
            raise ValidationError({"gln": _("Enter a 13-digit GLN with a correct check digit.")})
        if _party_in_events(party):
            raise ValidationError(
                {"gln": _("Events name this party: its GLN can no longer change.")}
            )
    _apply(party, changes)
    return party


@transaction.atomic
def location_update(*, location: Location, changes: dict) -> Location:
    """Changes a location's master data (or deactivates it); its GLN only while no event names it.

    Events keep the GLN they were captured with, so a GLN that events use is immutable.
    Row-locked, so two editors do not interleave. Errors name the field.
    """
    location = Location.objects.select_for_update().get(pk=location.pk)
    changes = {key: value for key, value in changes.items() if key in LOCATION_FIELDS}
    if "gln" in changes and changes["gln"] != location.gln:
        if not identifiers.is_valid_gln(changes["gln"]):
            raise ValidationError({"gln": _("Enter a 13-digit GLN with a correct check digit.")})
        if _location_in_events(location):
            raise ValidationError({"gln": _("Events name this GLN: it can no longer change.")})
    _apply(location, changes)
    return location


@transaction.atomic
def product_update(*, product: Product, changes: dict) -> Product:
    """Changes a product's master data (or deactivates it); its GTIN only while no lot or event
    names it.

    Row-locked, so two editors do not interleave. Errors name the field.
    """
    product = Product.objects.select_for_update().get(pk=product.pk)
    changes = {key: value for key, value in changes.items() if key in PRODUCT_FIELDS}
    if "gtin" in changes:
        try:
            changes["gtin"] = identifiers.normalize_gtin(changes["gtin"])
        except ValueError as exc:
            raise ValidationError({"gtin": _("Enter a valid GTIN.")}) from exc
        if changes["gtin"] != product.gtin and _product_in_events(product):
            raise ValidationError(
                {"gtin": _("Lots or events name this GTIN: it can no longer change.")}
            )
    _apply(product, changes)
    return product


@transaction.atomic
def lot_update(*, lot: Lot, changes: dict) -> Lot:
    """Changes a lot's traceability number, and its lot code while no event names the lot (its
    Digital Link follows the code). Row-locked; errors name the field.
    """
    lot = Lot.objects.select_for_update().select_related("product").get(pk=lot.pk)
    changes = {key: value for key, value in changes.items() if key in LOT_FIELDS}
    if "lot_code" in changes:
        changes["lot_code"] = (changes["lot_code"] or "").strip()
        if changes["lot_code"] == lot.lot_code:
            del changes["lot_code"]
        else:
            if not _LOT_CODE.fullmatch(changes["lot_code"]):
                raise ValidationError({"lot_code": _lot_code_message()})
            if _lot_in_events(lot):
                raise ValidationError(
                    {"lot_code": _("Events name this lot: its code can no longer change.")}
                )
            changes["identifier"] = identifiers.lot_dl(
                gtin=lot.product.gtin, lot=changes["lot_code"]
            )
    for key, value in changes.items():
        setattr(lot, key, value)
    _check_lot_free(lot)
    lot.full_clean(validate_unique=False, validate_constraints=False)
    _save_unique_lot(lot, update_fields=list(changes) or None)
    return lot


def _refuse_if(referenced: bool) -> None:
    if referenced:
        raise ValidationError(
            _("Events or other records use this entry: deactivate it instead of deleting it."),
            code="referenced",
        )


def party_is_referenced(party: Party) -> bool:
    return (
        _party_in_events(party)
        or party.locations.exists()
        or party.products.exists()
        or party.devices.exists()
        or party.keys.exists()
        or party.capturejob_set.exists()
        or party.alert_set.exists()
    )


def location_is_referenced(location: Location) -> bool:
    return _location_in_events(location)


def product_is_referenced(product: Product) -> bool:
    return _product_in_events(product)


def lot_is_referenced(lot: Lot) -> bool:
    return (
        _lot_in_events(lot)
        or lot.readings.exists()
        or lot.breaches.exists()
        or lot.recalls.exists()
        or lot.recalls_chosen.exists()
        or lot.alert_set.exists()
    )


@transaction.atomic
def party_delete(*, party: Party) -> None:
    """Deletes a party nothing uses yet (no event, location, product, data logger, API key or
    capture); otherwise refused (code `referenced`) and nothing changes. Row-locked."""
    party = Party.objects.select_for_update().get(pk=party.pk)
    _refuse_if(party_is_referenced(party))
    party.delete()


@transaction.atomic
def location_delete(*, location: Location) -> None:
    """Deletes a location no event names; otherwise refused (code `referenced`). Row-locked."""
    location = Location.objects.select_for_update().get(pk=location.pk)
    _refuse_if(location_is_referenced(location))
    location.delete()


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """Deletes a product with no lot and no event; otherwise refused (code `referenced`)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    _refuse_if(product_is_referenced(product))
    product.delete()


@transaction.atomic
def lot_delete(*, lot: Lot) -> None:
    """Deletes a lot no event, reading, breach, alert or recall names; otherwise refused."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    _refuse_if(lot_is_referenced(lot))
    lot.delete()
