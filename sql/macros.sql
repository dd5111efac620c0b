-- Shared derivations that depend on the configuration, expanded in place wherever a
-- generator writes {{ name(args) }}. Each is used by more than one table: a child
-- recomputes its parent's (or sibling's) attribute from the key instead of joining.
-- Bare template names (seed, start_epoch, ...) are config values; choice(),
-- power_law() and popularity_rank() render a configured distribution (see sql/README.md).

-- @macro identifier_count(individual_id)
-- Identifiers per person: heavy-tailed count in [identifiers.minimum, identifiers.maximum],
-- P(n) ~ (n - minimum + 1)^-exponent, drawn by finite-N inverse CDF of a truncated power law.
{{ power_law(identifiers, idgraph_uniform({{ seed }}, 301, {individual_id})) }}

-- @macro household_size_uniform(household_id)
-- The uniform that picks a household's size (households.sql draws it with the same salt),
-- for a child that needs the size of a household it does not descend from.
idgraph_uniform({{ seed }}, 101, {household_id})

-- @macro identifier_type_uniform(slot_id)
-- The uniform that decides whether a person's last identifier slot is the household's CTV id.
idgraph_uniform({{ seed }}, 302, {slot_id})

-- @macro personal_type_uniform(slot_id)
-- The uniform that picks a slot's personal type (computed once, in an inner SELECT).
idgraph_uniform({{ seed }}, 308, {slot_id})

-- @macro personal_type(u_personal)
-- A personal identifier type (cookie, mobile ad id, device) by personal_type_weights: the
-- probabilistic weights without the household-shared ctv_id, renormalised.
{{ choice(personal_type_weights, {u_personal}) }}

-- @macro has_connected_tv(household_id)
-- Whether a household has a connected TV (connected_tv_household_rate): its one CTV id.
idgraph_uniform({{ seed }}, 107, {household_id}) < {{ connected_tv_household_rate }}

-- @macro mobile_ad_id_opt_out(individual_id)
-- Whether a person has no mobile ad id (mobile_ad_id_opt_out_rate): not opted in to tracking.
idgraph_uniform({{ seed }}, 210, {individual_id}) < {{ mobile_ad_id_opt_out_rate }}

-- @macro identifier_type(slot_id, identifier_count, u_ctv, personal_type)
-- Type of identifier slot k = slot_id & 15 of a person with identifier_count slots. k = 0 is
-- the person's email_hash, their primary. The last slot is the household's shared CTV id with
-- probability ctv_slot_rate (set so CTV ids make up their configured share of the
-- non-primary identifiers) when the household has a connected TV: a person sees the shared id
-- at most once. Every other slot is a personal type; a person who opted out of mobile ad ids
-- is seen through the phone's device id instead.
CASE
  WHEN (({slot_id}) & 15) = 0 THEN 'email_hash'
  WHEN (({slot_id}) & 15) = ({identifier_count}) - 1 AND {u_ctv} < {{ ctv_slot_rate }}
       AND {{ has_connected_tv(({slot_id}) div 128) }} THEN 'ctv_id'
  WHEN {personal_type} = 'mobile_ad_id' AND {{ mobile_ad_id_opt_out(({slot_id}) div 16) }} THEN 'device_id'
  ELSE {personal_type}
END

-- @macro identifier_value(mapping_id, identifier_type, email_hash)
-- The identifier's text: for email_hash, the SHA-256 hex of the person's email (passed in, so
-- a table can compute it once per person); the household's one CTV id for ctv_id
-- (household_id = mapping_id div 2048); otherwise built on idgraph_permute64(mapping_id), a
-- bijection, so values are unique by construction (each cookie generation has its own).
-- The identifier's bits are the arguments of one idgraph_identifier_text call, with the
-- permutation's salt and key picked per type, so Spark computes one permutation per row and
-- writes the text formatting once: a generated method small enough for the JIT
-- (engine/codegen.py checks it).
CASE {identifier_type}
  WHEN 'email_hash' THEN {email_hash}
  ELSE idgraph_identifier_text(
    {identifier_type},
    idgraph_permute64({{ seed }}, IF({identifier_type} = 'ctv_id', 316, 303), IF({identifier_type} = 'ctv_id', ({mapping_id}) div 2048, {mapping_id})),
    idgraph_hash({{ seed }}, 305, {mapping_id}))
END

-- @macro observed_at(slot_id, individual_created_at)
-- First sighting of an identifier slot. A person enters the graph with their email: slot 0
-- (the primary email_hash) is first seen at the person's created_at, so it is their first
-- identifier; every other slot up to 10% of the window later.
timestamp_seconds(unix_seconds({individual_created_at}) + IF((({slot_id}) & 15) = 0, 0L, CAST(floor(idgraph_uniform({{ seed }}, 306, {slot_id}) * {{ window_seconds }} * 0.1D) AS BIGINT)))

-- @macro cookie_id_count(slot_id)
-- Cookie ids a browser goes through in the window (cookie churn): heavy-tailed count in
-- [cookie_ids.minimum, cookie_ids.maximum], like identifier_count.
{{ power_law(cookie_ids, idgraph_uniform({{ seed }}, 309, {slot_id})) }}

-- @macro generation_start(first_seen_s, g, generations)
-- Unix second at which generation g of an identifier starts: its life, from its first
-- sighting to the end of the window, split into `generations` equal intervals (rounded up
-- to whole seconds). Generation g is valid until generation g + 1 starts, minus a second.
({first_seen_s}) + (({g}) * ({{ end_epoch }} + 1 - ({first_seen_s})) + ({generations}) - 1) div ({generations})

-- @macro generation_of(first_seen_s, t_s, generations)
-- The generation whose interval holds Unix second t_s (the inverse of generation_start).
(({t_s}) - ({first_seen_s})) * ({generations}) div ({{ end_epoch }} + 1 - ({first_seen_s}))

-- @macro content_duration(content_id)
-- Content length in seconds: log-normal around 20 minutes (sd 0.8 in log space),
-- clipped to [30 s, 3 h] (assumptions, docs/realism.md).
CAST(least(10800, greatest(30, floor(exp(ln(1200) + 0.8D * idgraph_normal({{ seed }}, 702, {content_id}))))) AS INT)

-- @macro campaign_days(campaign_id)
-- Campaign length in days, uniform on [campaign_min_days, campaign_max_days].
CAST({{ campaign_min_days }} + floor(idgraph_uniform({{ seed }}, 803, {campaign_id}) * ({{ campaign_max_days }} - {{ campaign_min_days }} + 1)) AS INT)

-- @macro campaign_start_day(campaign_id, days)
-- Campaign start as days after start_date, uniform over every day its own length allows
-- (0 .. window_days - days), so campaigns reach both ends of the window.
CAST(floor(idgraph_uniform({{ seed }}, 802, {campaign_id}) * ({{ window_days }} - ({days}) + 1)) AS INT)

-- @macro campaign_channel_uniform(campaign_id)
-- The uniform that picks a campaign's channel (computed once, in an inner SELECT).
idgraph_uniform({{ seed }}, 801, {campaign_id})

-- @macro campaign_channel(u_channel)
-- Campaign channel by the configured channel weights.
{{ choice(campaign_channel_weights, {u_channel}) }}

-- @macro exposure_count(individual_id)
-- Ad exposures per person: heavy-tailed count, like identifier_count.
{{ power_law(exposures, idgraph_uniform({{ seed }}, 501, {individual_id})) }}

-- @macro event_count(individual_id)
-- Engagement events per person: heavy-tailed count, like identifier_count.
{{ power_law(events, idgraph_uniform({{ seed }}, 401, {individual_id})) }}

-- @macro per_individual(table, counted, condition)
-- For the profile and the checks (not the generators): every individual with how many
-- `counted` they have among the rows of `table` matching `condition`, 0 when none.
SELECT i.individual_id, coalesce(c.counted, 0) AS per_person
FROM individuals i
LEFT JOIN (
  SELECT individual_id, {counted} AS counted
  FROM {table}
  WHERE {condition}
  GROUP BY individual_id
) c ON c.individual_id = i.individual_id

-- @macro own_identifiers()
-- For the checks: a person's own identifiers (correct mappings) with a browser's successive
-- cookie ids counted once. A cookie row continues another one when it starts one second after
-- a cookie row of the same person ends; that is read from the data, not from the key layout.
SELECT m.individual_id, m.mapping_id, m.identifier_type, m.observed_at
FROM identity_mappings m
LEFT ANTI JOIN identity_mappings p
  ON m.identifier_type = 'cookie_id'
 AND p.identifier_type = 'cookie_id'
 AND p.is_correct
 AND p.individual_id = m.individual_id
 AND p.last_seen_at + INTERVAL 1 SECOND = m.observed_at
WHERE m.is_correct
