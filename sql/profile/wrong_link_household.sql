-- Wrong-person links by whether they stay in the identifier owner's household
-- (owner = mapping_id div 256, so its household is mapping_id div 2048).
SELECT IF(individual_id div 8 = mapping_id div 2048, 'same_household', 'other_household') AS value, count(*) AS n
FROM identity_mappings
WHERE NOT is_correct
GROUP BY 1
