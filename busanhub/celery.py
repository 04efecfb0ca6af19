"""The Celery application shared by every app; configuration comes from Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.dev")

app = Celery("busanhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
