"""Indexes a capture wrote for every event that no query uses.

- `event_id` and `event_hash` are unique, so Django also gave each a `varchar_pattern_ops`
  index (`_like`) for `LIKE 'prefix%'` lookups; nothing looks them up by prefix (the admin's
  search is `icontains`, which no B-tree serves). Exact lookups use the unique indexes.
- The many-to-many table's index on `event_id` alone repeats the first column of its unique
  (event_id, party_id) index, which serves the same lookups.

Django's migration state keeps no record of these indexes, so dropping them changes no model;
a later AlterField of these fields drops the `_like` index with IF EXISTS.
"""

from django.db import migrations

DROPPED = {
    "logistics_event_event_id_1ce2b781_like": (
        "logistics_event USING btree (event_id varchar_pattern_ops)"
    ),
    "logistics_event_event_hash_6f0bb681_like": (
        "logistics_event USING btree (event_hash varchar_pattern_ops)"
    ),
    "logistics_event_parties_event_id_a60ec3f4": "logistics_event_parties USING btree (event_id)",
}


class Migration(migrations.Migration):
    dependencies = [("logistics", "0006_breach_reason_choices")]

    operations = [
        migrations.RunSQL(
            sql=[f"DROP INDEX IF EXISTS {name}" for name in DROPPED],
            reverse_sql=[f"CREATE INDEX {name} ON {where}" for name, where in DROPPED.items()],
        )
    ]
