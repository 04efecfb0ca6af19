"""Factories and a small Busan chain for B-Fresh tests."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import factory

from logistics.epcis import identifiers
from logistics.epcis.vocabulary import bare_term
from logistics.models import Location, Party, Product
from logistics.services.event_names import raw_identifiers

DATA = Path(__file__).resolve().parent / "data"


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def gln(body12: str) -> str:
    return body12 + identifiers.check_digit(body12)


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    gln = factory.Sequence(lambda n: gln(f"880{n:09d}"))
    name = factory.Sequence(lambda n: f"Party {n}")
    kind = Party.Kind.PROCESSOR


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    gln = factory.Sequence(lambda n: gln(f"881{n:09d}"))
    name = factory.Sequence(lambda n: f"Location {n}")
    kind = Location.Kind.PLANT
    party = factory.SubFactory(PartyFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    gtin = factory.Sequence(lambda n: (lambda b: b + identifiers.check_digit(b))(f"0880{n:09d}"))
    name = factory.Sequence(lambda n: f"Mackerel {n}")
    species = "Scomber japonicus"
    product_form = Product.Form.WHOLE
    storage_class = Product.StorageClass.CHILLED


def register_master_data(document: dict, party: Party | None = None) -> Party:
    """Registers every GLN and GTIN a document names (what a partner does before capturing)."""
    party = party or PartyFactory()
    body = document.get("epcisBody", {})
    events = body.get("eventList") or body.get("queryResults", {}).get("resultsBody", {}).get(
        "eventList", []
    )
    if document.get("type", "").endswith("Event"):
        events = [document]
    for event in events:
        for key in ("readPoint", "bizLocation"):
            parsed = identifiers.parse((event.get(key) or {}).get("id", ""))
            if parsed.gln:
                Location.objects.get_or_create(
                    gln=parsed.gln, defaults={"name": parsed.gln, "kind": "plant", "party": party}
                )
        # The capturer's side of a transfer names the capturer (the provenance rule): its
        # sources when it ships, its destinations otherwise; the far side is another party.
        step = bare_term(event.get("bizStep"))
        near = "sourceList" if step in ("shipping", "departing") else "destinationList"
        for key, field in (("sourceList", "source"), ("destinationList", "destination")):
            for entry in event.get(key) or []:
                parsed = identifiers.parse(entry.get(field, ""))
                if parsed.scheme != "pgln" or Party.objects.filter(gln=parsed.gln).exists():
                    continue
                if key == near:
                    party.gln = parsed.gln
                    party.save(update_fields=["gln"])
                else:
                    PartyFactory(gln=parsed.gln)
        for _, raw in raw_identifiers(event):
            parsed = identifiers.parse(raw)
            if parsed.scheme in ("sscc", "giai", "grai"):
                _register_company_prefix(raw, parsed, party)
            if parsed.scheme in ("sgtin", "lgtin"):
                Product.objects.get_or_create(
                    gtin=parsed.gtin,
                    defaults={
                        "name": parsed.gtin,
                        "product_form": "whole",
                        "storage_class": "chilled",
                    },
                )
    return party


def _register_company_prefix(raw: str, parsed: identifiers.Parsed, party: Party) -> None:
    """Gives the key's GS1 company prefix (explicit in a URN, else 7 digits) to a party."""
    if raw.startswith("urn:epc:"):
        prefix = raw.split(":")[4].split(".")[0]
    else:
        prefix = (parsed.serial[1:] if parsed.scheme == "sscc" else parsed.serial)[:7]
    if Party.objects.filter(company_prefix=prefix).exists():
        return
    if not party.company_prefix:
        party.company_prefix = prefix
        party.save(update_fields=["company_prefix"])
    else:
        PartyFactory(company_prefix=prefix)


class Chain:
    """A small Busan chain: vessel → auction → plant → cold store, with a chilled mackerel."""

    def __init__(self):
        self.vessel_co = PartyFactory(name="Daeyang Fisheries", kind=Party.Kind.VESSEL_OPERATOR)
        self.processor = PartyFactory(
            name="Gamcheon Seafood", kind=Party.Kind.PROCESSOR, company_prefix="8800000"
        )
        self.retailer = PartyFactory(name="Haeundae Market", kind=Party.Kind.RETAILER)
        self.vessel = LocationFactory(party=self.vessel_co, name="Daeyang-ho", kind="vessel")
        self.plant = LocationFactory(party=self.processor, name="Gamcheon plant")
        self.shop = LocationFactory(party=self.retailer, name="Haeundae shop", kind="shop")
        self.whole = ProductFactory(name="Whole mackerel")
        self.fillet = ProductFactory(name="Mackerel fillet", product_form=Product.Form.FILLET)
        self.t0 = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)

    def lot(self, product, code: str) -> str:
        return identifiers.lgtin_urn(gtin=product.gtin, lot=code)

    def sgln(self, location) -> str:
        return identifiers.sgln_urn(gln=location.gln)

    def at(self, minutes: int) -> str:
        return (self.t0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def document(*events: dict) -> dict:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-20T00:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def object_event(chain: Chain, *, lot: str, minutes: int, location, **extra) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": chain.at(minutes),
        "eventTimeZoneOffset": "+09:00",
        "action": extra.pop("action", "OBSERVE"),
        "epcList": [],
        "quantityList": [{"epcClass": lot, "quantity": 100, "uom": "KGM"}],
        "bizStep": extra.pop("bizStep", "receiving"),
        "readPoint": {"id": chain.sgln(location)},
        "bizLocation": {"id": chain.sgln(location)},
        **extra,
    }


def sensor_elements(chain: Chain, temperatures: list[tuple[int, float]]) -> list[dict]:
    return [
        {
            "sensorMetadata": {"time": chain.at(minute), "deviceID": "urn:epc:id:giai:8800000.1"},
            "sensorReport": [{"type": "Temperature", "value": value, "uom": "CEL"}],
        }
        for minute, value in temperatures
    ]


def single(event: dict) -> dict:
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], **event}
