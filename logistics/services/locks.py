"""How a capture locks the master data it names (PostgreSQL row locks), in which order, and
what it reads of them: one statement (`logistics/sql/capture_lock.sql`) locks and returns them.

A capture takes `FOR SHARE` on every location, party and product its events name (and on the
capturing party, and the parties of the company prefixes of its SSCCs, GIAIs and GRAIs), and
`FOR UPDATE` on the lots its transformations take. Shared locks do not block each other, so
captures naming the same rows run side by side; a deactivation (`select_for_update()` in
`masterdata.*_update`, or any UPDATE of the row) conflicts with them. So a deactivation either
commits first (the capture waits for it, and reads the row as inactive: a row locked after
waiting is returned as the update committed it) or waits until the capture has committed (the
events were stored while the row was active). Two transformations of one lot are serialised:
the second reads the first's consumption (`consumption.balances_stored`, after this statement)
once it commits.

Rows are locked in primary-key order, table by table (parties, then locations, then products,
then lots), so two captures never wait on each other in a cycle and a capture and a one-row
deactivation cannot deadlock. What the checks read of these rows comes from the locking
statement itself, not from a second read.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.db import connection

from busanhub.db import PreparedStatement, sql_file


class LockedRow(NamedTuple):
    table: str  # party, location, product or lot
    pk: int
    key: str  # a party's or location's GLN, a product's GTIN
    company_prefix: str
    is_active: bool
    party_id: int | None  # a location's party


CAPTURE_LOCK = PreparedStatement(
    "logistics_capture_lock",
    sql_file(Path(__file__).resolve().parent.parent / "sql" / "capture_lock.sql"),
    params=[
        ("glns", "text[]"),
        ("party_pks", "bigint[]"),
        ("prefixes", "text[]"),
        ("gtins", "text[]"),
        ("lots", "text[]"),
    ],
    row=LockedRow,
)


@dataclass(frozen=True)
class LocationFacts:
    pk: int
    party_id: int
    is_active: bool
    party_is_active: bool


@dataclass(frozen=True)
class ProductFacts:
    pk: int
    is_active: bool


@dataclass
class MasterData:
    """What a capture's checks need of the rows it locked, by the keys events name them by."""

    locations: dict[str, LocationFacts] = field(default_factory=dict)  # by GLN
    parties: dict[str, tuple[int, bool]] = field(default_factory=dict)  # GLN → (pk, active)
    party_is_active: dict[int, bool] = field(default_factory=dict)  # by pk
    products: dict[str, ProductFacts] = field(default_factory=dict)  # by GTIN
    company_prefixes: dict[str, bool] = field(default_factory=dict)  # → its party is active


def master_data_lock(
    *,
    glns: Iterable[str],
    gtins: Iterable[str],
    party_pks: Iterable[int] = (),
    prefixes: Iterable[str] = (),
    lots: Iterable[str] = (),
) -> MasterData:
    """Locks until the transaction ends, and returns as they are once locked: FOR SHARE the
    locations with these GLNs and their parties, the parties with these GLNs, primary keys or
    company prefixes, the products with these GTINs; FOR UPDATE the lots with these
    identifiers. One statement. Call inside the capture's transaction."""
    with connection.cursor() as cursor:
        rows = CAPTURE_LOCK.execute(
            cursor,
            glns=sorted(set(glns)),
            party_pks=sorted(set(party_pks)),
            prefixes=sorted(set(prefixes)),
            gtins=sorted(set(gtins)),
            lots=sorted(set(lots)),
        )
    found = MasterData()
    for row in rows:
        if row.table == "party":
            found.party_is_active[row.pk] = row.is_active
            found.parties[row.key] = (row.pk, row.is_active)
            if row.company_prefix:
                found.company_prefixes[row.company_prefix] = row.is_active
        elif row.table == "product":
            found.products[row.key] = ProductFacts(pk=row.pk, is_active=row.is_active)
    for row in rows:
        if row.table == "location" and row.party_id is not None:
            found.locations[row.key] = LocationFacts(
                pk=row.pk,
                party_id=row.party_id,
                is_active=row.is_active,
                party_is_active=found.party_is_active[row.party_id],
            )
    return found
