CREATE TABLE sample_first (id integer PRIMARY KEY);
