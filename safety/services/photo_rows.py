"""Writing a report's photo rows with PostgreSQL's binary COPY, one statement for all of them.
The photos' bytes are files (`safety.photo_files`); the rows name them. (Before, the rows held
the bytes, and COPY sent them as they are instead of an INSERT's hex text.)"""

import io
import struct
from collections.abc import Sequence

from django.db import connection

from safety.models import ReportPhoto

_COLUMNS = (
    "public_id",
    "report_id",
    "position",
    "original_name",
    "original_content_type",
    "sha256",
    "public_name",
    "width",
    "height",
)
_COPY = f"COPY safety_reportphoto ({', '.join(_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)  # signature, flags, no extension


def _field(data: bytes) -> bytes:
    return struct.pack("!i", len(data)) + data


def photo_rows_insert(rows: Sequence[ReportPhoto]) -> None:
    """Inserts validated, unsaved ReportPhoto rows (their `id` comes from the column's default)
    in the caller's transaction. Constraints are checked by the database as for an INSERT."""
    if not rows:
        return
    buffer = io.BytesIO()
    buffer.write(_HEADER)
    for row in rows:
        buffer.write(struct.pack("!h", len(_COLUMNS)))
        buffer.write(_field(row.public_id.bytes))
        buffer.write(_field(struct.pack("!q", row.report_id)))
        buffer.write(_field(struct.pack("!h", row.position)))
        buffer.write(_field(row.original_name.encode()))
        buffer.write(_field(row.original_content_type.encode()))
        buffer.write(_field(row.sha256.encode()))
        buffer.write(_field(row.public_name.encode()))
        buffer.write(_field(struct.pack("!i", row.width)))
        buffer.write(_field(struct.pack("!i", row.height)))
    buffer.write(struct.pack("!h", -1))
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(_COPY, buffer)
