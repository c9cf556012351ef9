-- Creates a table, then fails: the whole migration must roll back, table included.
CREATE TABLE broken_half (id integer PRIMARY KEY);
SELECT 1 / 0;
