from django.core.management.base import BaseCommand

from safety import services


class Command(BaseCommand):
    help = "Issues an Open311 api_key for a partner application and prints it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the partner application's name")

    def handle(self, *args, name: str, **options):
        _, raw_key = services.api_key_create(name=name)
        self.stdout.write(raw_key)
