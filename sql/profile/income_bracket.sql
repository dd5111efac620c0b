-- Households by income bracket (income_weights).
SELECT income_bracket AS value, count(*) AS n
FROM households
GROUP BY income_bracket
