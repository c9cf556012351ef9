-- 0001: the journal's projection. One row per leg event (journal_leg), one per transaction (tranlog), and the
-- projector's consumed Kafka offsets (projection_offset), written in the same transaction as the rows they cover.
-- A leg's identity is its event id: the node that journaled it and that node's sequence (Switch.Journal.Events.EventId).
-- PCI DSS 3.3.1: no clear PAN, track data, PIN block or CVV anywhere in this schema. A card is kept as its masked
-- PAN (first 6 / last 4), a keyed hash for look-ups and the PAN encrypted under a data key.

CREATE TABLE journal_leg (
    event_node       bigint      NOT NULL,
    event_seq        bigint      NOT NULL,
    txn_id           text        NOT NULL,
    leg              text        NOT NULL,
    event_time       timestamptz NOT NULL,
    mti              text        NOT NULL,
    pan_masked       text,
    pan_last4        char(4),
    pan_hash         bytea,
    pan_encrypted    bytea,
    amount_minor     bigint,
    currency         char(3),
    stan             text,
    rrn              text,
    terminal_id      text,
    acquirer_id      text,
    response_code    text,
    -- What the leg says about its transaction, so tranlog can be rebuilt from journal_leg alone.
    final_response   boolean     NOT NULL,
    reversal_rank    smallint    NOT NULL,
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    projected_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT journal_leg_pkey PRIMARY KEY (event_node, event_seq),
    CONSTRAINT journal_leg_pan_masked_is_masked CHECK (pan_masked IS NULL OR pan_masked !~ '^[0-9]{12,19}$')
);
-- Few indexes on purpose: every btree costs the projector's COPY about as much as the row itself. Look-ups by RRN,
-- STAN or terminal go through tranlog (a quarter of the rows) to the legs by txn_id; time windows use a BRIN index,
-- which suits a table written in roughly increasing time and costs next to nothing to maintain.
CREATE INDEX journal_leg_txn ON journal_leg (txn_id);
CREATE INDEX journal_leg_time ON journal_leg USING brin (event_time);

CREATE TABLE tranlog (
    txn_id            text        NOT NULL,
    first_event_at    timestamptz NOT NULL,
    last_event_at     timestamptz NOT NULL,
    state             text        NOT NULL,
    mti               text        NOT NULL,
    pan_masked        text,
    amount_minor      bigint,
    currency          char(3),
    stan              text,
    rrn               text,
    terminal_id       text,
    final_response    text,
    final_response_at timestamptz,
    reversal_status   text        NOT NULL DEFAULT 'none',
    leg_count         integer     NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tranlog_pkey PRIMARY KEY (txn_id),
    CONSTRAINT tranlog_reversal_status_known CHECK (reversal_status IN ('none', 'requested', 'reversed'))
);
CREATE INDEX tranlog_rrn ON tranlog (rrn) WHERE rrn IS NOT NULL;
CREATE INDEX tranlog_stan ON tranlog (stan) WHERE stan IS NOT NULL;
CREATE INDEX tranlog_terminal ON tranlog (terminal_id) WHERE terminal_id IS NOT NULL;
CREATE INDEX tranlog_first_event ON tranlog USING brin (first_event_at);

CREATE TABLE projection_offset (
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    next_offset    bigint      NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projection_offset_pkey PRIMARY KEY (consumer_group, topic, partition),
    CONSTRAINT projection_offset_not_negative CHECK (next_offset >= 0)
);

-- A record the projector could not decode: kept (with its position) so it is counted, never silently skipped.
CREATE TABLE projection_reject (
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    kafka_offset   bigint      NOT NULL,
    reason         text        NOT NULL,
    rejected_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projection_reject_pkey PRIMARY KEY (consumer_group, topic, partition, kafka_offset)
);
