"""Master data: parties, their API keys, locations, products, data loggers."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ..epcis import identifiers
from ..models import Device, Location, PartnerKey, Party, Product


@transaction.atomic
def party_create(*, gln: str, name: str, kind: str, contact_email: str = "") -> Party:
    """Registers a party by its GLN (check digit verified)."""
    if not identifiers.is_valid_gln(gln):
        raise ValidationError({"gln": _("Enter a 13-digit GLN with a correct check digit.")})
    party = Party(gln=gln, name=name, kind=kind, contact_email=contact_email)
    party.full_clean()
    party.save()
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
    *, party: Party, gln: str, name: str, kind: str, latitude=None, longitude=None
) -> Location:
    """Registers a location of a party by its GLN (check digit verified)."""
    if not identifiers.is_valid_gln(gln):
        raise ValidationError({"gln": _("Enter a 13-digit GLN with a correct check digit.")})
    location = Location(
        party=party, gln=gln, name=name, kind=kind, latitude=latitude, longitude=longitude
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
    """Registers (or re-attaches) a data logger of a party."""
    device = Device.objects.filter(device_id=device_id).first()
    if device is not None and device.party_id != party.pk:
        raise ValidationError({"device_id": _("This data logger belongs to another party.")})
    device = device or Device(device_id=device_id, party=party)
    device.attached_to = attached_to
    device.full_clean()
    device.save()
    return device


def _location_in_events(gln: str) -> bool:
    from ..models import Event

    place = f"{identifiers.DL_ROOT}/414/{gln}"
    return Event.objects.filter(
        Q(read_point=place)
        | Q(read_point__startswith=place + "/")
        | Q(biz_location=place)
        | Q(biz_location__startswith=place + "/")
    ).exists()


def _product_in_events(product: Product) -> bool:
    from ..models import EventEPC

    if product.lots.exists():
        return True
    return EventEPC.objects.filter(
        identifier__startswith=f"{identifiers.DL_ROOT}/01/{product.gtin}/"
    ).exists()


LOCATION_FIELDS = ("gln", "name", "kind", "latitude", "longitude")
PRODUCT_FIELDS = ("gtin", "name", "name_ko", "species", "product_form", "storage_class")


@transaction.atomic
def location_update(*, location: Location, changes: dict) -> Location:
    """Changes a location's master data; its GLN only while no event names it.

    Events keep the GLN they were captured with, so a GLN that events use is immutable.
    Row-locked, so two editors do not interleave. Errors name the field.
    """
    location = Location.objects.select_for_update().get(pk=location.pk)
    changes = {key: value for key, value in changes.items() if key in LOCATION_FIELDS}
    if "gln" in changes and changes["gln"] != location.gln:
        if not identifiers.is_valid_gln(changes["gln"]):
            raise ValidationError({"gln": _("Enter a 13-digit GLN with a correct check digit.")})
        if _location_in_events(location.gln):
            raise ValidationError({"gln": _("Events name this GLN: it can no longer change.")})
    for key, value in changes.items():
        setattr(location, key, value)
    location.full_clean()
    location.save(update_fields=list(changes) or None)
    return location


@transaction.atomic
def product_update(*, product: Product, changes: dict) -> Product:
    """Changes a product's master data; its GTIN only while no lot or event names it.

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
    for key, value in changes.items():
        setattr(product, key, value)
    product.full_clean()
    product.save(update_fields=list(changes) or None)
    return product
