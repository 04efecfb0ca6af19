"""How a capture locks the master data it names (PostgreSQL row locks), and in which order.

A capture takes `FOR SHARE` on every location, party and product its events name (and on the
capturing party) before it reads whether they are active. Shared locks do not block each other,
so captures naming the same rows run side by side; a deactivation (`select_for_update()` in
`masterdata.*_update`, or any UPDATE of the row) conflicts with them. So a deactivation either
commits first (the capture waits for it, then reads the row as inactive and is refused) or waits
until the capture has committed (the events were stored while the row was active).

Rows are locked in primary-key order, table by table (parties, then locations, then products),
so two captures never wait on each other and a capture and a one-row deactivation cannot
deadlock. The reads that follow run after the locks are granted, so under READ COMMITTED they
see every deactivation that committed before.
"""

from collections.abc import Iterable

from django.db import connection

from busanhub.db import array_literal

from ..models import Location, Party, Product


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def master_data_share(
    *, glns: Iterable[str], gtins: Iterable[str], party_pks: Iterable[int] = ()
) -> None:
    """Locks FOR SHARE, until the transaction ends, the locations with these GLNs and their
    parties, the parties with these GLNs or primary keys, and the products with these GTINs.

    Call inside the capture's transaction, before reading the rows' `is_active`.
    """
    glns, gtins, party_pks = sorted(set(glns)), sorted(set(gtins)), sorted(set(party_pks))
    party, location, product = _table(Party), _table(Location), _table(Product)
    with connection.cursor() as cursor:
        if glns or party_pks:
            # The parties first: those named by their own GLN, the capturer, and the owners of
            # the locations named (a location of a deactivated party may not be named either).
            cursor.execute(
                f"SELECT id FROM {party} WHERE gln = ANY(%s::text[]) OR id = ANY(%s::bigint[])"  # noqa: S608
                f" OR id IN (SELECT party_id FROM {location} WHERE gln = ANY(%s::text[]))"
                " ORDER BY id FOR SHARE",
                [array_literal(glns), array_literal(party_pks), array_literal(glns)],
            )
        if glns:
            cursor.execute(
                f"SELECT id FROM {location} WHERE gln = ANY(%s::text[]) ORDER BY id FOR SHARE",  # noqa: S608
                [array_literal(glns)],
            )
        if gtins:
            cursor.execute(
                f"SELECT id FROM {product} WHERE gtin = ANY(%s::text[]) ORDER BY id FOR SHARE",  # noqa: S608
                [array_literal(gtins)],
            )
