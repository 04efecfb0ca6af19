"""Demo data: a mackerel lot from a Busan purse seiner to a Haeundae shop, with a breach."""

from datetime import UTC, datetime, timedelta

from . import services
from .epcis import identifiers
from .models import Lot, Party

DEMO_LOT = "BCF-2611-0042"
DEMO_FILLET = "GC-2611-0107"


def _gln(body: str) -> str:
    return body + identifiers.check_digit(body)


def seed(*, stdout, users) -> None:
    """Creates the B-Fresh demo chain once (idempotent: skipped when already there)."""
    if Party.objects.filter(gln=_gln("880123400001")).exists():
        stdout.write("logistics: demo data already there")
        return
    parties = {}
    for key, body, name, name_ko, kind in [
        ("vessel", "880123400001", "Daeyang Fisheries", "대양수산", "vessel"),
        ("auction", "880123400002", "Busan Cooperative Fish Market", "부산공동어시장", "auction"),
        ("processor", "880123400003", "Gamcheon Seafood", "감천수산", "processor"),
        ("cold", "880123400004", "Amnam Cold Storage", "암남냉동", "cold_store"),
        ("carrier", "880123400005", "Haeyang Logistics", "해양물류", "carrier"),
        ("retailer", "880123400006", "Haeundae Fresh Market", "해운대신선마트", "retailer"),
    ]:
        # The demo's pallets (SSCC) are the processor's: its company prefix.
        prefix = "8801234" if key == "processor" else ""
        parties[key] = services.party_create(
            gln=_gln(body), name=name, name_ko=name_ko, kind=kind, company_prefix=prefix
        )
    locations = {}
    for key, party, body, name, name_ko, kind, lat, lon in [
        (
            "vessel",
            "vessel",
            "880123410001",
            "Daeyang-ho 7",
            "대양7호",
            "vessel",
            "34.950000",
            "128.900000",
        ),
        (
            "auction",
            "auction",
            "880123410002",
            "Busan Cooperative Fish Market",
            "부산공동어시장",
            "auction",
            "35.089700",
            "129.018900",
        ),
        (
            "plant",
            "processor",
            "880123410003",
            "Gamcheon processing plant",
            "감천수산 가공공장",
            "plant",
            "35.078900",
            "129.003300",
        ),
        (
            "cold",
            "cold",
            "880123410004",
            "Amnam cold store",
            "암남 냉동창고",
            "cold_store",
            "35.064000",
            "129.017000",
        ),
        (
            "truck",
            "carrier",
            "880123410005",
            "Reefer truck 부산80바1234",
            "냉동탑차 부산80바1234",
            "truck",
            "35.120000",
            "129.080000",
        ),
        (
            "shop",
            "retailer",
            "880123410006",
            "Haeundae Fresh Market",
            "해운대신선마트",
            "shop",
            "35.163100",
            "129.163500",
        ),
    ]:
        locations[key] = services.location_create(
            party=parties[party],
            gln=_gln(body),
            name=name,
            name_ko=name_ko,
            kind=kind,
            latitude=lat,
            longitude=lon,
        )
    whole = services.product_create(
        gtin=_gln("880123420001"),
        name="Chub mackerel, whole",
        name_ko="고등어 (원물)",
        species="Scomber japonicus",
        product_form="whole",
        storage_class="chilled",
        owner=parties["vessel"],
    )
    fillet = services.product_create(
        gtin=_gln("880123420002"),
        name="Chub mackerel fillet",
        name_ko="고등어 필렛",
        species="Scomber japonicus",
        product_form="fillet",
        storage_class="chilled",
        owner=parties["processor"],
    )
    services.product_create(
        gtin=_gln("880123420003"),
        name="Largehead hairtail, frozen",
        name_ko="냉동 갈치",
        species="Trichiurus lepturus",
        product_form="whole",
        storage_class="frozen",
        owner=parties["vessel"],
    )
    if staff := users.get("staff-logistics"):
        parties["processor"].members.add(staff)
    if merchant := users.get("merchant"):
        parties["retailer"].members.add(merchant)
    t0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)

    def at(hours: float) -> str:
        return (t0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")

    def sgln(key: str) -> str:
        return identifiers.sgln_urn(gln=locations[key].gln)

    whole_lot = identifiers.lgtin_urn(gtin=whole.gtin, lot=DEMO_LOT)
    fillet_lot = identifiers.lgtin_urn(gtin=fillet.gtin, lot=DEMO_FILLET)
    pallet = "urn:epc:id:sscc:8801234.0000004201"
    context = [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"cbvmda": "urn:epcglobal:cbv:mda:", "bfresh": "https://busanhub.kr/bfresh/"},
    ]
    base = {"eventTimeZoneOffset": "+09:00"}
    temps = [
        (9.0, 1.5),
        (9.5, 2.0),
        (10.0, 5.5),
        (10.25, 6.8),
        (10.5, 7.2),
        (10.75, 6.1),
        (11.0, 3.5),
        (11.5, 2.2),
        (12.0, 1.8),
    ]
    events = [
        {
            **base,
            "type": "ObjectEvent",
            "action": "ADD",
            "eventTime": at(0),
            "bizStep": "commissioning",
            "quantityList": [{"epcClass": whole_lot, "quantity": 800, "uom": "KGM"}],
            "epcList": [],
            "readPoint": {"id": sgln("vessel")},
            "bizLocation": {"id": sgln("vessel")},
            "ilmd": {
                "cbvmda:speciesName": "Scomber japonicus (고등어)",
                "cbvmda:catchArea": "FAO 61 (Northwest Pacific)",
                "cbvmda:vesselName": "Daeyang-ho 7",
                "cbvmda:harvestStartDate": at(0)[:10],
                "cbvmda:fishingGearTypeCode": "PS (purse seine)",
                "bfresh:traceNumber": "KR-SEA-2611-0042",
            },
        },
        {
            **base,
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "eventTime": at(3),
            "bizStep": "arriving",
            "quantityList": [{"epcClass": whole_lot, "quantity": 800, "uom": "KGM"}],
            "epcList": [],
            "readPoint": {"id": sgln("auction")},
            "bizLocation": {"id": sgln("auction")},
        },
        {
            **base,
            "type": "TransactionEvent",
            "action": "ADD",
            "eventTime": at(4),
            "bizStep": "receiving",
            "bizTransactionList": [
                {"type": "inv", "bizTransaction": "urn:epcglobal:cbv:bt:8801234000025:AUC-2611-117"}
            ],
            "quantityList": [{"epcClass": whole_lot, "quantity": 800, "uom": "KGM"}],
            "epcList": [],
            "readPoint": {"id": sgln("auction")},
            "bizLocation": {"id": sgln("auction")},
        },
        {
            **base,
            "type": "TransformationEvent",
            "eventTime": at(6),
            "bizStep": "transforming",
            "inputQuantityList": [{"epcClass": whole_lot, "quantity": 800, "uom": "KGM"}],
            "outputQuantityList": [{"epcClass": fillet_lot, "quantity": 420, "uom": "KGM"}],
            "readPoint": {"id": sgln("plant")},
            "bizLocation": {"id": sgln("plant")},
        },
        {
            **base,
            "type": "AggregationEvent",
            "action": "ADD",
            "eventTime": at(7),
            "bizStep": "packing",
            "parentID": pallet,
            "childQuantityList": [{"epcClass": fillet_lot, "quantity": 420, "uom": "KGM"}],
            "readPoint": {"id": sgln("plant")},
            "bizLocation": {"id": sgln("plant")},
        },
        {
            **base,
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "eventTime": at(8),
            "bizStep": "storing",
            "epcList": [pallet],
            "readPoint": {"id": sgln("cold")},
            "bizLocation": {"id": sgln("cold")},
        },
        {
            **base,
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "eventTime": at(9),
            "bizStep": "departing",
            "epcList": [pallet],
            "readPoint": {"id": sgln("truck")},
            "bizLocation": {"id": sgln("truck")},
            "sourceList": [
                {"type": "owning_party", "source": identifiers.sgln_urn(gln=locations["cold"].gln)}
            ],
            "destinationList": [
                {
                    "type": "owning_party",
                    "destination": identifiers.sgln_urn(gln=locations["shop"].gln),
                }
            ],
        },
        {
            **base,
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "eventTime": at(12.1),
            "bizStep": "sensor_reporting",
            "epcList": [pallet],
            "readPoint": {"id": sgln("truck")},
            "bizLocation": {"id": sgln("truck")},
            "sensorElementList": [
                {
                    "sensorMetadata": {
                        "time": at(h),
                        "deviceID": "urn:epc:id:giai:8801234.TRK1234",
                    },
                    "sensorReport": [{"type": "Temperature", "value": v, "uom": "CEL"}],
                }
                for h, v in temps
            ],
        },
        {
            **base,
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "eventTime": at(12.5),
            "bizStep": "receiving",
            "epcList": [pallet],
            "readPoint": {"id": sgln("shop")},
            "bizLocation": {"id": sgln("shop")},
        },
    ]
    # The seed stands in for every partner's system at once, so it captures as logistics staff
    # would (no capturing party): a partner may name only its own locations.
    services.epcis_document_capture(
        document={
            "@context": context,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": at(13),
            "epcisBody": {"eventList": events},
        },
    )
    lot = Lot.objects.get(lot_code=DEMO_LOT)
    services.recall_create(
        lots=[lot],
        reason="Histamine above the legal limit in a sample (demo).",
        reason_ko="시료에서 히스타민이 법정 기준을 넘었습니다 (시연).",
    )
    fillet_url = identifiers.lot_dl(gtin=fillet.gtin, lot=DEMO_FILLET).replace(
        identifiers.DL_ROOT, ""
    )
    stdout.write(f"logistics: demo chain ready; consumer page {fillet_url}")
