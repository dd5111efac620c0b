-- Individuals by age in whole years (Normal(age_mean, age_sd) truncated to [age_min, age_max], rounded).
SELECT age AS value, count(*) AS n
FROM individuals
GROUP BY age
