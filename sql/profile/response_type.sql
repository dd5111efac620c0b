-- Responses by type (response_type_weights).
SELECT response_type AS value, count(*) AS n
FROM response_events
GROUP BY response_type
