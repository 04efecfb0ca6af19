"""Grant programmes: staff create one, upload the recipients as CSV, money lands in the
recipients' wallets; expired grant money goes back to the programme."""

import csv
import io
import re
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.chain.services import anchor_record
from vouchers import ledger, limits
from vouchers.models import Account, GrantAward, GrantProgramme, JournalTransaction

from .core import accounts_lock, check_amount, journal_post, refuse, treasury_fund, wallet_open


@transaction.atomic
def programme_create(
    *,
    name: str,
    amount: int,
    eligible_categories: list[str],
    valid_until: datetime,
    by=None,
    name_ko: str = "",
) -> GrantProgramme:
    """Creates a grant programme with its ledger account; anchors its terms (public)."""
    check_amount(amount, maximum=limits.MAX_GRANT)
    if not eligible_categories or not all(c in ledger.CATEGORIES for c in eligible_categories):
        raise refuse("eligible_categories", _("Choose one or more categories from the list."))
    if valid_until <= timezone.now():
        raise refuse("valid_until", _("The end of validity must be in the future."))
    programme = GrantProgramme(
        name=name,
        name_ko=name_ko,
        amount=amount,
        eligible_categories=sorted(set(eligible_categories)),
        valid_until=valid_until,
        created_by=by,
    )
    programme.full_clean()
    programme.save()
    Account.objects.create(kind=Account.Kind.PROGRAMME, programme=programme)
    anchor_record(
        kind="vouchers.grant_programme",
        ref=str(programme.public_id),
        version=1,
        data={
            "name": programme.name,
            "amount": programme.amount,
            "eligibleCategories": programme.eligible_categories,
            "validUntil": programme.valid_until.isoformat(),
        },
        public=True,
    )
    return programme


def parse_recipients(text: str, *, default_amount: int) -> list[tuple[int, str, int]]:
    """(line, email, amount) of a CSV with a header `email[,amount]`; ValidationError naming
    the line of the first bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "email" not in [f.strip().lower() for f in reader.fieldnames]:
        raise refuse("file", _("The CSV needs a header line with an 'email' column."))
    rows = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        email = row.get("email", "")
        if "@" not in email:
            raise refuse("file", _("Line %(line)s: not an email address.") % {"line": line})
        amount = default_amount
        if row.get("amount"):
            # ASCII digits only: str.isdigit() also passes "²", which int() refuses.
            if not re.fullmatch(r"[0-9]{1,19}", row["amount"]) or int(row["amount"]) <= 0:
                raise refuse(
                    "file",
                    _("Line %(line)s: the amount is not a positive whole number.") % {"line": line},
                )
            amount = int(row["amount"])
            if amount > limits.MAX_GRANT:
                raise refuse(
                    "file",
                    _("Line %(line)s: the amount can be at most %(maximum)s KRW.")
                    % {"line": line, "maximum": limits.MAX_GRANT},
                    code="max_value",
                )
        rows.append((line, email.lower(), amount))
    if not rows:
        raise refuse("file", _("The CSV lists no recipients."))
    return rows


@transaction.atomic
def grants_award_csv(*, programme: GrantProgramme, text: str, by=None) -> list[GrantAward]:
    """Awards the programme to every recipient of the CSV: the treasury funds the programme
    with the total, then one anchored journal transaction per recipient moves it into their
    wallet's grant account. All or nothing: an unknown email or bad line refuses the whole
    file (naming the line). Recipients already awarded are skipped, so a re-upload is safe."""
    if programme.valid_until <= timezone.now() or programme.reclaimed_at:
        raise refuse("programme", _("This programme has expired."))
    rows = parse_recipients(text, default_amount=programme.amount)
    users = {
        user.email.lower(): user
        for user in get_user_model().objects.filter(email__in=[email for _, email, _ in rows])
    }
    for line, email, _amount in rows:
        if email not in users:
            raise refuse(
                "file", _("Line %(line)s: no BusanHub user has this email.") % {"line": line}
            )
    awarded = set(
        GrantAward.objects.filter(programme=programme).values_list("wallet__user__email", flat=True)
    )
    todo = []
    for _line, email, amount in rows:
        if email in awarded:
            continue
        awarded.add(email)
        todo.append((users[email], amount))
    if not todo:
        return []
    programme_account = programme.accounts.get(kind=Account.Kind.PROGRAMME)
    treasury_fund(
        to=programme_account, amount=sum(a for _, a in todo), memo=f"grant {programme.public_id}"
    )
    awards = []
    for user, amount in todo:
        wallet = wallet_open(user=user)
        account, _created = Account.objects.get_or_create(
            kind=Account.Kind.GRANT, wallet=wallet, programme=programme
        )
        entry = journal_post(
            kind=JournalTransaction.Kind.GRANT,
            lines=[(programme_account, -amount), (account, amount)],
            memo=programme.name,
        )
        awards.append(
            GrantAward.objects.create(
                programme=programme, wallet=wallet, amount=amount, journal=entry
            )
        )
    return awards


@transaction.atomic
def grants_reclaim_expired(*, now: datetime | None = None) -> int:
    """Moves what is left in the grant accounts of expired programmes back to each programme
    (one anchored journal transaction per programme). Idempotent: a re-run finds nothing left
    and changes nothing. Returns the KRW reclaimed."""
    now = now or timezone.now()
    total = 0
    for programme in GrantProgramme.objects.filter(valid_until__lte=now).order_by("pk"):
        accounts = list(
            Account.objects.filter(
                programme=programme, kind__in=["grant", "programme"]
            ).values_list("pk", flat=True)
        )
        locked = accounts_lock(accounts)
        programme_account = next(a for a in locked.values() if a.kind == Account.Kind.PROGRAMME)
        grants = [a for a in locked.values() if a.kind == Account.Kind.GRANT and a.balance > 0]
        if grants:
            amount = sum(a.balance for a in grants)
            journal_post(
                kind=JournalTransaction.Kind.RECLAIM,
                lines=[(a, -a.balance) for a in grants] + [(programme_account, amount)],
                memo=programme.name,
                locked=locked,
            )
            total += amount
        if programme.reclaimed_at is None:
            programme.reclaimed_at = now
            programme.save(update_fields=["reclaimed_at"])
    return total
