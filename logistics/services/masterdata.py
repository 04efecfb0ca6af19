"""Master data: parties, their API keys, locations, products, data loggers."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
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
