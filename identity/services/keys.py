import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from busanhub.accounts.reauth import password_recheck
from identity import dids, keystore, multikey
from identity.models import IssuerKey, Wallet

CITY_NAME = "Busan Metropolitan City"
CITY_NAME_KO = "부산광역시"


def _issuer_private_key_from_env(slug: str):
    """IDENTITY_ISSUER_KEY_<SLUG> may hold the issuer's private Multikey (z3u2…)."""
    value = os.environ.get(f"IDENTITY_ISSUER_KEY_{slug.upper().replace('-', '_')}", "")
    return multikey.decode_private_multikey(value) if value else None


def issuer_ensure(*, slug: str, name: str, name_ko: str = "") -> IssuerKey:
    """The issuer `slug` with its did:web key, created once (from the environment or generated).

    Idempotent and race-safe: the unique slug decides; the private key is stored encrypted and
    never rewritten. A Korean name given for an issuer that has none is filled in.
    """
    # Every VC-API issue asks for the city's issuer: the usual answer is one read, without
    # the BEGIN and COMMIT round trips a transaction around it would add.
    existing = IssuerKey.objects.filter(slug=slug).first()
    if existing is not None:
        if name_ko and not existing.name_ko:
            existing.name_ko = name_ko
            existing.save(update_fields=["name_ko"])
        return existing
    return _issuer_create(slug=slug, name=name, name_ko=name_ko)


@transaction.atomic
def _issuer_create(*, slug: str, name: str, name_ko: str) -> IssuerKey:
    private_key = _issuer_private_key_from_env(slug) or multikey.generate()
    issuer = IssuerKey(
        slug=slug,
        name=name,
        name_ko=name_ko,
        did=dids.did_for_issuer(slug),
        public_key_multibase=multikey.public_multikey(multikey.public_key_raw(private_key)),
        private_key_encrypted=keystore.encrypt_private_key(private_key),
    )
    issuer.full_clean(validate_unique=False)  # the constraint decides a race (below)
    try:
        with transaction.atomic():
            issuer.save()
    except IntegrityError:
        return IssuerKey.objects.get(slug=slug)
    return issuer


def city_issuer() -> IssuerKey:
    """The city's own issuer (did:web:<host>)."""
    return issuer_ensure(slug=dids.CITY_SLUG, name=CITY_NAME, name_ko=CITY_NAME_KO)


def issuer_for_university(slug: str, *, name: str | None = None, name_ko: str = "") -> IssuerKey:
    """A partner university's issuer, did:web:<host>:issuers:<slug> (created once)."""
    if slug == dids.CITY_SLUG:
        raise ValidationError({"slug": _("This slug is reserved for the city.")})
    return issuer_ensure(slug=slug, name=name or slug, name_ko=name_ko)


@transaction.atomic
def wallet_open(*, user) -> Wallet:
    """The user's wallet with its did:key, created on first use. Idempotent."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is not None:
        return wallet
    private_key = multikey.generate()
    wallet = Wallet(
        user=user,
        did=multikey.did_key_for(private_key).controller,
        private_key_encrypted=keystore.encrypt_private_key(private_key),
    )
    wallet.full_clean(validate_unique=False)  # the constraint decides a race (below)
    try:
        with transaction.atomic():
            wallet.save()
    except IntegrityError:
        return Wallet.objects.get(user=user)
    return wallet


# One chunk's wallets are one INSERT; the cap keeps that statement and its transaction moderate.
WALLETS_MAX = 1000


@transaction.atomic
def wallets_open(*, users: list) -> list[Wallet]:
    """`wallet_open` for many users at once: each user's wallet with its did:key, in the order
    of `users`. A user who has a wallet keeps it (idempotent, as `wallet_open`); the others'
    wallets are one INSERT. All or nothing: a user given twice, or more than WALLETS_MAX users,
    is refused with a ValidationError and nothing is written. A wallet made concurrently by
    another call wins the unique constraint: this call then returns that one."""
    pks = [user.pk for user in users]
    if len(set(pks)) != len(pks):
        raise ValidationError({"users": _("A user is given twice.")})
    if len(users) > WALLETS_MAX:
        raise ValidationError(
            {"users": _("At most %(count)d wallets at once.") % {"count": WALLETS_MAX}}
        )
    by_user = {wallet.user_id: wallet for wallet in Wallet.objects.filter(user_id__in=pks)}
    new = []
    for user in users:
        if user.pk in by_user:
            continue
        private_key = multikey.generate()
        wallet = Wallet(
            user=user,
            did=multikey.did_key_for(private_key).controller,
            private_key_encrypted=keystore.encrypt_private_key(private_key),
        )
        # The user is the row the caller holds (the foreign key constraint backs it), not
        # looked up again per wallet; the unique constraints decide a race (below).
        wallet.full_clean(exclude=["user"], validate_unique=False)
        new.append(wallet)
    try:
        with transaction.atomic():
            Wallet.objects.bulk_create(new)
    except IntegrityError:
        # A wallet of one of these users was made meanwhile: keep every existing one, make
        # the rest one by one (rare: two first uses of the same wallets at once).
        return [wallet_open(user=user) for user in users]
    by_user.update((wallet.user_id, wallet) for wallet in new)
    return [by_user[user.pk] for user in users]


def wallet_key(wallet: Wallet) -> multikey.KeyPair:
    """The decrypted key pair; call only on behalf of the wallet's owner."""
    return multikey.did_key_for(keystore.decrypt_private_key(wallet.private_key_encrypted))


def wallet_export_jwk(*, user, password: str, request=None) -> dict:
    """The wallet's private key as a JWK, after the owner re-enters their password
    (rate-limited: busanhub.accounts.reauth raises ReauthLocked, a PermissionDenied, after
    too many wrong ones)."""
    if not password_recheck(user=user, password=password, action="identity.key_export"):
        raise PermissionDenied(_("The password is not correct."))
    wallet = wallet_open(user=user)
    pair = wallet_key(wallet)
    return multikey.private_jwk(pair.private_key, kid=pair.verification_method)
