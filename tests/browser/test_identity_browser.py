"""B Pass end to end in a real Chromium: apply → staff approve → present → verified;
staff revoke → the same flow shows it revoked."""

import re

import pytest
from django.apps import apps
from playwright.sync_api import expect

from busanhub.accounts.roles import grant_app_permissions
from busanhub.accounts.tests.factories import StaffFactory, UserFactory
from identity.models import Credential, CredentialApplication
from tests.browser.helpers import signed_in_page as _signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _present(verifier_page, citizen_page, live_server) -> None:
    verifier_page.goto(f"{live_server.url}/identity/verifier/")
    verifier_page.get_by_label("목적").fill("월세 계약 주소 확인")
    verifier_page.get_by_label("부산 시민").check()
    verifier_page.get_by_label("구·군").check()
    verifier_page.get_by_label("도메인").fill("landlord.example")
    verifier_page.get_by_role("button", name="요청 만들기").click()
    expect(verifier_page.locator(".bpass-outcome")).to_have_text("시민의 응답을 기다리는 중…")
    link = verifier_page.locator(".bpass-request-link").get_attribute("href")

    citizen_page.goto(link)
    expect(citizen_page.get_by_role("heading", name="공유될 내용")).to_be_visible()
    citizen_page.get_by_role("button", name="동의하고 제출").click()
    expect(citizen_page.locator(".message")).to_contain_text("증명서를 제출했습니다.")


def test_apply_approve_present_revoke(live_server, browser, settings):
    settings.SITE_URL = live_server.url
    # Transactional tests that ran before may have flushed the groups the migrations made.
    grant_app_permissions(apps, None, group_name="identity-issuer", app_labels=["identity"])
    citizen = UserFactory(email="jiwoo@example.kr", preferred_language="ko")
    staff = StaffFactory(email="issuer@busan.go.kr", roles=["identity-issuer"])
    verifier = UserFactory(email="landlord@example.kr", preferred_language="ko")
    citizen_page = _signed_in_page(browser, live_server, citizen)
    staff_page = _signed_in_page(browser, live_server, staff)
    verifier_page = _signed_in_page(browser, live_server, verifier)

    # Given a citizen who applies for a resident credential
    citizen_page.goto(f"{live_server.url}/identity/apply/")
    citizen_page.get_by_label("증명서").select_option("BusanResidentCredential")
    expect(citizen_page.get_by_label("대학교")).to_be_hidden()
    citizen_page.get_by_label("구·군").select_option("Suyeong-gu")
    citizen_page.get_by_label("거주 시작일").fill("2018-04-01")
    # with the document staff will check; a student card is not offered for this credential
    expect(citizen_page.locator('#id_document option[value="student_card"]')).to_be_hidden()
    citizen_page.get_by_label("직원이 확인할 서류").select_option(label="주민등록표 초본")
    citizen_page.get_by_label("부산 주소").fill("광안해변로 219")
    citizen_page.get_by_role("button", name="신청하기").click()
    expect(citizen_page.locator(".message")).to_contain_text("신청했습니다.")
    application = CredentialApplication.objects.get(applicant=citizen)
    assert application.evidence_details == {
        "document": "resident_registration",
        "address": "광안해변로 219",
    }

    # When staff, who see that evidence, approve it in the admin
    staff_page.goto(
        f"{live_server.url}/admin/identity/credentialapplication/{application.pk}/change/"
    )
    expect(staff_page.locator(".bpass-evidence").last).to_contain_text("광안해변로 219")
    staff_page.goto(f"{live_server.url}/admin/identity/credentialapplication/")
    staff_page.locator(f'input[name="_selected_action"][value="{application.pk}"]').check()
    staff_page.locator('select[name="action"]').select_option("approve")
    staff_page.locator('button[name="index"]').click()
    expect(staff_page.locator(".messagelist")).to_contain_text("1")
    credential = Credential.objects.get(holder=citizen)

    # Then it is in the citizen's wallet
    citizen_page.goto(f"{live_server.url}/identity/")
    expect(citizen_page.locator(".bpass-credentials")).to_contain_text("부산 시민")
    expect(citizen_page.locator(".bpass-credentials .bpass-status")).to_have_text("유효")

    # When the citizen presents it to a verifier through the request link
    _present(verifier_page, citizen_page, live_server)

    # Then the verifier's page updates to verified, every check spelled out
    expect(verifier_page.locator(".bpass-outcome")).to_have_text("검증됨")
    expect(verifier_page.locator(".bpass-check-failed")).to_have_count(0)
    expect(verifier_page.locator(".bpass-check-ok").first).to_be_visible()
    expect(verifier_page.locator(".bpass-result")).to_contain_text("수영구")

    # When staff revoke the credential with a reason
    staff_page.goto(f"{live_server.url}/admin/identity/credential/")
    staff_page.locator(f'input[name="_selected_action"][value="{credential.pk}"]').check()
    staff_page.locator('select[name="action"]').select_option("revoke")
    staff_page.locator('input[name="reason"]').fill("전출")
    staff_page.locator('button[name="index"]').click()
    expect(staff_page.locator(".messagelist")).to_contain_text("1")
    credential.refresh_from_db()
    assert credential.status == "revoked"

    # Then the same flow shows it revoked
    _present(verifier_page, citizen_page, live_server)
    expect(verifier_page.locator(".bpass-outcome")).to_have_text(re.compile("검증 실패.*폐기됨"))
    expect(verifier_page.locator(".bpass-check-failed")).to_contain_text("폐기된 증명서입니다.")

    for page in (citizen_page, staff_page, verifier_page):
        assert page.csp_violations == [], page.csp_violations
        page.context.close()
