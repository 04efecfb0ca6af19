"""Linked bank accounts: a 1-KRW transfer with a code the citizen types back; only verified
links top up; the citizen lists and removes theirs; another citizen's link is unreachable."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from busanhub.bank.models import SandboxTransfer
from busanhub.bank.sandbox import sandbox_fault_add
from vouchers import services
from vouchers.models import BankLink, Posting, TopUp
from vouchers.services.banklinks import MAX_CODE_ATTEMPTS, sandbox_statement
from vouchers.tests.factories import UserFactory, verified_link

pytestmark = pytest.mark.django_db


def code_of(link: BankLink) -> str:
    """The 4 digits in the memo of the 1-KRW transfer, as the citizen's bank app shows it."""
    memo = sandbox_statement(link=link)
    assert memo.startswith("BusanHub ") and len(memo.split()[-1]) == 4
    return memo.split()[-1]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10_000:04d}"


@pytest.fixture
def api(citizen):
    client = APIClient()
    client.force_authenticate(citizen)
    return client


def test_link_sends_one_krw_with_a_code_and_the_code_verifies_it(citizen):
    # when the citizen links an account, written as people write it
    link = services.bank_link_add(user=citizen, bank_code="032", account_number="101-2020-3030-40")
    # then the bank sent 1 KRW to exactly that account with the code in the memo
    assert (link.account_ref, link.status) == ("032-1012020303040", "unverified")
    transfer = SandboxTransfer.objects.get()
    assert (transfer.direction, transfer.account_ref, transfer.amount) == (
        "out",
        link.account_ref,
        1,
    )
    code = code_of(link)
    assert code not in link.code_hash  # only an HMAC is stored
    # a wrong code is refused naming the field and counted
    with pytest.raises(ValidationError) as refused:
        services.bank_link_verify(user=citizen, link=link, code=wrong(code))
    assert refused.value.message_dict == {"code": ["Wrong code (4 tries left)."]}
    link.refresh_from_db()
    assert (link.status, link.code_attempts) == ("unverified", 1)
    # the right one verifies it; verifying again is a no-op
    link = services.bank_link_verify(user=citizen, link=link, code=code)
    assert link.status == BankLink.Status.VERIFIED and link.verified_at is not None
    assert services.bank_link_verify(user=citizen, link=link, code="0000").status == "verified"
    # adding the same account again returns it, with no second transfer
    again = services.bank_link_add(user=citizen, bank_code="032", account_number="10120203030-40")
    assert again.pk == link.pk and SandboxTransfer.objects.count() == 1


def test_only_a_verified_link_tops_up(citizen):
    link = services.bank_link_add(user=citizen, bank_code="088", account_number="110123456789")
    with pytest.raises(ValidationError) as refused:
        services.topup_create(user=citizen, bank_link=link, amount=10_000)
    assert refused.value.message_dict == {
        "bank_account": ["Verify this bank account first (the 1 KRW code)."]
    }
    assert not TopUp.objects.exists() and not Posting.objects.exists()
    services.bank_link_verify(user=citizen, link=link, code=code_of(link))
    assert services.topup_create(user=citizen, bank_link=link, amount=10_000).status == "completed"


def test_another_citizens_verified_link_cannot_top_up_my_wallet(citizen):
    other = UserFactory(email="jisoo@example.kr")
    theirs = verified_link(other)
    with pytest.raises(ValidationError) as refused:
        services.topup_create(user=citizen, bank_link=theirs, amount=1_000)
    assert refused.value.message_dict == {"bank_account": ["Link this bank account first."]}
    with pytest.raises(ValidationError):
        services.bank_link_verify(user=citizen, link=theirs, code="1234")
    assert not TopUp.objects.exists()


@pytest.mark.parametrize(
    ("bank_code", "account_number", "field"),
    [
        ("999", "110123456789", "bank_code"),
        ("", "110123456789", "bank_code"),
        ("088", "12345", "account_number"),
        ("088", "1101234567890123", "account_number"),
        ("088", "110-ABC-456789", "account_number"),
        ("088", "", "account_number"),
    ],
)
def test_bad_bank_code_or_account_number_names_the_field(citizen, bank_code, account_number, field):
    with pytest.raises(ValidationError) as refused:
        services.bank_link_add(user=citizen, bank_code=bank_code, account_number=account_number)
    assert list(refused.value.message_dict) == [field]
    assert not BankLink.objects.exists() and not SandboxTransfer.objects.exists()


def test_bank_declines_the_verification_transfer(citizen):
    # given a closed account: the sandbox declines the 1 KRW transfer
    sandbox_fault_add(kind="decline", account_ref="004-99887766554")
    with pytest.raises(ValidationError) as refused:
        services.bank_link_add(user=citizen, bank_code="004", account_number="99887766554")
    assert list(refused.value.message_dict) == ["account_number"]
    link = BankLink.objects.get()
    assert (link.status, link.code_hash) == ("failed", "")
    with pytest.raises(ValidationError):
        services.topup_create(user=citizen, bank_link=link, amount=1_000)
    # once the account works, a new transfer (a new code) verifies it
    link = services.bank_link_verification_send(user=citizen, link=link)
    assert services.bank_link_verify(user=citizen, link=link, code=code_of(link)).status == (
        "verified"
    )


def test_bank_times_out_after_recording_the_transfer_and_the_code_still_works(citizen):
    sandbox_fault_add(kind="timeout_after", account_ref="090-333312345678")
    link = services.bank_link_add(user=citizen, bank_code="090", account_number="3333-12-345678")
    assert link.status == "unverified" and SandboxTransfer.objects.count() == 1
    assert services.bank_link_verify(user=citizen, link=link, code=code_of(link)).status == (
        "verified"
    )


def test_bank_times_out_before_recording_and_a_new_transfer_voids_the_old_code(citizen):
    sandbox_fault_add(kind="timeout", account_ref="090-333312345678")
    link = services.bank_link_add(user=citizen, bank_code="090", account_number="333312345678")
    assert sandbox_statement(link=link) == "" and not SandboxTransfer.objects.exists()
    link = services.bank_link_verification_send(user=citizen, link=link)
    assert SandboxTransfer.objects.count() == 1
    assert services.bank_link_verify(user=citizen, link=link, code=code_of(link)).status == (
        "verified"
    )


def test_five_wrong_codes_void_the_code(citizen):
    link = services.bank_link_add(user=citizen, bank_code="081", account_number="12345678901")
    code = code_of(link)
    for _ in range(MAX_CODE_ATTEMPTS):
        with pytest.raises(ValidationError):
            services.bank_link_verify(user=citizen, link=link, code=wrong(code))
    with pytest.raises(ValidationError) as refused:
        services.bank_link_verify(user=citizen, link=link, code=code)
    assert refused.value.message_dict == {"code": ["Send a new verification transfer first."]}
    link.refresh_from_db()
    assert link.status == BankLink.Status.FAILED


def test_an_expired_code_is_refused(citizen):
    link = services.bank_link_add(user=citizen, bank_code="081", account_number="12345678901")
    BankLink.objects.filter(pk=link.pk).update(code_sent_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ValidationError) as refused:
        services.bank_link_verify(user=citizen, link=link, code=code_of(link))
    assert refused.value.message_dict == {
        "code": ["This code has expired: send a new verification transfer."]
    }


def test_a_removed_link_no_longer_tops_up_and_must_be_verified_again(citizen):
    link = verified_link(citizen, account_number="110555566667")
    services.bank_link_remove(user=citizen, link=link)
    with pytest.raises(ValidationError) as refused:
        services.topup_create(user=citizen, bank_link=link, amount=1_000)
    assert refused.value.message_dict == {"bank_account": ["Link this bank account first."]}
    again = services.bank_link_add(user=citizen, bank_code="088", account_number="110555566667")
    assert again.pk == link.pk and again.status == "unverified" and again.removed_at is None


# --- API ---------------------------------------------------------------------------------------


def test_api_link_verify_list_top_up_and_remove(api, citizen):
    url = reverse("vouchers-api:bank-links")
    created = api.post(
        url, {"bank_code": "032", "account_number": "101-2020-303040"}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["bank_code"], body["status"], body["account"]) == (
        "032",
        "unverified",
        "BNK Busan Bank ···3040",
    )
    link = BankLink.objects.get(public_id=body["id"])
    # a top-up from it is refused until it is verified
    topup = api.post(
        reverse("vouchers-api:topups"),
        {"amount": 5_000, "bank_account": body["id"]},
        format="json",
    )
    assert topup.status_code == 400 and [e["field"] for e in topup.json()["errors"]] == [
        "bank_account"
    ]
    bad = api.post(
        reverse("vouchers-api:bank-link-verify", args=[body["id"]]), {"code": "12"}, format="json"
    )
    assert bad.status_code == 400 and [e["field"] for e in bad.json()["errors"]] == ["code"]
    verified = api.post(
        reverse("vouchers-api:bank-link-verify", args=[body["id"]]),
        {"code": code_of(link)},
        format="json",
    )
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    topup = api.post(
        reverse("vouchers-api:topups"),
        {"amount": 5_000, "bank_account": body["id"]},
        format="json",
    )
    assert topup.status_code == 201 and topup.json()["bank_link"] == body["id"]
    assert [row["id"] for row in api.get(url).json()] == [body["id"]]
    # linking it again answers 200 with the same link
    again = api.post(url, {"bank_code": "032", "account_number": "10120203030 40"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert api.delete(reverse("vouchers-api:bank-link", args=[body["id"]])).status_code == 204
    assert api.get(url).json() == []
    assert api.get(reverse("vouchers-api:bank-link", args=[body["id"]])).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"bank_code": "123", "account_number": "110123456789"}, "bank_code"),
        ({"account_number": "110123456789"}, "bank_code"),
        ({"bank_code": "088", "account_number": "1234"}, "account_number"),
        ({"bank_code": "088", "account_number": "x" * 30}, "account_number"),
        ({"bank_code": "088"}, "account_number"),
    ],
)
def test_api_bad_input_is_400_naming_the_field(api, payload, field):
    response = api.post(reverse("vouchers-api:bank-links"), payload, format="json")
    assert response.status_code == 400 and [e["field"] for e in response.json()["errors"]] == [
        field
    ]
    assert not BankLink.objects.exists() and not SandboxTransfer.objects.exists()


def test_api_another_citizens_link_is_404_everywhere(api):
    other = UserFactory(email="jisoo@example.kr")
    theirs = verified_link(other)
    pk = str(theirs.public_id)
    assert api.get(reverse("vouchers-api:bank-link", args=[pk])).status_code == 404
    assert api.delete(reverse("vouchers-api:bank-link", args=[pk])).status_code == 404
    verify = api.post(reverse("vouchers-api:bank-link-verify", args=[pk]), {"code": "1234"})
    assert verify.status_code == 404
    assert api.post(reverse("vouchers-api:bank-link-resend", args=[pk])).status_code == 404
    assert api.get(reverse("vouchers-api:bank-links")).json() == []
    topup = api.post(
        reverse("vouchers-api:topups"), {"amount": 1_000, "bank_account": pk}, format="json"
    )
    assert topup.status_code == 400 and [e["field"] for e in topup.json()["errors"]] == [
        "bank_account"
    ]
    theirs.refresh_from_db()
    assert theirs.removed_at is None and theirs.status == "verified"
    assert SandboxTransfer.objects.count() == 1  # their own verification, nothing more


def test_api_anonymous_gets_401():
    assert APIClient().get(reverse("vouchers-api:bank-links")).status_code == 401


# --- pages ---------------------------------------------------------------------------------------


def test_page_link_verify_and_remove(client, citizen):
    client.force_login(citizen)
    url = reverse("vouchers:bank-links")
    bad = client.post(url, {"bank_code": "088", "account_number": "12"})
    assert bad.status_code == 400
    assert "An account number has 10 to 14 digits." in bad.content.decode()
    added = client.post(url, {"bank_code": "088", "account_number": "110-123-456789"})
    link = BankLink.objects.get()
    assert added["Location"] == reverse("vouchers:bank-link", args=[link.public_id])
    page = client.get(added["Location"]).content.decode()
    assert "Shinhan Bank ···6789" in page and "Waiting for the code" in page
    wrong_code = client.post(added["Location"], {"code": wrong(code_of(link))})
    assert (
        wrong_code.status_code == 400
        and "Wrong code (4 tries left)." in wrong_code.content.decode()
    )
    done = client.post(added["Location"], {"code": code_of(link)})
    assert done["Location"] == url
    listed = client.get(url).content.decode()
    assert "Shinhan Bank ···6789" in listed and "Verified" in listed
    # the wallet page now offers it for top-ups
    home = client.get(reverse("vouchers:home")).content.decode()
    assert f'value="{link.public_id}"' in home
    client.post(reverse("vouchers:bank-link-remove", args=[link.public_id]))
    link.refresh_from_db()
    assert link.removed_at is not None
    assert f'value="{link.public_id}"' not in client.get(reverse("vouchers:home")).content.decode()


def test_page_of_another_citizens_link_is_404(client, citizen):
    theirs = verified_link(UserFactory(email="jisoo@example.kr"))
    client.force_login(citizen)
    for name in ("vouchers:bank-link",):
        assert client.get(reverse(name, args=[theirs.public_id])).status_code == 404
    for name in ("vouchers:bank-link-resend", "vouchers:bank-link-remove"):
        assert client.post(reverse(name, args=[theirs.public_id])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.removed_at is None


def test_topup_form_refuses_a_link_that_is_not_mine(client, citizen):
    theirs = verified_link(UserFactory(email="jisoo@example.kr"))
    verified_link(citizen)
    client.force_login(citizen)
    response = client.post(
        reverse("vouchers:topup"), {"amount": 1_000, "bank_account": str(theirs.public_id)}
    )
    assert response.status_code == 200 and "Select a valid choice." in response.content.decode()
    assert not TopUp.objects.exists()


def test_bank_link_and_topups_pages_in_korean(client, citizen):
    citizen.preferred_language = "ko"
    citizen.save(update_fields=["preferred_language"])
    link = services.bank_link_add(user=citizen, bank_code="032", account_number="1012020303040")
    client.force_login(citizen)
    page = client.get(reverse("vouchers:bank-links"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "연결된 은행 계좌" in page and "부산은행 ···3040" in page and "1원 송금하기" in page
    assert "인증 번호 입력 대기" in page
    verify = client.get(reverse("vouchers:bank-link", args=[link.public_id])).content.decode()
    assert "은행 계좌 인증" in verify and "1원 입금 내역 메모의 숫자" in verify
    wrong_code = client.post(
        reverse("vouchers:bank-link", args=[link.public_id]), {"code": wrong(code_of(link))}
    )
    assert "인증 번호가 틀렸습니다 (남은 횟수 4회)." in wrong_code.content.decode()
    topups = client.get(reverse("vouchers:topups")).content.decode()
    assert "내 충전 내역" in topups and "아직 충전 내역이 없습니다." in topups


def test_linked_accounts_are_paginated_with_counts_and_only_mine(client, citizen, monkeypatch):
    # Given a cap raised above one page (it is 5 live links per citizen), 23 links of mine
    # and one of another citizen
    monkeypatch.setattr("busanhub.bank.links.MAX_LINKS", 25)
    mine = [
        services.bank_link_add(user=citizen, bank_code="088", account_number=f"1000000000{n:02d}")
        for n in range(23)
    ]
    theirs = verified_link(UserFactory(email="jisoo@example.kr"))
    client.force_login(citizen)
    url = reverse("vouchers:bank-links")

    # When the list is opened, then its second page
    first = client.get(url).content.decode()
    second = client.get(url, {"page": "2"}).content.decode()

    # Then 20 rows and the count, then the last 3; never the other citizen's link
    assert "1–20 of 23" in first and 'href="?page=2"' in first
    assert "21–23 of 23" in second and 'href="?page=1"' in second
    assert sum(str(link.public_id) in first for link in mine) == 20
    assert sum(str(link.public_id) in second for link in mine) == 3
    assert str(theirs.public_id) not in first + second
