-- vouchers_pool_shard_wait: the richest shard of the incentive pool, waiting for its lock (when
-- no free shard holds enough).
SELECT id, balance, public_id FROM vouchers_account
WHERE kind = 'incentive'
ORDER BY balance DESC, shard
LIMIT 1
FOR UPDATE
