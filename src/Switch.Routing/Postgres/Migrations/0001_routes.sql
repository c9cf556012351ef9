-- 0001: the operators' route table, its audit trail and the change counter every reload reads.
-- route_table_version has one row; each change increments it in the change's transaction (which also serializes
-- concurrent changes) and NOTIFYs switch_routes with the new version, delivered when the transaction commits.

CREATE TABLE route (
    name            text        NOT NULL PRIMARY KEY,
    bin_prefix      text        NOT NULL,
    destination     text        NOT NULL,
    priority        integer     NOT NULL,
    failover        text,
    mti_class       smallint,
    processing_code text,
    currency        char(3),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text        NOT NULL,
    CONSTRAINT route_name_syntax CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    CONSTRAINT route_bin_prefix_digits CHECK (bin_prefix ~ '^[0-9]{6,11}$'),
    CONSTRAINT route_priority_range CHECK (priority BETWEEN 1 AND 999),
    CONSTRAINT route_failover_differs CHECK (failover IS NULL OR failover <> destination),
    CONSTRAINT route_mti_class_routable CHECK (mti_class IS NULL OR mti_class IN (1, 2, 4)),
    CONSTRAINT route_processing_code_digits CHECK (processing_code IS NULL OR processing_code ~ '^([0-9]{2}|[0-9]{6})$'),
    CONSTRAINT route_currency_digits CHECK (currency IS NULL OR currency ~ '^[0-9]{3}$')
);

CREATE INDEX route_bin_prefix ON route (bin_prefix);

-- Who changed what and when: the route as it was before and after (null for an add's before and a remove's after).
CREATE TABLE route_audit (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    route_name text        NOT NULL,
    action     text        NOT NULL,
    operator   text        NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    version    bigint      NOT NULL,
    before     jsonb,
    after      jsonb,
    CONSTRAINT route_audit_action CHECK (action IN ('add', 'update', 'remove'))
);

CREATE INDEX route_audit_route_name ON route_audit (route_name, id);

CREATE TABLE route_table_version (
    singleton boolean NOT NULL PRIMARY KEY DEFAULT true,
    version   bigint  NOT NULL,
    CONSTRAINT route_table_version_singleton CHECK (singleton)
);

INSERT INTO route_table_version (singleton, version) VALUES (true, 0);
