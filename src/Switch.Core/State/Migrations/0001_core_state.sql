-- The core's state snapshot (docs/core.md "State snapshot"): the folded in-memory state of one node (on-us balances,
-- holds, daily totals, PIN tries, the reversal index, duplicate-detection memory, store-and-forward queues, the remote
-- transaction index) as of its journal sequence. Only a shortcut for the start-up rebuild: a missing or older row just
-- means a longer replay. One row per write; the writer keeps the newest two of a node.
CREATE TABLE core_state_snapshot (
    node_id   bigint      NOT NULL,
    sequence  bigint      NOT NULL CHECK (sequence >= 0),
    taken_at  timestamptz NOT NULL DEFAULT now(),
    format    integer     NOT NULL,
    state     bytea       NOT NULL,
    PRIMARY KEY (node_id, sequence)
);
