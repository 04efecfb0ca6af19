"""Hand-written SQL on PostgreSQL, in one place: for the throughput paths where the ORM's
per-row cost is the bottleneck (a voucher payment, an order placement, an EPCIS capture).

- `PreparedStatement` (prepared.py): a statement with named parameters, prepared once per
  database connection, run by EXECUTE, its rows mapped to a NamedTuple; `execute_together`
  sends several in one round trip; `GENERIC_PLAN` is the one spelling of "plan once".
- `insert_rows` (bulk.py): plain rows into a model's table as one `unnest` INSERT.
- `array_literal` (arrays.py): a list as one array parameter.
- `Columns` (columns.py): a model's columns in a SELECT, and its instances from the rows.
- `Group` (groups.py): group commit of what a process's threads send at the same moment.
- `Batch` (batch.py): prepared statements' calls added one by one, sent in one round trip.

SQL is built with `psycopg2.sql` (identifiers) or kept in `.sql` files beside the app that
owns it (`sql_file`); values are always parameters.
"""

from .arrays import array_literal
from .batch import Batch
from .bulk import insert_rows
from .columns import Columns
from .groups import Group, signal
from .prepared import GENERIC_PLAN, Call, PreparedStatement, execute_together, sql_file

__all__ = [
    "Batch",
    "GENERIC_PLAN",
    "Call",
    "Columns",
    "Group",
    "PreparedStatement",
    "array_literal",
    "execute_together",
    "insert_rows",
    "signal",
    "sql_file",
]
