-- Every individual has between identifiers.minimum and identifiers.maximum identifiers,
-- counted as slots (mapping_id div 16): a browser's successive cookie ids are one
-- identifier, and wrong-person links are not the person's own.
SELECT count(*) AS violations
FROM {{ per_individual(identity_mappings, count(DISTINCT mapping_id div 16), is_correct) }}
WHERE per_person NOT BETWEEN {{ identifier_minimum }} AND {{ identifier_maximum }}
