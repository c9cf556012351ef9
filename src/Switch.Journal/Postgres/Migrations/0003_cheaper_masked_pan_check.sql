-- 0003: the same rule as 0001's journal_leg_pan_masked_is_masked (no bare 12-19 digit number in pan_masked), checked
-- more cheaply: a masked PAN always holds '*', so strpos() answers for every real row and the regular expression only
-- runs for a value without one. Measured (docs/benchmarks.md, projector): the regular expression on every row cost
-- about 1 µs of the backend's CPU per leg, as much as the BRIN index and the heap insert together.
ALTER TABLE journal_leg DROP CONSTRAINT journal_leg_pan_masked_is_masked;
ALTER TABLE journal_leg ADD CONSTRAINT journal_leg_pan_masked_is_masked
    CHECK (pan_masked IS NULL OR strpos(pan_masked, '*') > 0 OR pan_masked !~ '^[0-9]{12,19}$');
