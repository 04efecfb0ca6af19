"""CPU of the staff's five change lists' rows, this checkout's busanhub/admin_lists.py against
another's (`--against`), interleaved in one process over the same change lists.

    DATABASE_URL=postgres://... .venv/bin/python bench/admin_rows.py \\
        --against /path/to/other/checkout/busanhub/admin_lists.py --rounds 4

Each round builds every list's change list afresh (this checkout's admin: its querysets, its
columns) and times `rows()` of each module on it, in alternating order: the rows' own cost, free
of the machine's minute-to-minute swings that separate runs suffer. The database is a throw-away
`<DATABASE_URL's name>_rows` with bench/request_cpu.py's city, dropped at the end. Last line:
`k=v ...` (ms of rows per page, this checkout's and the other's, per list).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LISTS = [
    ("safety", "safety.Report", {"status__exact": "submitted"}),
    ("orders", "exchange.Order", {}),
    ("events", "logistics.Event", {}),
    ("enrolments", "education.Enrollment", {}),
    ("payments", "vouchers.Payment", {}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="another admin_lists.py")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--citizens", type=int, default=120)
    args = parser.parse_args()
    from bench.request_cpu import environment_set

    environment_set()
    import django

    django.setup()
    from django.apps import apps
    from django.contrib import admin
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import setup_databases, teardown_databases
    from django.utils import translation

    from bench import city
    from busanhub import admin_lists
    from busanhub.accounts.models import User

    spec = importlib.util.spec_from_file_location("admin_lists_other", args.against)
    assert spec is not None and spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)

    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"{connection.settings_dict['NAME']}_rows"
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        n = args.citizens
        counts = city.Counts(
            citizens=n, merchants=5, payments=n // 2, reports=n // 2, traders=20, orders=100,
            lots=10, events_per_lot=4, courses=3, enrolments=n // 2,
        )  # fmt: skip
        city.seed_city(counts=counts, prefix="rows")
        superuser = User.objects.create(email="rows-bench@busan.go.kr", is_staff=True)
        superuser.is_superuser = True
        results: dict[str, dict[str, list[float]]] = {}
        shown: dict[str, int] = {}
        with translation.override("ko"):
            for _round in range(args.rounds):
                for name, label, query in LISTS:
                    model_admin = admin.site._registry[apps.get_model(label)]
                    request = RequestFactory().get("/", query)
                    request.user = superuser
                    changelist = model_admin.get_changelist_instance(request)
                    changelist.formset = None
                    shown[name] = len(changelist.result_list)  # the query, outside the timing
                    order = [("this", admin_lists), ("other", other)]
                    if _round % 2:
                        order.reverse()
                    for which, module in order:
                        start = time.process_time()
                        for _ in range(args.repeat):
                            html = "".join(row[0] for row in module.rows(changelist))
                        spent = (time.process_time() - start) * 1000 / args.repeat
                        results.setdefault(name, {}).setdefault(which, []).append(spent)
                        assert html
        for name, by in results.items():
            print(
                f"  {name:<11} rows {shown[name]:>3}  this "
                + " ".join(f"{ms:5.2f}" for ms in by["this"])
                + "  other "
                + " ".join(f"{ms:5.2f}" for ms in by["other"])
            )
        print(
            " ".join(
                f"{name}={min(by['this']):.2f}/{min(by['other']):.2f}"
                for name, by in results.items()
            )
        )
    finally:
        from django.db import connections

        connections.close_all()
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
