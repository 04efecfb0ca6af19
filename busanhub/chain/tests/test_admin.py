"""The back office of the anchoring platform: batches, leaves, the dashboard, re-anchoring."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from busanhub.accounts.models import User
from busanhub.chain import node, services
from busanhub.chain.devnode import free_port
from busanhub.chain.models import AnchorBatch, AnchorLeaf
from busanhub.chain.testing import confirm_all

Status = AnchorBatch.Status


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser(
        email="admin@example.kr", password="x", preferred_language="en"
    )
    client.force_login(user)
    client.user = user
    return client


def anchor(n: int, *, ref: str = "r") -> list[AnchorLeaf]:
    return [
        services.anchor_record(kind="test.record", ref=f"{ref}{i}", version=1, data={"i": i})
        for i in range(n)
    ]


def anchor_and_confirm(n: int = 2) -> AnchorBatch:
    anchor(n)
    [batch] = services.batches_seal_all()
    services.batches_submit()
    confirm_all()
    batch.refresh_from_db()
    assert batch.status == Status.CONFIRMED
    return batch


def nonce() -> int:
    return node.web3().eth.get_transaction_count(node.signer().address, "latest")


def pending_count(html: str) -> int:
    return int(re.search(r'<td id="pending-leaves">(\d+)</td>', html).group(1))


# --- changelists ------------------------------------------------------------------------------


def test_batch_changelist_with_status_filter(chain, admin_client):
    confirmed = anchor_and_confirm()
    anchor(1, ref="s")
    [sealed] = services.batches_seal_all()
    url = reverse("admin:chain_anchorbatch_changelist")

    response = admin_client.get(url)
    assert response.status_code == 200
    assert {b.pk for b in response.context["cl"].result_list} == {confirmed.pk, sealed.pk}
    assert reverse("admin:chain_anchoring_dashboard") in response.content.decode()

    response = admin_client.get(url, {"status__exact": "confirmed"})
    assert response.status_code == 200
    assert [b.pk for b in response.context["cl"].result_list] == [confirmed.pk]

    response = admin_client.get(url, {"status__exact": "sealed"})
    assert [b.pk for b in response.context["cl"].result_list] == [sealed.pk]


def test_leaf_changelist_and_filters(chain, admin_client):
    anchor_and_confirm(2)
    [pending] = anchor(1, ref="p")
    url = reverse("admin:chain_anchorleaf_changelist")

    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert "pending" in response.content.decode()

    response = admin_client.get(url, {"batch__isempty": "1"})
    assert response.status_code == 200
    assert [leaf.pk for leaf in response.context["cl"].result_list] == [pending.pk]

    response = admin_client.get(url, {"batch__status": "confirmed"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2

    response = admin_client.get(url, {"q": pending.digest})
    assert [leaf.pk for leaf in response.context["cl"].result_list] == [pending.pk]


def test_leaf_changelist_queries_do_not_grow_with_the_leaves(
    chain, admin_client, django_assert_max_num_queries
):
    anchor(40)
    services.batches_seal_all()
    with django_assert_max_num_queries(15):
        response = admin_client.get(reverse("admin:chain_anchorleaf_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 40


# --- leaves are never written through the admin ------------------------------------------------


def test_leaves_cannot_be_added_changed_or_deleted(chain, admin_client):
    [leaf] = anchor(1)
    before = list(AnchorLeaf.objects.values())

    assert admin_client.get(reverse("admin:chain_anchorleaf_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:chain_anchorleaf_add"), {"kind": "x.y"}).status_code == 403
    )
    change = reverse("admin:chain_anchorleaf_change", args=[leaf.pk])
    view = admin_client.get(change)
    assert view.status_code == 200  # view only
    assert 'name="_save"' not in view.content.decode()
    assert admin_client.post(change, {"ref": "rewritten"}).status_code == 403
    delete = reverse("admin:chain_anchorleaf_delete", args=[leaf.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        reverse("admin:chain_anchorleaf_changelist"),
        {"action": "delete_selected", "_selected_action": [leaf.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)

    assert list(AnchorLeaf.objects.values()) == before


def test_batches_cannot_be_added_or_deleted(chain, admin_client):
    batch = anchor_and_confirm()
    assert admin_client.get(reverse("admin:chain_anchorbatch_add")).status_code == 403
    delete = reverse("admin:chain_anchorbatch_delete", args=[batch.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AnchorBatch.objects.filter(pk=batch.pk, status=Status.CONFIRMED).exists()


# --- dashboard --------------------------------------------------------------------------------


def test_dashboard_shows_pending_leaves_and_a_reachable_node(chain, admin_client):
    anchor_and_confirm(2)
    anchor(3, ref="p")

    response = admin_client.get(reverse("admin:chain_anchoring_dashboard"))

    assert response.status_code == 200
    html = response.content.decode()
    assert pending_count(html) == 3
    status = re.search(r'<td id="node-status">(.*?)</td>', html, re.S).group(1)
    assert status.startswith("reachable · chain 31337 · block ")
    assert chain.deployment.address in html
    assert "0 / 0 / 1" in html


def test_dashboard_in_korean(chain, admin_client):
    admin_client.user.preferred_language = "ko"
    admin_client.user.save()
    admin_client.cookies["django_language"] = "ko"
    response = admin_client.get(reverse("admin:chain_anchoring_dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "앵커링 대시보드" in html
    assert re.search(r'<td id="node-status">연결됨 · ', html)


def test_dashboard_with_the_node_down_says_unreachable(chain, admin_client, settings):
    anchor(2)
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"

    response = admin_client.get(reverse("admin:chain_anchoring_dashboard"))

    assert response.status_code == 200
    html = response.content.decode()
    assert pending_count(html) == 2
    assert re.search(r'<td id="node-status">UNREACHABLE: ', html)
    assert "reachable ·" not in html


@pytest.mark.django_db
def test_dashboard_is_refused_to_staff_without_the_permission(client):
    staff = User.objects.create_user(email="staff@example.kr", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:chain_anchoring_dashboard")).status_code == 403


@pytest.mark.django_db
def test_dashboard_sends_anonymous_visitors_to_the_login(client):
    response = client.get(reverse("admin:chain_anchoring_dashboard"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- re-anchor --------------------------------------------------------------------------------


def test_re_anchor_sends_a_confirmed_batch_back_and_adopts_its_root(chain, admin_client):
    # Given a confirmed batch
    batch = anchor_and_confirm()
    tx_hash, block = batch.tx_hash, batch.block_number
    nonce_before = nonce()

    # When the re_anchor action runs on it
    response = admin_client.post(
        reverse("admin:chain_anchorbatch_changelist"),
        {"action": "re_anchor", "_selected_action": [batch.pk]},
        follow=True,
    )

    # Then it is back to sealed, with nothing of its anchoring left
    assert response.status_code == 200
    assert "1 batches will be anchored again." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == Status.SEALED
    assert batch.tx_hash == "" and batch.block_number is None and batch.deployment is None
    assert batch.last_error == "re-anchor requested by admin@example.kr in the admin"

    # When it is submitted and confirmed again
    [sent] = services.batches_submit()
    confirm_all()

    # Then its root, already on chain, is adopted: same transaction, no new one sent
    assert sent.pk == batch.pk
    batch.refresh_from_db()
    assert batch.status == Status.CONFIRMED
    assert batch.tx_hash == tx_hash and batch.block_number == block
    assert nonce() == nonce_before
    assert services.receipt_for(AnchorLeaf.objects.filter(batch=batch).first().digest)


def test_re_anchor_leaves_sealed_batches_alone(chain, admin_client):
    anchor(1)
    [sealed] = services.batches_seal_all()
    response = admin_client.post(
        reverse("admin:chain_anchorbatch_changelist"),
        {"action": "re_anchor", "_selected_action": [sealed.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "0 batches will be anchored again." in response.content.decode()
    sealed.refresh_from_db()
    assert sealed.status == Status.SEALED and sealed.last_error == ""
    assert not LogEntry.objects.exists()


def test_re_anchor_is_refused_without_the_change_permission(chain, client):
    from django.contrib.auth.models import Permission

    batch = anchor_and_confirm()
    viewer = User.objects.create_user(
        email="viewer@example.kr", password="x", is_staff=True, preferred_language="en"
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_anchorbatch"))
    client.force_login(viewer)
    response = client.post(
        reverse("admin:chain_anchorbatch_changelist"),
        {"action": "re_anchor", "_selected_action": [batch.pk]},
    )
    assert response.status_code in (200, 302)
    batch.refresh_from_db()
    assert batch.status == Status.CONFIRMED
