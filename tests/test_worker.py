"""A real Celery worker process seals, submits and confirms a batch on a real anvil.

The broker is CELERY_TEST_BROKER_URL (CI: Redis on 127.0.0.1:6379); without it, kombu's
filesystem transport, so the test runs on any machine. The worker shares the test database.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from busanhub.celery import app
from busanhub.chain import node as chain_node
from busanhub.chain import services, tasks, verify
from busanhub.chain.models import AnchorBatch

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    socket_dir = db.get("OPTIONS", {}).get("host")
    if socket_dir:  # the embedded cluster of `make test`
        return f"postgres://{db['USER']}{password}@/{db['NAME']}?host={socket_dir}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def broker(tmp_path):
    url = os.environ.get("CELERY_TEST_BROKER_URL")
    if url:
        return url, {}
    folder = tmp_path / "broker"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        # The worker's settings put the bindings beside the queue folder, never in ./control.
        "control_folder": f"{folder}-control",
    }
    return "filesystem://", options


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_seals_submits_and_confirms(settings, anvil, broker, tmp_path):
    broker_url, transport_options = broker
    settings.CHAIN_RPC_URL = anvil.url
    settings.CHAIN_AUTO_DEPLOY = False
    services.deployment_create()
    leaves = [
        services.anchor_record(kind="test.worker", ref=str(i), version=1, data={"i": i})
        for i in range(5)
    ]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "busanhub.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CHAIN_RPC_URL": anvil.url,
    }
    if transport_options:
        env["CELERY_TEST_FILESYSTEM_FOLDER"] = transport_options["data_folder_in"]
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "busanhub.celery",
            "worker",
            "-Q",
            "anchoring",
            "--pool",
            "solo",
            "-l",
            "info",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        conf = {"broker_url": broker_url, "broker_transport_options": transport_options}
        sender = app.__class__("sender", set_as_current=False)
        sender.conf.update(conf)
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            for task in (tasks.seal_pending, tasks.submit_sealed, tasks.confirm_submitted):
                sender.send_task(task.name, queue="anchoring")
            time.sleep(1.0)
            status = AnchorBatch.objects.values_list("status", flat=True).first()
            if status == AnchorBatch.Status.CONFIRMED:
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        assert status == AnchorBatch.Status.CONFIRMED, (tmp_path / "worker.log").read_text()[-3000:]
        assert AnchorBatch.objects.count() == 1
        receipt = services.receipt_for(leaves[2].digest, include_envelope=True)
        assert verify.verify_on_chain(receipt, chain_node.web3()).ok
        assert "succeeded" in (tmp_path / "worker.log").read_text()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
