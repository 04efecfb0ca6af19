"""The Celery application shared by every app; configuration comes from Django settings."""

import os

from celery import Celery
from celery.signals import before_task_publish, worker_init

from busanhub.local_folders import broker_folders, folders_create

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.dev")

app = Celery("busanhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def broker_folders_create(**kwargs) -> None:
    """kombu's filesystem transport neither creates its folders nor says so when they are
    missing until a message is lost: create them before a publish and when a worker starts."""
    folders_create(broker_folders(app.conf.broker_url, app.conf.broker_transport_options))


# Infrastructure, not domain logic: Celery offers no other hook before a publish.
before_task_publish.connect(broker_folders_create, weak=False)
worker_init.connect(broker_folders_create, weak=False)
