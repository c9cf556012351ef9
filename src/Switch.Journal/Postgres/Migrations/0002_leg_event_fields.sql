-- 0002: every field of a journal event in journal_leg, so the state rebuild at start can read the events the spool no
-- longer holds back from Postgres (Switch.Journal.Projection.LegRows.ToRecord). Rows projected before this migration
-- keep NULL in these columns. event_time keeps microseconds; event_time_ticks is the 100-ns remainder (0-9) of the
-- event's .NET time, so a row gives back the very time the event had. currency_numeric is the event's currency as a
-- number (currency, char(3), stays the display form and is NULL for a code above 999).
ALTER TABLE journal_leg
    ADD COLUMN processing_code  text,
    ADD COLUMN merchant_id      text,
    ADD COLUMN route            text,
    ADD COLUMN destination      text,
    ADD COLUMN approval_code    text,
    ADD COLUMN account_id       text,
    ADD COLUMN detail           text,
    ADD COLUMN latency_us       bigint,
    ADD COLUMN currency_numeric integer,
    ADD COLUMN event_time_ticks smallint;
