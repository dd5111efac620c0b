-- Individuals by their number of identifiers (the identifiers count distribution), counted
-- as slots (mapping_id div 16): a browser's successive cookie ids are one identifier, and
-- wrong-person links are not the person's own.
SELECT CAST(per_person AS STRING) AS value, count(*) AS n
FROM {{ per_individual(identity_mappings, count(DISTINCT mapping_id div 16), is_correct) }}
GROUP BY per_person
