CREATE TABLE broken_fine (id integer PRIMARY KEY);
