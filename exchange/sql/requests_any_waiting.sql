-- exchange_requests_any_waiting: whether any request of the market waits for the matcher.
SELECT EXISTS (SELECT 1 FROM exchange_orderrequest WHERE market_id = %(market)s AND seq IS NULL)
