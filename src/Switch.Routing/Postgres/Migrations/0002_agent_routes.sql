-- 0002: ISO 20022 routes, keyed by the creditor agent's BIC or clearing-system member id instead of a BIN prefix.
-- Additive: a BIN route's row is unchanged; a route has exactly one key. MTI class and processing code are BIN-only
-- conditions; an agent route's only condition is the currency.

ALTER TABLE route ALTER COLUMN bin_prefix DROP NOT NULL;
ALTER TABLE route ADD COLUMN bic text;
ALTER TABLE route ADD COLUMN member_id text;

ALTER TABLE route ADD CONSTRAINT route_one_key CHECK (num_nonnulls(bin_prefix, bic, member_id) = 1);
ALTER TABLE route ADD CONSTRAINT route_bic_syntax CHECK (bic IS NULL OR bic ~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$');
ALTER TABLE route ADD CONSTRAINT route_member_id_syntax CHECK (member_id IS NULL OR member_id ~ '^[A-Za-z0-9]{1,35}$');
ALTER TABLE route ADD CONSTRAINT route_agent_conditions CHECK (bin_prefix IS NOT NULL OR (mti_class IS NULL AND processing_code IS NULL));

CREATE INDEX route_bic ON route (bic) WHERE bic IS NOT NULL;
CREATE INDEX route_member_id ON route (member_id) WHERE member_id IS NOT NULL;
