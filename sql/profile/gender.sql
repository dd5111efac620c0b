-- Individuals by gender (gender_weights).
SELECT gender AS value, count(*) AS n
FROM individuals
GROUP BY gender
