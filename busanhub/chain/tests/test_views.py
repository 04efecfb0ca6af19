"""The public /verify/ pages: by digest, by receipt (file or pasted), in Korean and English."""

import copy
import html as html_lib
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from busanhub.accounts.models import User
from busanhub.chain import services
from busanhub.chain.models import AnchorBatch
from busanhub.chain.testing import anchored_records as anchor_and_confirm

VERIFIED_KO = "이 기록은 영수증 내용대로 체인에 앵커링되어 있습니다."
VERIFIED_EN = "This record is anchored on chain as the receipt says."
NOT_VERIFIED_KO = "검증되지 않음"
NOT_VERIFIED_EN = "Not verified"
DIGEST_ERROR_KO = "다이제스트는 16진수 64자리이며, 앞에 0x를 붙일 수 있습니다."
NOT_JSON_KO = "JSON 형식이 아닙니다: "
NOT_ANCHORED_KO = "아직 앵커링되지 않았습니다."
NOT_ANCHORED_EN = "Not anchored yet."
STEPS = ["format", "envelope", "leaf", "proof", "chain", "anchored", "contract-verify", "block"]


def failed_steps(html: str) -> list[str]:
    """The labels of the steps marked failed on a page."""
    return [
        html_lib.unescape(re.sub(r"\s+", " ", label).strip())
        for label in re.findall(
            r'<li class="verify-step is-failed"[^>]*>.*?<strong>(.*?)</strong>', html, re.S
        )
    ]


def step_classes(html: str) -> list[str]:
    return re.findall(r'<li class="verify-step (is-[\w-]+)"', html)


# --- /verify/ ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_page_shows_both_forms(client):
    response = client.get("/verify/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="digest"' in html
    assert 'name="file"' in html and 'name="text"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "verify-verdict" not in html


@pytest.mark.django_db
def test_digest_form_redirects_to_the_digest_page(client):
    digest = "0x" + "ab" * 32
    response = client.get("/verify/", {"digest": " " + digest.upper()[2:] + " "})
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{digest}"


@pytest.mark.django_db
def test_bad_digest_in_the_form_is_a_400_with_the_error(client):
    response = client.get("/verify/", {"digest": "bad"})
    assert response.status_code == 400
    html = response.content.decode()
    assert DIGEST_ERROR_KO in html
    assert 'id="id_digest_error"' in html


@pytest.mark.django_db
def test_bad_digest_error_in_english(client):
    response = client.get("/verify/", {"digest": "bad"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "A digest is 64 hexadecimal digits, optionally starting with 0x." in (
        response.content.decode()
    )


def test_uploaded_receipt_is_verified(chain, client):
    # Given the receipt of a confirmed record, saved as a file
    leaves = anchor_and_confirm()
    receipt = services.receipt_for(leaves[1].digest)
    upload = SimpleUploadedFile(
        "receipt.json", json.dumps(receipt).encode(), content_type="application/json"
    )

    # When it is uploaded on /verify/
    response = client.post("/verify/", {"file": upload})

    # Then every step holds and the page says so in Korean
    assert response.status_code == 200
    html = response.content.decode()
    assert VERIFIED_KO in html
    assert 'class="verify-verdict is-ok"' in html
    assert step_classes(html) == ["is-ok"] * len(STEPS)
    assert response.context["result"].ok
    assert [s.name for s in response.context["result"].steps] == STEPS


def test_pasted_receipt_is_verified(chain, client):
    leaves = anchor_and_confirm()
    receipt = services.receipt_for(leaves[0].digest)
    response = client.post("/verify/", {"text": json.dumps(receipt, indent=2)})
    assert response.status_code == 200
    assert VERIFIED_KO in response.content.decode()
    assert step_classes(response.content.decode()) == ["is-ok"] * len(STEPS)


def test_private_receipt_is_verified_without_checking_the_envelope(chain, client):
    [leaf] = anchor_and_confirm(1, public=False)
    receipt = services.receipt_for(leaf.digest)
    assert "envelope" not in receipt
    response = client.post("/verify/", {"text": json.dumps(receipt)})
    assert response.status_code == 200
    assert VERIFIED_KO in response.content.decode()
    assert step_classes(response.content.decode()) == ["is-ok", "is-skipped"] + ["is-ok"] * 6


@pytest.mark.parametrize(
    "language",
    [{"HTTP_ACCEPT_LANGUAGE": "en"}, {"cookie": "en"}],
    ids=["accept-language", "cookie"],
)
def test_verified_in_english(chain, client, language):
    leaves = anchor_and_confirm()
    receipt = services.receipt_for(leaves[2].digest)
    if "cookie" in language:
        client.cookies["django_language"] = language["cookie"]
        extra = {}
    else:
        extra = language
    response = client.post("/verify/", {"text": json.dumps(receipt)}, **extra)
    assert response.status_code == 200
    html = response.content.decode()
    assert VERIFIED_EN in html
    assert VERIFIED_KO not in html
    assert '<html lang="en"' in html


def test_receipt_with_a_changed_proof_element_fails_at_the_proof(chain, client):
    # Given a real receipt with one proof element changed
    leaves = anchor_and_confirm()
    receipt = services.receipt_for(leaves[0].digest)
    tampered = copy.deepcopy(receipt)
    last = tampered["proof"][0][-1]
    tampered["proof"][0] = tampered["proof"][0][:-1] + ("0" if last != "0" else "1")

    # When it is pasted
    response = client.post("/verify/", {"text": json.dumps(tampered)})

    # Then the proof step fails, the chain is not asked, and the verdict is "not verified"
    assert response.status_code == 200
    html = response.content.decode()
    assert failed_steps(html) == ["증명이 리프에서 루트까지 이어집니다"]
    assert step_classes(html) == ["is-ok", "is-ok", "is-ok", "is-failed"] + ["is-not-reached"] * 4
    assert NOT_VERIFIED_KO in html
    assert "4단계 실패: 증명이 리프에서 루트까지 이어집니다." in html
    assert VERIFIED_KO not in html
    assert not response.context["result"].ok
    assert response.context["result"].failed_step.name == "proof"


def test_receipt_with_changed_envelope_data_fails_at_the_envelope(chain, client):
    leaves = anchor_and_confirm()
    tampered = services.receipt_for(leaves[0].digest)
    tampered["envelope"]["data"]["i"] = 99
    response = client.post("/verify/", {"text": json.dumps(tampered)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert failed_steps(html) == ["The record's data matches the digest"]
    assert NOT_VERIFIED_EN in html
    assert VERIFIED_EN not in html
    assert response.context["result"].failed_step.name == "envelope"
    # The steps after the failure are "not reached", not shown as holding
    assert step_classes(html) == ["is-ok", "is-failed"] + ["is-not-reached"] * 6
    assert "Step 2 failed: The record&#x27;s data matches the digest." in html
    assert "equals the leaf" not in html
    assert html.index('class="verify-verdict is-failed"') < html.index('class="verify-steps"')


def test_receipt_naming_another_contract_fails_on_chain(chain, client):
    leaves = anchor_and_confirm()
    tampered = services.receipt_for(leaves[0].digest)
    tampered["anchor"]["contract"] = "0x" + "12" * 20
    response = client.post("/verify/", {"text": json.dumps(tampered)})
    assert response.status_code == 200
    assert NOT_VERIFIED_KO in response.content.decode()
    assert response.context["result"].failed_step.name == "anchored"


@pytest.mark.django_db
def test_non_json_is_a_400_form_error(client):
    response = client.post("/verify/", {"text": "this is not { json"})
    assert response.status_code == 400
    html = response.content.decode()
    assert NOT_JSON_KO in html
    assert "verify-verdict" not in html
    assert response.context["result"] is None


@pytest.mark.django_db
def test_non_json_file_is_a_400_form_error(client):
    upload = SimpleUploadedFile("receipt.json", b"\xff\xfe not json")
    response = client.post("/verify/", {"file": upload})
    assert response.status_code == 400
    assert NOT_JSON_KO in response.content.decode()


@pytest.mark.django_db
def test_empty_receipt_form_is_a_400(client):
    response = client.post("/verify/", {})
    assert response.status_code == 400
    assert "영수증 파일을 올리거나 JSON을 붙여 넣어 주세요." in response.content.decode()


@pytest.mark.django_db
def test_receipt_post_without_csrf_token_is_refused():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/verify/", {"text": "{}"})
    assert response.status_code == 403


def test_receipt_post_with_csrf_token_is_accepted(chain):
    leaves = anchor_and_confirm()
    csrf_client = Client(enforce_csrf_checks=True)
    page = csrf_client.get("/verify/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = csrf_client.post(
        "/verify/",
        {"csrfmiddlewaretoken": token, "text": json.dumps(services.receipt_for(leaves[0].digest))},
    )
    assert response.status_code == 200
    assert VERIFIED_KO in response.content.decode()


# --- /verify/<digest> -------------------------------------------------------------------------


def test_digest_page_of_a_confirmed_record(chain, client):
    leaves = anchor_and_confirm()
    batch = AnchorBatch.objects.get()
    response = client.get(f"/verify/{leaves[0].digest}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<dd>{batch.block_number} · " in html
    seoul = batch.block_timestamp.astimezone(ZoneInfo("Asia/Seoul"))
    assert f"{seoul:%Y-%m-%d %H:%M:%S} KST</time>" in html
    assert batch.tx_hash in html
    assert batch.root in html
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    assert VERIFIED_KO in html
    assert f'href="/verify/{leaves[0].digest}/receipt.json"' in html
    assert response.context["result"].ok


def test_digest_page_in_english(chain, client):
    leaves = anchor_and_confirm()
    response = client.get(f"/verify/{leaves[0].digest}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert VERIFIED_EN in response.content.decode()


@pytest.mark.django_db
def test_digest_page_of_a_pending_record_is_a_page_saying_not_anchored_yet(client):
    leaf = services.anchor_record(kind="test.record", ref="r1", version=1, data={}, public=True)
    response = client.get(f"/verify/{leaf.digest}")
    assert response.status_code == 200
    html = response.content.decode()
    assert NOT_ANCHORED_KO in html
    assert 'class="verify-verdict is-pending"' in html
    assert 'data-anchor-state="pending"' in html  # updates in place until confirmed
    assert "data:image/svg+xml;base64," in html
    english = client.get(f"/verify/{leaf.digest}", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    assert NOT_ANCHORED_EN in english.content.decode()
    assert "The record waits for the next batch." in english.content.decode()


@pytest.mark.django_db
def test_pending_record_page_for_a_citizen_reads_its_state_once(
    client, django_assert_max_num_queries
):
    # Given a pending record and a signed-in citizen (no permission to read)
    leaf = services.anchor_record(kind="test.record", ref="r2", version=1, data={}, public=False)
    citizen = User.objects.create_user(email="citizen@example.kr", password="x")
    client.force_login(citizen)
    client.get("/privacy/")  # the session is read once, as on any earlier page

    # When the record's page is shown: the session, the user, the confirmed leaf (none), the
    # state; the permissions are not read (no receipt whose envelope they could show), and the
    # status component takes the state the view read
    with django_assert_max_num_queries(5):
        response = client.get(f"/verify/{leaf.digest}")

    # Then the page says pending and updates in place
    assert response.status_code == 200
    assert 'data-anchor-state="pending"' in response.content.decode()


@pytest.mark.django_db
def test_digest_page_of_an_unknown_digest_is_404(client):
    response = client.get("/verify/" + "0x" + "cd" * 32, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "This digest is not known to BusanHub" in response.content.decode()


@pytest.mark.django_db
def test_malformed_digest_page_is_a_400(client):
    response = client.get("/verify/nothex")
    assert response.status_code == 400
    assert DIGEST_ERROR_KO in response.content.decode()


@pytest.mark.parametrize(
    ("query", "headers"),
    [("", {"HTTP_ACCEPT": "application/json"}), ("?format=json", {})],
    ids=["accept", "format"],
)
def test_digest_as_json(chain, client, query, headers):
    leaves = anchor_and_confirm()
    digest = leaves[1].digest
    response = client.get(f"/verify/{digest}{query}", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["digest"] == digest
    assert body["status"] == "confirmed"
    assert body["valid"] is True
    assert [step["name"] for step in body["steps"]] == STEPS
    assert all(step["ok"] is True for step in body["steps"])
    assert body["receipt"] == services.receipt_for(digest)


@pytest.mark.django_db
def test_pending_digest_as_json_is_404(client):
    leaf = services.anchor_record(kind="test.record", ref="r1", version=1, data={}, public=True)
    response = client.get(f"/verify/{leaf.digest}", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json() == {
        "digest": leaf.digest,
        "status": "pending",
        "detail": "not anchored yet",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "headers"),
    [("", {"HTTP_ACCEPT": "application/json"}), ("?format=json", {})],
    ids=["accept", "format"],
)
def test_malformed_digest_as_json_is_400(client, query, headers):
    response = client.get(f"/verify/nothex{query}", **headers)
    assert response.status_code == 400
    assert list(response.json()) == ["digest"]


def test_html_is_preferred_when_the_browser_accepts_both(chain, client):
    leaves = anchor_and_confirm()
    response = client.get(
        f"/verify/{leaves[0].digest}",
        HTTP_ACCEPT="text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# --- receipt download -------------------------------------------------------------------------


def test_receipt_download_is_an_attachment(chain, client):
    leaves = anchor_and_confirm()
    digest = leaves[0].digest
    response = client.get(f"/verify/{digest}/receipt.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="receipt-{digest[2:14]}.json"'
    )
    assert json.loads(response.content) == services.receipt_for(digest)


@pytest.mark.django_db
def test_receipt_download_of_a_pending_or_malformed_digest(client):
    leaf = services.anchor_record(kind="test.record", ref="r1", version=1, data={}, public=True)
    pending = client.get(f"/verify/{leaf.digest}/receipt.json")
    assert pending.status_code == 404
    assert pending.json() == {"detail": "not anchored yet"}
    malformed = client.get("/verify/nothex/receipt.json")
    assert malformed.status_code == 400
    assert list(malformed.json()) == ["digest"]


def test_a_wrong_leaf_is_not_said_to_equal_the_leaf(chain):
    from busanhub.chain import verify

    [leaf] = anchor_and_confirm(1)
    receipt = services.receipt_for(leaf.digest)
    receipt["leaf"] = "0x" + "00" * 32
    result = verify.verify_offline(receipt)
    assert result.failed_step.name == "leaf"
    assert "not the leaf" in result.failed_step.detail
    assert "equals" not in result.failed_step.detail
