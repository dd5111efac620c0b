-- Individuals by age in whole years (Normal(age_mean, age_sd) rounded, clipped to [age_min, age_max]).
SELECT age AS value, count(*) AS n
FROM individuals
GROUP BY age
