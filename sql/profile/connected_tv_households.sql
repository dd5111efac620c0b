-- Households by whether they have a connected TV (connected_tv_household_rate).
SELECT IF(has_connected_tv, 'connected_tv', 'none') AS value, count(*) AS n
FROM households
GROUP BY 1
