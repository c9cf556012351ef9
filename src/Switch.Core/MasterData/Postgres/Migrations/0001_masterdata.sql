-- 0001: the operator's master data: terminals, on-us BIN profiles, accounts, cards and remote issuer profiles.
-- PCI DSS 3.3.1 / 3.4: no clear PAN, PIN, CVV or track data anywhere in this schema. A card is kept as the keyed hash
-- the journal also stores (HMAC-SHA-256 under the journal's PAN hash key), its 6/4 masked PAN and the PAN encrypted
-- under the journal's data key; keys appear only as key store names (references), never as material.
-- md_version has one row; every change increments it in the change's transaction and NOTIFYs switch_masterdata with
-- the new version, delivered at commit, so a running switch reloads one consistent snapshot.

CREATE TABLE md_terminal (
    terminal_id  text        NOT NULL PRIMARY KEY,
    merchant_id  text        NOT NULL,
    tpk_ref      text,
    tak_ref      text,
    mac_required boolean     NOT NULL,
    bdk_ref      text,
    ksn_field    smallint,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text        NOT NULL,
    CONSTRAINT md_terminal_id_syntax CHECK (terminal_id ~ '^[ -~]{1,8}$'),
    CONSTRAINT md_terminal_merchant_syntax CHECK (merchant_id ~ '^[ -~]{1,15}$'),
    CONSTRAINT md_terminal_mac_needs_tak CHECK (NOT mac_required OR tak_ref IS NOT NULL),
    CONSTRAINT md_terminal_dukpt_pair CHECK ((bdk_ref IS NULL) = (ksn_field IS NULL)),
    CONSTRAINT md_terminal_ksn_field_range CHECK (ksn_field IS NULL OR ksn_field BETWEEN 2 AND 128)
);

CREATE TABLE md_onus_bin (
    bin        text        NOT NULL PRIMARY KEY,
    pvk_ref    text        NOT NULL,
    cvk_ref    text        NOT NULL,
    currency   smallint    NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL,
    CONSTRAINT md_onus_bin_digits CHECK (bin ~ '^[0-9]{6,11}$'),
    CONSTRAINT md_onus_bin_currency CHECK (currency BETWEEN 1 AND 999)
);

CREATE TABLE md_account (
    account_id            text        NOT NULL PRIMARY KEY,
    currency              smallint    NOT NULL,
    opening_balance_minor bigint      NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    updated_by            text        NOT NULL,
    CONSTRAINT md_account_id_syntax CHECK (account_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    CONSTRAINT md_account_currency CHECK (currency BETWEEN 1 AND 999)
);

CREATE TABLE md_card (
    pan_hash               bytea       NOT NULL PRIMARY KEY,
    pan_masked             text        NOT NULL,
    pan_encrypted          bytea       NOT NULL,
    account_id             text        NOT NULL REFERENCES md_account (account_id),
    expiry_yymm            char(4)     NOT NULL,
    service_code           char(3)     NOT NULL,
    pvki                   smallint    NOT NULL,
    pvv                    char(4)     NOT NULL,
    status                 text        NOT NULL,
    per_txn_limit_minor    bigint      NOT NULL,
    daily_limit_minor      bigint      NOT NULL,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    updated_by             text        NOT NULL,
    CONSTRAINT md_card_hash_length CHECK (octet_length(pan_hash) = 32),
    -- Masked 6/4 (PanMask): never the clear PAN, never more than 10 digits.
    CONSTRAINT md_card_pan_masked_is_masked CHECK (pan_masked ~ '^[0-9]{6}[*]{3,9}[0-9]{4}$'),
    CONSTRAINT md_card_pan_encrypted_format CHECK (octet_length(pan_encrypted) BETWEEN 37 AND 48 AND get_byte(pan_encrypted, 0) = 1),
    CONSTRAINT md_card_expiry_digits CHECK (expiry_yymm ~ '^[0-9]{2}(0[1-9]|1[0-2])$'),
    CONSTRAINT md_card_service_code_digits CHECK (service_code ~ '^[0-9]{3}$'),
    CONSTRAINT md_card_pvki_range CHECK (pvki BETWEEN 0 AND 9),
    CONSTRAINT md_card_pvv_digits CHECK (pvv ~ '^[0-9]{4}$'),
    CONSTRAINT md_card_status_known CHECK (status IN ('active', 'lost', 'stolen', 'restricted', 'not_permitted')),
    CONSTRAINT md_card_limits_not_negative CHECK (per_txn_limit_minor >= 0 AND daily_limit_minor >= 0)
);
CREATE INDEX md_card_account ON md_card (account_id);

CREATE TABLE md_issuer (
    destination          text        NOT NULL PRIMARY KEY,
    zpk_ref              text        NOT NULL,
    stand_in_limit_minor bigint      NOT NULL,
    currency             smallint    NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    updated_by           text        NOT NULL,
    CONSTRAINT md_issuer_destination_syntax CHECK (destination ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    CONSTRAINT md_issuer_stand_in_not_negative CHECK (stand_in_limit_minor >= 0),
    CONSTRAINT md_issuer_currency CHECK (currency BETWEEN 1 AND 999)
);

CREATE TABLE md_version (
    singleton boolean NOT NULL PRIMARY KEY DEFAULT true,
    version   bigint  NOT NULL,
    CONSTRAINT md_version_singleton CHECK (singleton)
);

INSERT INTO md_version (singleton, version) VALUES (true, 0);
