"""`python manage.py exchange_matcher [SYMBOL ...]`: a dedicated matcher process.

For EXCHANGE_MATCHING=process: drains the named markets' order logs (all markets when none is
named) and polls for more. Several copies may run (a standby): the market's consumer lock lets
one drain a market at a time, and the writer lock makes every batch the only writer.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from exchange import services
from exchange.models import Market


class Command(BaseCommand):
    help = "Runs the matcher of the named markets (all when none is named) until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("symbols", nargs="*")
        parser.add_argument("--idle-sleep", type=float, default=0.02, help="seconds")
        parser.add_argument("--once", action="store_true", help="drain once and stop")

    def handle(self, *args, symbols, idle_sleep, once, **options):
        markets = Market.objects.all()
        if symbols:
            markets = markets.filter(symbol__in=[s.upper() for s in symbols])
            if len(markets) != len(set(symbols)):
                raise CommandError("unknown market symbol")
        pks = list(markets.values_list("pk", flat=True))
        taken = 0
        try:
            while True:
                done = sum(services.markets_match(market_pk=pk) for pk in pks)
                taken += done
                if once:
                    break
                if not done:
                    time.sleep(idle_sleep)
        except KeyboardInterrupt:
            pass
        finally:
            connection.close()
        self.stdout.write(f"matched {taken} requests\n")
