-- Every individual has between identifiers.minimum and identifiers.maximum identifiers of
-- their own. A browser's successive cookie ids are one identifier, recognised on the data
-- (a cookie row starting one second after another of the same person ends), not from the
-- key layout; wrong-person links are not the person's own. Individuals with no mapping at
-- all count as 0 (a left join keeps them).
SELECT count(*) AS violations
FROM {{ per_individual(({{ own_identifiers() }}) own, count(*), true) }}
WHERE per_person NOT BETWEEN {{ identifier_minimum }} AND {{ identifier_maximum }}
