-- vouchers_pool_shard_lock: a free shard of the incentive pool holding at least `need`, the
-- preferred one first (SKIP LOCKED: concurrent payments never queue behind each other's shard).
SELECT id, balance, public_id FROM vouchers_account
WHERE kind = 'incentive' AND balance >= %(need)s
ORDER BY shard <> %(preferred)s, shard
LIMIT 1
FOR UPDATE SKIP LOCKED
