"""Postgres backend CPU of INSERT ... SELECT of 200,000 journal_leg-shaped rows into tables with each index and
constraint variant (docs/benchmarks.md, "Projector throughput (projector helper ...)"). Needs a throwaway database:
  psql ... -c 'CREATE DATABASE projector_idx_exp'; python3 index-cost.py 3; psql ... -c 'DROP DATABASE projector_idx_exp'
Runs on the machine of the database (reads /proc/<backend pid>/stat)."""
import subprocess, os, sys
env = dict(os.environ, PGPASSWORD='switch-dev-only')
p = subprocess.Popen(['psql', '-h', '127.0.0.1', '-U', 'switch', '-d', 'projector_idx_exp', '-At', '-v', 'ON_ERROR_STOP=1'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, bufsize=1)
def run(sql):
    p.stdin.write(sql + '\n\\echo __done\n'); p.stdin.flush()
    out = []
    while True:
        l = p.stdout.readline()
        if l.strip() == '__done': return out
        if l == '': raise SystemExit('psql ended')
        out.append(l.strip())
pid = run('SELECT pg_backend_pid();')[0]
def ticks():
    f = open(f'/proc/{pid}/stat').read(); f = f[f.rindex(')')+2:].split(); return int(f[11]) + int(f[12])
src = '''CREATE TEMP TABLE src AS SELECT 1::bigint AS event_node, g::bigint AS event_seq, 'txn-' || lpad((g/4)::text, 9, '0') AS txn_id, 'request_in'::text AS leg,
  now() + g * interval '1 ms' AS event_time, '0100'::text AS mti, '476173******0010'::text AS pan_masked, '0010'::char(4) AS pan_last4,
  decode(repeat('ab', 32), 'hex') AS pan_hash, decode(repeat('cd', 45), 'hex') AS pan_encrypted, 1000::bigint AS amount_minor, '978'::char(3) AS currency,
  lpad((g % 1000000)::text, 6, '0') AS stan, '6338' || lpad(g::text, 8, '0') AS rrn, 'TERM0001'::text AS terminal_id, '12345678901'::text AS acquirer_id,
  '00'::text AS response_code, false AS final_response, 0::smallint AS reversal_rank, 'switch.journal'::text AS source_topic, 0 AS source_partition, g::bigint AS source_offset
  FROM generate_series(1, 200000) g;
'''
run(src)
variants = {
 'none': '',
 'pkey': ', PRIMARY KEY (event_node, event_seq)',
 'pkey+txn_btree': ', PRIMARY KEY (event_node, event_seq)|txn',
 'pkey+txn_btree_C': ', PRIMARY KEY (event_node, event_seq)|txnC',
 'pkey+txn_hash': ', PRIMARY KEY (event_node, event_seq)|txnhash',
 'pkey+txn+brin (today minus check)': ', PRIMARY KEY (event_node, event_seq)|txn|brin',
 'today (pkey, txn, brin, check regex)': ", PRIMARY KEY (event_node, event_seq), CHECK (pan_masked IS NULL OR pan_masked !~ '^[0-9]{12,19}$')|txn|brin",
 'today with check strpos first': ", PRIMARY KEY (event_node, event_seq), CHECK (pan_masked IS NULL OR strpos(pan_masked, '*') > 0 OR pan_masked !~ '^[0-9]{12,19}$')|txn|brin",
}
idx = {'txn': 'CREATE INDEX ON t (txn_id);', 'txnC': 'CREATE INDEX ON t (txn_id COLLATE "C");', 'txnhash': 'CREATE INDEX ON t USING hash (txn_id);', 'brin': 'CREATE INDEX ON t USING brin (event_time);'}
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
res = {k: [] for k in variants}
for r in range(rounds):
    for name, spec in variants.items():
        parts = spec.split('|')
        run(f'CREATE TABLE t (LIKE src{parts[0]});' + ''.join(idx[x] for x in parts[1:]))
        a = ticks(); run('INSERT INTO t SELECT * FROM src;'); b = ticks()
        run('DROP TABLE t;')
        res[name].append((b - a) * 10)
for k, v in res.items(): print(f'{k:40s} ms CPU per 200k rows: {v}')
