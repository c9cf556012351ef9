CREATE TABLE sample_second (id integer PRIMARY KEY);
