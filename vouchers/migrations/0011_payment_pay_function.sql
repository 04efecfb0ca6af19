-- vouchers_payment_pay: a whole payment in one call, so that a payment outside a caller's
-- transaction is one statement in autocommit: one round trip for BEGIN, the reads and locks,
-- the writes and COMMIT (services/payments/create.py). Installed by migration
-- 0011_payment_pay_function (this file); a change is a new migration with a file of its own
-- (CREATE OR REPLACE), never an edit of this one.
--
-- The rules are the Python ones it replaced, and vouchers.ledger stays their specification
-- (tests/test_payment_function.py runs both on the same cases): grants first (eligible at the
-- merchant's category, valid now, the soonest to expire first), then cashback, then cash;
-- cashback at the merchant's tier rate, rounded down, within the monthly cap and what the
-- locked pool shard holds, for holders of a valid BusanResidentCredential only; one journal
-- transaction whose postings are netted per account and sum to zero (the deferred trigger
-- checks it at commit), anchored: the leaf's envelope is RFC 8785 (JCS) text written here key
-- by key (sorted keys, no spaces: every value is an ASCII uuid, date, kind or integer), the
-- digest sha256 of it, equal to busanhub.chain's for the same data (tested).
--
-- Locks, in this order: the payer's wallet row, its cash, cashback and non-empty grant
-- accounts (pk order), then one incentive pool shard if cashback is due (SKIP LOCKED, the
-- preferred shard first, else the richest, waiting). Nothing of the merchant is locked: its
-- balance is the sum of its postings.
--
-- A refusal writes nothing and comes back as `outcome` (with `detail`), never as an error:
-- merchant_unknown, merchant_not_approved, merchant_frozen, self_payment, reauth (detail: the
-- threshold), no_wallet (the caller opens it and calls again), wallet_frozen (detail: the
-- reason), insufficient_funds. `default_policy` holds the defaults used before any policy is
-- published (reauth threshold, small, medium and large rates, monthly cashback cap:
-- ledger.DEFAULT_POLICY).
CREATE OR REPLACE FUNCTION vouchers_payment_pay(
    payer bigint, merchant_code text, payment_amount bigint, request bigint,
    reauthenticated boolean, at_time timestamptz, business_day date, month_start date,
    credential_type text, default_policy bigint[],
    OUT outcome text, OUT detail text, OUT payment_pk bigint, OUT payment_public_id uuid,
    OUT entry_pk bigint, OUT entry_public_id uuid, OUT entry_digest text,
    OUT paid_from_grants bigint, OUT paid_from_cashback bigint, OUT paid_from_cash bigint,
    OUT cashback_earned bigint, OUT merchant_pk bigint, OUT merchant_name text,
    OUT merchant_owner bigint, OUT wallet_pk bigint, OUT policy_pk bigint
) LANGUAGE plpgsql VOLATILE
-- Its statements planned once per session: a custom plan (the default mode's choice for some
-- of them, their arrays' lengths known) planned them again at every payment.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    shop record;
    account record;
    rules bigint[];
    threshold bigint;
    rate bigint;
    wallet_frozen boolean;
    frozen_reason text;
    cash_pk bigint;
    cash_balance bigint := 0;
    cash_public uuid;
    cashback_pk bigint;
    cashback_balance bigint := 0;
    cashback_public uuid;
    earned_this_month bigint := 0;
    grant_until timestamptz[] := '{}';
    grant_pks bigint[] := '{}';
    grant_balances bigint[] := '{}';
    grant_publics uuid[] := '{}';
    grant_total bigint := 0;
    share_pks bigint[] := '{}';
    share_amounts bigint[] := '{}';
    line_pks bigint[] := '{}';
    line_amounts bigint[] := '{}';
    line_publics uuid[] := '{}';
    posting_pks bigint[];
    posting_amounts bigint[];
    postings_text text;
    balance_pks bigint[];
    balance_amounts bigint[];
    remaining bigint;
    take bigint;
    due bigint;
    pool_pk bigint;
    pool_balance bigint;
    pool_public uuid;
    envelope text;
BEGIN
    SELECT merchant.id, merchant.name, merchant.status, merchant.is_frozen, merchant.tier,
        merchant.category, merchant.owner_id, merchant_account.id AS account_pk,
        merchant_account.public_id AS account_public, policy.id AS policy_pk,
        ARRAY[policy.reauth_threshold, policy.cashback_small_bp, policy.cashback_medium_bp,
            policy.cashback_large_bp, policy.monthly_cashback_cap] AS rules
    INTO shop
    FROM vouchers_merchant AS merchant
    LEFT JOIN vouchers_account AS merchant_account ON merchant_account.merchant_id = merchant.id
    LEFT JOIN LATERAL (
        SELECT * FROM vouchers_policy ORDER BY version DESC LIMIT 1
    ) AS policy ON true
    WHERE merchant.code = merchant_code;
    IF NOT FOUND THEN
        outcome := 'merchant_unknown';
        RETURN;
    END IF;
    merchant_pk := shop.id;
    merchant_name := shop.name;
    merchant_owner := shop.owner_id;
    IF shop.status <> 'approved' OR shop.account_pk IS NULL THEN
        outcome := 'merchant_not_approved';
        RETURN;
    ELSIF shop.is_frozen THEN
        outcome := 'merchant_frozen';
        RETURN;
    ELSIF shop.owner_id = payer THEN
        outcome := 'self_payment';
        RETURN;
    END IF;

    policy_pk := shop.policy_pk;
    rules := CASE WHEN shop.policy_pk IS NULL THEN default_policy ELSE shop.rules END;
    threshold := rules[1];
    IF payment_amount > threshold AND NOT reauthenticated THEN
        outcome := 'reauth';
        detail := threshold::text;
        RETURN;
    END IF;

    SELECT wallet.id, wallet.is_frozen, wallet.frozen_reason
    INTO wallet_pk, wallet_frozen, frozen_reason
    FROM vouchers_wallet AS wallet WHERE wallet.user_id = payer FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'no_wallet';
        RETURN;
    ELSIF wallet_frozen THEN
        outcome := 'wallet_frozen';
        detail := frozen_reason;
        RETURN;
    END IF;
    -- The accounts' kinds are tested in a CASE, which no index serves (an OR of kinds could
    -- make the planner AND the wallet's index with the partial per-kind unique indexes).
    FOR account IN
        SELECT held.id, held.kind, held.balance, held.public_id, held.cashback_month,
            held.cashback_month_earned, programme.valid_until, programme.eligible_categories
        FROM vouchers_account AS held
        LEFT JOIN vouchers_grantprogramme AS programme ON programme.id = held.programme_id
        WHERE held.wallet_id = wallet_pk
            AND CASE held.kind WHEN 'cash' THEN true WHEN 'cashback' THEN true
                WHEN 'grant' THEN held.balance > 0 ELSE false END
        ORDER BY held.id
        FOR UPDATE OF held
    LOOP
        IF account.kind = 'cash' THEN
            cash_pk := account.id;
            cash_balance := account.balance;
            cash_public := account.public_id;
        ELSIF account.kind = 'cashback' THEN
            cashback_pk := account.id;
            cashback_balance := account.balance;
            cashback_public := account.public_id;
            IF account.cashback_month = month_start THEN
                earned_this_month := account.cashback_month_earned;
            END IF;
        ELSIF account.valid_until > at_time
            AND account.eligible_categories ? shop.category THEN
            grant_until := grant_until || account.valid_until;
            grant_pks := grant_pks || account.id;
            grant_balances := grant_balances || account.balance;
            grant_publics := grant_publics || account.public_id;
            grant_total := grant_total + account.balance;
        END IF;
    END LOOP;
    IF cash_pk IS NULL OR cashback_pk IS NULL THEN
        RAISE EXCEPTION 'the wallet % has no cash or cashback account', wallet_pk;
    END IF;

    -- ledger.split_payment
    IF payment_amount > cash_balance + cashback_balance + grant_total THEN
        outcome := 'insufficient_funds';
        RETURN;
    END IF;
    remaining := payment_amount;
    IF cardinality(grant_pks) > 0 THEN
        FOR account IN
            SELECT * FROM unnest(grant_until, grant_pks, grant_balances, grant_publics)
                AS held(valid_until, id, balance, public_id)
            ORDER BY held.valid_until, held.id
        LOOP
            take := least(account.balance, remaining);
            IF take > 0 THEN
                share_pks := share_pks || account.id;
                share_amounts := share_amounts || take;
                line_pks := line_pks || account.id;
                line_amounts := line_amounts || -take;
                line_publics := line_publics || account.public_id;
                remaining := remaining - take;
            END IF;
        END LOOP;
    END IF;
    paid_from_grants := payment_amount - remaining;
    paid_from_cashback := least(cashback_balance, remaining);
    paid_from_cash := remaining - paid_from_cashback;

    -- ledger.cashback_for, first against the amount (is any due?), then the locked shard.
    cashback_earned := 0;
    rate := CASE shop.tier WHEN 'small' THEN rules[2] WHEN 'medium' THEN rules[3]
        WHEN 'large' THEN rules[4] END;
    IF rate > 0 THEN
        due := greatest(0, least(payment_amount * rate / 10000,
            rules[5] - earned_this_month, payment_amount));
        IF due > 0 AND EXISTS (
                SELECT FROM identity_credential_claims_valid(payer, credential_type, at_time)) THEN
            SELECT shard.id, shard.balance, shard.public_id
            INTO pool_pk, pool_balance, pool_public
            FROM vouchers_account AS shard
            WHERE shard.kind = 'incentive' AND shard.balance >= due
            ORDER BY shard.shard <> wallet_pk % 16, shard.shard
            LIMIT 1
            FOR UPDATE SKIP LOCKED;
            IF NOT FOUND THEN
                SELECT shard.id, shard.balance, shard.public_id
                INTO pool_pk, pool_balance, pool_public
                FROM vouchers_account AS shard
                WHERE shard.kind = 'incentive'
                ORDER BY shard.balance DESC, shard.shard
                LIMIT 1
                FOR UPDATE;
            END IF;
            IF pool_pk IS NOT NULL THEN
                cashback_earned := greatest(0, least(payment_amount * rate / 10000,
                    rules[5] - earned_this_month, pool_balance));
            END IF;
        END IF;
    END IF;

    -- The journal lines, netted per account, none of zero, in pk order.
    line_pks := line_pks || ARRAY[cashback_pk, cash_pk, shop.account_pk];
    line_amounts := line_amounts || ARRAY[-paid_from_cashback, -paid_from_cash, payment_amount];
    line_publics := line_publics || ARRAY[cashback_public, cash_public, shop.account_public];
    IF cashback_earned > 0 THEN
        line_pks := line_pks || ARRAY[pool_pk, cashback_pk];
        line_amounts := line_amounts || ARRAY[-cashback_earned, cashback_earned];
        line_publics := line_publics || ARRAY[pool_public, cashback_public];
    END IF;
    SELECT array_agg(net.id ORDER BY net.id), array_agg(net.amount ORDER BY net.id),
        string_agg('{"account":"' || net.public_id || '","amount":' || net.amount || '}', ','
            ORDER BY net.id),
        array_agg(net.id ORDER BY net.id) FILTER (WHERE net.id <> shop.account_pk),
        array_agg(net.amount ORDER BY net.id) FILTER (WHERE net.id <> shop.account_pk)
    INTO posting_pks, posting_amounts, postings_text, balance_pks, balance_amounts
    FROM (
        SELECT line.id, line.public_id, sum(line.amount) AS amount
        FROM unnest(line_pks, line_amounts, line_publics) AS line(id, amount, public_id)
        GROUP BY line.id, line.public_id
    ) AS net
    WHERE net.amount <> 0;
    IF cashback_earned > 0 AND NOT cashback_pk = ANY(balance_pks) THEN
        -- its lines netted to zero: the monthly counter still moves
        balance_pks := balance_pks || cashback_pk;
        balance_amounts := balance_amounts || 0::bigint;
    END IF;

    entry_public_id := gen_random_uuid();
    envelope := '{"data":{"businessDate":"' || to_char(business_day, 'YYYY-MM-DD')
        || '","kind":"payment","postings":[' || postings_text
        || ']},"kind":"vouchers.journal","ref":"' || entry_public_id || '","version":1}';
    entry_digest := '0x' || encode(sha256(convert_to(envelope, 'UTF8')), 'hex');
    -- Every write in one statement (one executor start, not six).
    WITH leaf AS (
        INSERT INTO chain_anchorleaf (kind, ref, version, digest, envelope, is_public,
            created_at)
        VALUES ('vouchers.journal', entry_public_id::text, 1, entry_digest, envelope::jsonb,
            false, at_time)
    ), entry AS (
        INSERT INTO vouchers_journaltransaction (public_id, kind, created_at, business_date,
            memo, digest)
        VALUES (entry_public_id, 'payment', at_time, business_day, left(merchant_code, 200),
            entry_digest)
        RETURNING id
    ), lines AS (
        INSERT INTO vouchers_posting (transaction_id, account_id, amount)
        SELECT entry.id, posting.id, posting.amount
        FROM entry, unnest(posting_pks, posting_amounts) AS posting(id, amount)
    ), balances AS (
        UPDATE vouchers_account AS held SET
            balance = held.balance + delta.amount,
            cashback_month = CASE WHEN held.id = cashback_pk AND cashback_earned > 0
                THEN month_start ELSE held.cashback_month END,
            cashback_month_earned = CASE WHEN held.id = cashback_pk AND cashback_earned > 0
                THEN earned_this_month + cashback_earned ELSE held.cashback_month_earned END
        FROM unnest(balance_pks, balance_amounts) AS delta(id, amount)
        WHERE held.id = delta.id
            AND held.id = ANY(balance_pks)  -- by primary key, never a scan
    ), paid AS (
        INSERT INTO vouchers_payment (public_id, wallet_id, merchant_id, request_id, amount,
            from_grants, from_cashback, from_cash, cashback, refunded, cashback_reversed,
            returned_cash, returned_cashback, journal_id, created_at)
        SELECT gen_random_uuid(), wallet_pk, shop.id, request, payment_amount,
            paid_from_grants, paid_from_cashback, paid_from_cash, cashback_earned, 0, 0, 0, 0,
            entry.id, at_time
        FROM entry
        RETURNING id, public_id
    ), shares AS (
        INSERT INTO vouchers_paymentgrantshare (payment_id, account_id, amount, returned)
        SELECT paid.id, share.id, share.amount, 0
        FROM paid, unnest(share_pks, share_amounts) AS share(id, amount)
    )
    SELECT entry.id, paid.id, paid.public_id INTO entry_pk, payment_pk, payment_public_id
    FROM entry, paid;
    outcome := 'paid';
END;
$$;
