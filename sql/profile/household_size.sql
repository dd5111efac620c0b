-- Households by size (household_size_weights; US Census CPS shares by default).
SELECT CAST(household_size AS STRING) AS value, count(*) AS n
FROM households
GROUP BY household_size
