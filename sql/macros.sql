-- Shared derivations that depend on the configuration, expanded in place wherever a
-- generator writes {{ name(args) }}. Each is used by more than one table: a child
-- recomputes its parent's (or sibling's) attribute from the key instead of joining.
-- Bare template names (seed, start_epoch, ...) are config values; choice(),
-- power_law() and zipf_rank() render a configured distribution (see sql/README.md).

-- @macro identifier_count(individual_id)
-- Identifiers per person: heavy-tailed count in [identifiers.minimum, identifiers.maximum],
-- P(n) ~ (n - minimum + 1)^-exponent, drawn by finite-N inverse CDF of a truncated power law.
{{ power_law(identifiers, idgraph_uniform({{ seed }}, 301, {individual_id})) }}

-- @macro identifier_type_uniform(mapping_id)
-- The uniform that picks a mapping's identifier type (computed once, in an inner SELECT).
idgraph_uniform({{ seed }}, 302, {mapping_id})

-- @macro identifier_type(mapping_id, u_type)
-- Identifier type of mapping k = mapping_id & 15: the first (k = 0) is the person's
-- email_hash, their primary; the others are probabilistic types by the configured weights.
CASE WHEN ({mapping_id} & 15) = 0 THEN 'email_hash'
     ELSE {{ choice(probabilistic_type_weights, {u_type}) }} END

-- @macro identifier_value(mapping_id, identifier_type, email)
-- The identifier's text: SHA-256 of the email for email_hash; otherwise built on
-- idgraph_permute64(mapping_id), a bijection, so values are unique by construction.
CASE {identifier_type}
  WHEN 'email_hash' THEN sha2({email}, 256)
  WHEN 'cookie_id' THEN idgraph_uuid(idgraph_permute64({{ seed }}, 303, {mapping_id}), idgraph_hash({{ seed }}, 305, {mapping_id}))
  WHEN 'mobile_ad_id' THEN idgraph_uuid_upper(idgraph_permute64({{ seed }}, 303, {mapping_id}), idgraph_hash({{ seed }}, 305, {mapping_id}))
  WHEN 'device_id' THEN idgraph_hex64(idgraph_permute64({{ seed }}, 303, {mapping_id}))
  ELSE concat('ctv-', idgraph_hex64(idgraph_permute64({{ seed }}, 303, {mapping_id})))
END

-- @macro observed_at(mapping_id, individual_created_at)
-- First sighting of an identifier: up to 10% of the window after the person was created.
timestamp_seconds(unix_seconds({individual_created_at}) + CAST(floor(idgraph_uniform({{ seed }}, 306, {mapping_id}) * {{ window_seconds }} * 0.1D) AS BIGINT))

-- @macro content_duration(content_id)
-- Content length in seconds: log-normal around 20 minutes (sd 0.8 in log space),
-- clipped to [30 s, 3 h].
CAST(least(10800, greatest(30, floor(exp(ln(1200) + 0.8D * idgraph_normal({{ seed }}, 702, {content_id}))))) AS INT)

-- @macro campaign_start_day(campaign_id)
-- Campaign start as days after start_date, early enough that the longest campaign ends in the window.
CAST(floor(idgraph_uniform({{ seed }}, 802, {campaign_id}) * ({{ window_days }} - {{ campaign_max_days }})) AS INT)

-- @macro campaign_days(campaign_id)
-- Campaign length in days, uniform on [campaign_min_days, campaign_max_days].
CAST({{ campaign_min_days }} + floor(idgraph_uniform({{ seed }}, 803, {campaign_id}) * ({{ campaign_max_days }} - {{ campaign_min_days }} + 1)) AS INT)

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
