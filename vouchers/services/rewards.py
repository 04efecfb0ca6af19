"""Rewards: points the city gives a citizen for something another service values (a valid
safety report). Funded like cashback and grants, from the city treasury; spendable like
cashback (at merchants, not giftable)."""

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from vouchers import limits
from vouchers.models import Account, JournalTransaction, Reward, Wallet

from .core import check_amount, journal_post, policy_current, refuse, system_account, wallet_open
from .holdings import wallet_holdings
from .periods import month_start


@transaction.atomic
def reward_credit(
    *,
    user,
    amount: int,
    source: str,
    reference: str,
    idempotency_key: str,
    monthly_cap: int | None = None,
) -> Reward:
    """Credits `amount` KRW of points to the user's wallet (opened if need be) from the city
    treasury: one journal transaction (treasury -x, wallet cashback +x), anchored like every
    other. Atomic.

    Idempotent on `idempotency_key` (a unique constraint): a second call returns the first
    reward and pays nothing. Capped, never refused: the credit is cut down to what is left of
    `monthly_cap` (the points this `source` gave this wallet this calendar month, if a cap is
    given) and of the policy's holding cap; when nothing is left the reward is recorded with
    amount 0 and no journal transaction. A frozen wallet still receives rewards (the freeze
    stops money going out). Raises ValidationError only for an amount that is not a positive
    whole number of KRW, or a blank source or key.
    """
    check_amount(amount, maximum=limits.MAX_REWARD)
    if not 0 < len(source or "") <= 40 or not 0 < len(idempotency_key or "") <= 100:
        raise refuse(
            "idempotency_key",
            _("A reward needs a source and an idempotency key, not too long."),
        )
    existing = Reward.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    wallet = wallet_open(user=user)
    # The wallet row lock serialises the cap checks of concurrent rewards to one citizen.
    wallet = Wallet.objects.select_for_update().get(pk=wallet.pk)
    existing = Reward.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:  # a concurrent call with the same key committed first
        return existing
    room = policy_current().holding_cap - wallet_holdings(wallet)
    if monthly_cap is not None:
        earned = (
            Reward.objects.filter(
                wallet=wallet, source=source, created_at__gte=month_start()
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        room = min(room, monthly_cap - earned)
    credit = max(0, min(amount, room))
    try:
        with transaction.atomic():
            entry = None
            if credit:
                entry = journal_post(
                    kind=JournalTransaction.Kind.REWARD,
                    lines=[
                        (system_account(Account.Kind.TREASURY), -credit),
                        (wallet.accounts.get(kind=Account.Kind.CASHBACK), credit),
                    ],
                    memo=f"{source} {reference}",
                )
            reward = Reward(
                wallet=wallet,
                source=source,
                reference=reference[:100],
                idempotency_key=idempotency_key,
                requested=amount,
                amount=credit,
                journal=entry,
            )
            reward.full_clean(exclude=["journal", "wallet", "idempotency_key"])
            reward.save()
    except IntegrityError:  # the unique key decided a race the lock did not see
        return Reward.objects.get(idempotency_key=idempotency_key)
    return reward
