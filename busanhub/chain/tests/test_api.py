"""The public chain API: receipts by digest, the batch list, and the OpenAPI schema and docs."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext

from busanhub.accounts.models import User
from busanhub.chain import services
from busanhub.chain.models import AnchorBatch, AnchorLeaf
from busanhub.chain.testing import confirm_all

Status = AnchorBatch.Status


def anchor_and_confirm(*, ref: str = "r1", public: bool = True) -> AnchorLeaf:
    leaf = services.anchor_record(
        kind="test.record", ref=ref, version=1, data={"ref": ref, "n": 1}, public=public
    )
    services.batches_seal_all()
    services.batches_submit()
    confirm_all()
    return leaf


def receipt_url(digest: str) -> str:
    return f"/api/v1/chain/receipts/{digest}"


# --- receipts ---------------------------------------------------------------------------------


def test_receipt_of_a_confirmed_public_leaf(chain, client):
    # Given a public record anchored and confirmed
    leaf = anchor_and_confirm()

    # When anyone asks for its receipt
    response = client.get(receipt_url(leaf.digest))

    # Then they get the receipt, envelope included
    assert response.status_code == 200
    assert response.json() == services.receipt_for(leaf.digest)
    assert response.json()["envelope"] == leaf.envelope
    assert response.json()["anchor"]["contract"] == chain.deployment.address


def test_receipt_accepts_a_digest_without_0x_and_in_upper_case(chain, client):
    leaf = anchor_and_confirm()
    response = client.get(receipt_url(leaf.digest[2:].upper()))
    assert response.status_code == 200
    assert response.json()["digest"] == leaf.digest


def test_private_receipt_hides_the_envelope_from_anonymous_visitors(chain, client):
    leaf = anchor_and_confirm(public=False)
    response = client.get(receipt_url(leaf.digest))
    assert response.status_code == 200
    assert "envelope" not in response.json()
    assert response.json() == services.receipt_for(leaf.digest)


def test_private_receipt_hides_the_envelope_from_staff_without_the_permission(chain, client):
    leaf = anchor_and_confirm(public=False)
    staff = User.objects.create_user(email="staff@example.kr", password="x", is_staff=True)
    client.force_login(staff)
    response = client.get(receipt_url(leaf.digest))
    assert response.status_code == 200
    assert "envelope" not in response.json()


def test_private_receipt_shows_the_envelope_to_staff_who_may_view_leaves(chain, client):
    leaf = anchor_and_confirm(public=False)
    staff = User.objects.create_user(email="staff@example.kr", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_anchorleaf"))
    client.force_login(staff)
    response = client.get(receipt_url(leaf.digest))
    assert response.status_code == 200
    assert response.json()["envelope"] == leaf.envelope
    assert response.json() == services.receipt_for(leaf.digest, include_envelope=True)


@pytest.mark.django_db
def test_pending_leaf_has_no_receipt_yet(client):
    leaf = services.anchor_record(kind="test.record", ref="r1", version=1, data={}, public=True)
    response = client.get(receipt_url(leaf.digest))
    assert response.status_code == 404
    assert response.json() == {
        "detail": "not anchored yet",
        "status": "pending",
        "errors": [{"field": None, "code": "invalid", "message": "not anchored yet"}],
    }


@pytest.mark.django_db
def test_sealed_leaf_has_no_receipt_yet(client):
    leaf = services.anchor_record(kind="test.record", ref="r1", version=1, data={}, public=True)
    services.batches_seal_all()
    response = client.get(receipt_url(leaf.digest))
    assert response.status_code == 404
    assert response.json() == {
        "detail": "not anchored yet",
        "status": "sealed",
        "errors": [{"field": None, "code": "invalid", "message": "not anchored yet"}],
    }


@pytest.mark.django_db
def test_unknown_digest_is_reported_unknown(client):
    response = client.get(receipt_url("0x" + "ab" * 32))
    assert response.status_code == 404
    assert response.json() == {
        "detail": "not anchored yet",
        "status": "unknown",
        "errors": [{"field": None, "code": "invalid", "message": "not anchored yet"}],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("digest", ["nothex", "0x" + "ab" * 31, "0x" + "zz" * 32, "ab" * 33])
def test_malformed_digest_is_a_400_naming_the_digest(client, digest):
    response = client.get(receipt_url(digest))
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["digest", "detail", "errors"]
    assert isinstance(body["digest"], list) and body["digest"][0]
    assert body["errors"] == [{"field": "digest", "code": "invalid", "message": body["digest"][0]}]


# --- batches ----------------------------------------------------------------------------------


def make_batches(n: int, *, status: str = Status.SEALED) -> list[AnchorBatch]:
    return [
        AnchorBatch.objects.create(
            root="0x" + f"{i:064x}",
            leaf_count=i + 1,
            tree=b"",
            status=status,
            **(
                {
                    "block_number": 100 + i,
                    "block_hash": "0x" + "11" * 32,
                    "tx_hash": "0x" + "22" * 32,
                }
                if status == Status.CONFIRMED
                else {}
            ),
        )
        for i in range(n)
    ]


def test_batch_list_is_public_and_shows_a_confirmed_batch(chain, client):
    leaf = anchor_and_confirm()
    batch = AnchorBatch.objects.get()
    response = client.get("/api/v1/chain/batches/")
    assert response.status_code == 200
    body = response.json()
    assert body["previous"] is None and body["next"] is None
    [row] = body["results"]
    assert row["id"] == batch.pk
    assert row["status"] == "confirmed"
    assert row["root"] == batch.root
    assert row["leaf_count"] == 1
    assert row["chain_id"] == 31337
    assert row["contract"] == chain.deployment.address
    assert row["tx_hash"] == batch.tx_hash
    assert row["block_number"] == batch.block_number
    assert row["block_hash"] == batch.block_hash
    assert row["gas_used"] == batch.gas_used
    assert "tree" not in row and "raw_tx" not in row
    assert services.receipt_for(leaf.digest)["root"] == row["root"]


@pytest.mark.django_db
def test_batch_list_paginates_by_cursor_newest_first(client):
    batches = make_batches(120)
    seen, url, pages = [], "/api/v1/chain/batches/", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) <= 50
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert seen == sorted((b.pk for b in batches), reverse=True)
    assert "cursor=" in client.get("/api/v1/chain/batches/").json()["next"]


@pytest.mark.django_db
def test_batch_list_filters_by_status(client):
    sealed = make_batches(3)
    AnchorBatch.objects.filter(pk=sealed[0].pk).update(status=Status.SUBMITTED)
    confirmed = AnchorBatch.objects.create(
        root="0x" + "ff" * 32,
        leaf_count=7,
        tree=b"",
        status=Status.CONFIRMED,
        block_number=9,
        block_hash="0x" + "11" * 32,
        tx_hash="0x" + "22" * 32,
    )

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/chain/batches/{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids("?status=confirmed") == [confirmed.pk]
    assert ids("?status=submitted") == [sealed[0].pk]
    assert ids("?status=sealed") == [sealed[2].pk, sealed[1].pk]
    # An unknown status is ignored rather than an error
    assert ids("?status=bogus") == [confirmed.pk, sealed[2].pk, sealed[1].pk, sealed[0].pk]


def test_batch_list_query_count_does_not_grow_with_the_batches(
    chain, client, django_assert_max_num_queries
):
    make_batches(30, status=Status.CONFIRMED)
    AnchorBatch.objects.update(deployment=chain.deployment)
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/chain/batches/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 30
    assert {row["contract"] for row in response.json()["results"]} == {chain.deployment.address}


@pytest.mark.django_db
def test_batch_list_does_not_load_the_tree(client):
    make_batches(2)
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/chain/batches/")
    [select] = [q["sql"] for q in queries if "chain_anchorbatch" in q["sql"]]
    assert '"tree"' not in select and '"raw_tx"' not in select


# --- OpenAPI ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_schema_documents_the_chain_paths(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/chain/receipts/{digest}" in schema["paths"]
    assert "/api/v1/chain/batches/" in schema["paths"]
    receipt = schema["paths"]["/api/v1/chain/receipts/{digest}"]["get"]
    # Its own 200/400/404 bodies, and the portal's refusals (busanhub.api) besides.
    assert set(receipt["responses"]) == {"200", "400", "401", "403", "404", "405", "429"}
    refused = receipt["responses"]["429"]["content"]["application/json"]["schema"]
    assert refused == {"$ref": "#/components/schemas/Error"}
    batches = schema["paths"]["/api/v1/chain/batches/"]["get"]
    assert {p["name"] for p in batches["parameters"]} >= {"cursor"}


@pytest.mark.django_db
def test_schema_is_yaml_by_default(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/chain/receipts/{digest}:" in response.content


@pytest.mark.django_db
def test_docs_are_served_offline(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # The Swagger UI assets come from drf-spectacular-sidecar, not from a CDN
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
