-- Individuals by education (education_weights; ACS attainment shares by default).
SELECT education AS value, count(*) AS n
FROM individuals
GROUP BY education
