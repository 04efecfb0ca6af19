"""Linked bank accounts, the platform's one proof that a bank account is its user's: a person
links an account (bank code + account number), proves it is theirs with a 1-KRW verification
transfer whose memo carries a 4-digit code they type back (the "1원 인증" every Korean bank app
shows), and only verified links move money: voucher top-ups, exchange KRW deposits and
withdrawals (`bank_link_check_usable`).

The 1 KRW is the operator's cost of verification, paid from its own bank account: it is not
voucher or exchange money and is posted in no journal. Moved here from vouchers (which keeps
its pages and API on top of these services); the HMAC and bank-key prefixes keep their
`vouchers-` names so that codes and transfers made before the move stay valid.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from busanhub.bank.gateway import BankDeclined, BankUnavailable, gateway
from busanhub.bank.models import BankLink
from busanhub.db import Columns, PreparedStatement


def refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


# The banks of the Korea Financial Telecommunications & Clearings Institute's code list that
# citizens of Busan use most; a real gateway would give the full list.
BANK_NAMES = {
    "002": gettext_lazy("KDB Korea Development Bank"),
    "003": gettext_lazy("IBK Industrial Bank of Korea"),
    "004": gettext_lazy("KB Kookmin Bank"),
    "007": gettext_lazy("Suhyup Bank"),
    "011": gettext_lazy("NH NongHyup Bank"),
    "020": gettext_lazy("Woori Bank"),
    "023": gettext_lazy("SC First Bank"),
    "031": gettext_lazy("iM Bank"),
    "032": gettext_lazy("BNK Busan Bank"),
    "034": gettext_lazy("Kwangju Bank"),
    "039": gettext_lazy("BNK Kyongnam Bank"),
    "045": gettext_lazy("MG Saemaul Geumgo"),
    "048": gettext_lazy("Shinhyup"),
    "071": gettext_lazy("Korea Post"),
    "081": gettext_lazy("Hana Bank"),
    "088": gettext_lazy("Shinhan Bank"),
    "089": gettext_lazy("K Bank"),
    "090": gettext_lazy("Kakao Bank"),
    "092": gettext_lazy("Toss Bank"),
}
BANK_CHOICES = list(BANK_NAMES.items())

CODE_DIGITS = 4
CODE_TTL = timedelta(minutes=30)
MAX_CODE_ATTEMPTS = 5  # then the code is void: 5 guesses of 10,000
MAX_VERIFICATIONS = 5  # 1-KRW transfers to one account, ever (each costs the operator)
MAX_LINKS = 5  # live (not removed) links per citizen
_ACCOUNT_NUMBER = re.compile(r"^[0-9]{10,14}$")


def account_number_normalise(value: str) -> str:
    """The digits of an account number as people write it (hyphens and spaces allowed)."""
    return re.sub(r"[\s-]", "", value or "")


def bank_link_check(*, bank_code: str, account_number: str) -> str:
    """The gateway's account reference `<bank code>-<digits>`, or ValidationError naming the
    field (`bank_code`, `account_number`)."""
    if bank_code not in BANK_NAMES:
        raise refuse("bank_code", _("Choose a bank from the list."))
    digits = account_number_normalise(account_number)
    if not _ACCOUNT_NUMBER.match(digits):
        raise refuse("account_number", _("An account number has 10 to 14 digits."))
    return f"{bank_code}-{digits}"


def _code_hash(link: BankLink, code: str) -> str:
    message = f"vouchers-banklink:{link.public_id}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _bank_key(link: BankLink) -> str:
    return f"vouchers-banklink-{link.public_id}-{link.verifications_sent}"


def bank_link_add(*, user, bank_code: str, account_number: str) -> BankLink:
    """Links a bank account and sends its verification transfer (see
    `bank_link_verification_send`). Idempotent per citizen and account: an account already
    linked is returned as it is (verified or waiting for its code); a removed one is linked
    again and must be verified again. Refusals name the field, with nothing written."""
    return bank_link_open(user=user, bank_code=bank_code, account_number=account_number)[0]


def bank_link_open(*, user, bank_code: str, account_number: str) -> tuple[BankLink, bool]:
    """`bank_link_add`, and whether this call linked the account (False: it was linked
    already), decided under the citizen's row lock, so that of calls racing to link one
    account exactly one says it linked it."""
    account_ref = bank_link_check(bank_code=bank_code, account_number=account_number)
    link, is_new = _link_upsert(user=user, bank_code=bank_code, account_ref=account_ref)
    if not is_new:
        return link, False
    return bank_link_verification_send(user=user, link=link), True


@transaction.atomic
def _link_upsert(*, user, bank_code: str, account_ref: str) -> tuple[BankLink, bool]:
    from django.contrib.auth import get_user_model

    # The user row lock serialises the "at most MAX_LINKS" check of one citizen.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    link = BankLink.objects.select_for_update().filter(user=user, account_ref=account_ref).first()
    if link is not None and link.removed_at is None:
        return link, False
    live = BankLink.objects.filter(user=user, removed_at__isnull=True).count()
    if live >= MAX_LINKS:
        raise refuse(
            "account_number",
            _("You can link at most %(count)s bank accounts; remove one first.")
            % {"count": MAX_LINKS},
        )
    if link is None:
        link = BankLink(user=user, account_ref=account_ref, bank_code=bank_code)
        link.full_clean()
        link.save()
        return link, True
    link.removed_at = None
    link.status = BankLink.Status.UNVERIFIED
    link.verified_at = None
    link.code_hash = ""
    link.save(update_fields=["removed_at", "status", "verified_at", "code_hash"])
    return link, True


@transaction.atomic
def _code_issue(*, link_pk: int, user) -> tuple[BankLink, str]:
    link = BankLink.objects.select_for_update().get(pk=link_pk)
    if link.user_id != user.pk or link.removed_at is not None:
        raise refuse("bank_link", _("Unknown linked bank account."))
    if link.status == BankLink.Status.VERIFIED:
        return link, ""
    if link.verifications_sent >= MAX_VERIFICATIONS:
        raise refuse(
            "bank_link",
            _("Too many verification transfers to this account; ask the city's help desk."),
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    link.verifications_sent += 1
    link.code_hash = _code_hash(link, code)
    link.code_sent_at = timezone.now()
    link.code_attempts = 0
    link.status = BankLink.Status.UNVERIFIED
    link.save(
        update_fields=[
            "verifications_sent",
            "code_hash",
            "code_sent_at",
            "code_attempts",
            "status",
        ]
    )
    return link, code


@transaction.atomic
def _code_void(*, link_pk: int, transfer_id: str = "") -> BankLink:
    link = BankLink.objects.select_for_update().get(pk=link_pk)
    link.status = BankLink.Status.FAILED
    link.code_hash = ""
    link.save(update_fields=["status", "code_hash"])
    return link


def bank_link_verification_send(*, user, link: BankLink) -> BankLink:
    """Sends 1 KRW to the linked account with a fresh code in the memo ("BusanHub 1234"); the
    previous code, if any, is void. The code is stored only as an HMAC. The bank is called
    outside our transactions with a key per verification, so a retried call never sends twice.

    A decline (closed or unknown account) marks the link failed and raises ValidationError
    naming `account_number`. A timeout keeps the code: if the bank did take the transfer the
    citizen can type the code; if not, they send a new one."""
    link, code = _code_issue(link_pk=link.pk, user=user)
    if not code:
        return link
    try:
        transfer = gateway().transfer_out(
            account_ref=link.account_ref,
            amount=1,
            reference=f"BusanHub {code}",
            idempotency_key=_bank_key(link),
        )
    except BankDeclined as exc:
        _code_void(link_pk=link.pk)
        raise refuse(
            "account_number",
            _("The bank refused a transfer to this account: check the bank and the number."),
        ) from exc
    except BankUnavailable:
        return link
    BankLink.objects.filter(pk=link.pk).update(verification_transfer_id=transfer.transfer_id)
    link.verification_transfer_id = transfer.transfer_id
    return link


@dataclass
class _Check:
    link: BankLink
    error: str = ""


@transaction.atomic
def _code_check(*, link_pk: int, user, code: str) -> _Check:
    link = BankLink.objects.select_for_update().get(pk=link_pk)
    if link.user_id != user.pk or link.removed_at is not None:
        return _Check(link, _("Unknown linked bank account."))
    if link.status == BankLink.Status.VERIFIED:
        return _Check(link)
    if not link.code_hash or link.code_sent_at is None:
        return _Check(link, _("Send a new verification transfer first."))
    if link.code_sent_at + CODE_TTL < timezone.now():
        return _Check(link, _("This code has expired: send a new verification transfer."))
    if hmac.compare_digest(link.code_hash, _code_hash(link, code)):
        link.status = BankLink.Status.VERIFIED
        link.verified_at = timezone.now()
        link.code_hash = ""
        link.save(update_fields=["status", "verified_at", "code_hash"])
        return _Check(link)
    # A wrong code is remembered (committed), then refused.
    link.code_attempts += 1
    fields = ["code_attempts"]
    if link.code_attempts >= MAX_CODE_ATTEMPTS:
        link.status, link.code_hash = BankLink.Status.FAILED, ""
        fields += ["status", "code_hash"]
        link.save(update_fields=fields)
        return _Check(link, _("Wrong code too many times: send a new verification transfer."))
    link.save(update_fields=fields)
    return _Check(
        link,
        _("Wrong code (%(left)s tries left).") % {"left": MAX_CODE_ATTEMPTS - link.code_attempts},
    )


def bank_link_verify(*, user, link: BankLink, code: str) -> BankLink:
    """Verifies a link with the code of its latest verification transfer, within 30 minutes
    and 5 tries. Idempotent on a verified link. A wrong code counts a try (kept even though
    the call raises) and raises ValidationError naming `code`."""
    code = (code or "").strip()
    if not re.fullmatch(rf"[0-9]{{{CODE_DIGITS}}}", code):
        raise refuse(
            "code",
            _("The code is the %(digits)s digits in the memo of the 1 KRW transfer.")
            % {"digits": CODE_DIGITS},
        )
    result = _code_check(link_pk=link.pk, user=user, code=code)
    if result.error:
        raise refuse("code", result.error)
    return result.link


@transaction.atomic
def bank_link_remove(*, user, link: BankLink) -> BankLink:
    """Unlinks an account (kept for the history of its top-ups, never used again unless linked
    and verified anew). Idempotent."""
    link = BankLink.objects.select_for_update().get(pk=link.pk)
    if link.user_id != user.pk:
        raise refuse("bank_link", _("Unknown linked bank account."))
    if link.removed_at is None:
        link.removed_at = timezone.now()
        link.code_hash = ""
        link.save(update_fields=["removed_at", "code_hash"])
    return link


def bank_link_check_usable(*, user, bank_link: BankLink, field: str = "bank_account") -> BankLink:
    """Refuses (naming `field`) money to or from a link that is not the user's own, verified
    and still linked; returns the row as read now. Reads the row afresh: the caller's copy may
    be stale (call inside the caller's transaction, after its locks, to use what it read)."""
    row = BankLink.objects.filter(pk=bank_link.pk).first()
    if row is None or row.user_id != user.pk or row.removed_at is not None:
        raise refuse(field, _("Link this bank account first."))
    if row.status != BankLink.Status.VERIFIED:
        raise refuse(field, _("Verify this bank account first (the 1 KRW code)."))
    return row


def bank_link_label(link: BankLink) -> str:
    """ "BNK Busan Bank ···5678": the bank and the last four digits, never the whole number."""
    bank_code, _sep, digits = link.account_ref.partition("-")
    bank = BANK_NAMES.get(link.bank_code or bank_code, link.bank_code or bank_code)
    return f"{bank} ···{digits[-4:]}"


_LINK = Columns(BankLink)
_LINKS_OF = PreparedStatement(
    "bank_links_of",
    f"SELECT {_LINK.sql} "  # noqa: S608 - the model's table
    f"FROM {BankLink._meta.db_table} WHERE user_id = %(user)s AND removed_at IS NULL "
    "AND (NOT %(verified_only)s OR status = %(verified)s) ORDER BY id",
    params=[("user", "bigint"), ("verified_only", "boolean"), ("verified", "text")],
)


def bank_links_of(*, user, verified_only: bool = False) -> list[BankLink]:
    """The user's linked (not removed) bank accounts, oldest first, each with `.label` (one
    prepared statement: the wallet and exchange pages ask on every visit)."""
    with connection.cursor() as cursor:
        rows = _LINKS_OF.execute(
            cursor,
            user=user.pk,
            verified_only=verified_only,
            verified=BankLink.Status.VERIFIED.value,
        )
    links = [_LINK.instance(row) for row in rows]
    for link in links:
        link.label = bank_link_label(link)  # type: ignore[attr-defined]  # for the templates
    return links


def sandbox_statement(*, link: BankLink) -> str:
    """The memo of the link's latest verification transfer as the citizen's bank statement
    shows it, when the gateway is the sandbox bank (dev and demos); "" with a real bank."""
    from busanhub.bank.sandbox import SandboxGateway

    if not isinstance(gateway(), SandboxGateway) or not link.verifications_sent:
        return ""
    from busanhub.bank.models import SandboxTransfer

    row = SandboxTransfer.objects.filter(idempotency_key=_bank_key(link)).first()
    return row.reference if row is not None and row.status == "completed" else ""
