\timing on
SET enable_mergejoin = off;
PREPARE r(text, text, text) AS SELECT t.id, t.created_at FROM gz_task_candidate c JOIN gz_task t ON t.id = c.task_id WHERE c.group_name = $1 AND (c.region = $2 OR c.region LIKE $3) AND t.status = 'open' ORDER BY t.created_at, t.id LIMIT 20;
PREPARE rc(text, text, text) AS SELECT count(*) FROM gz_task_candidate c JOIN gz_task t ON t.id = c.task_id WHERE c.group_name = $1 AND (c.region = $2 OR c.region LIKE $3) AND t.status = 'open';
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE r('street', '990101/001', '990101/001/%');
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE r('dept_chengguan', '990101', '990101/%');
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE rc('dept_chengguan', '990101', '990101/%');
-- candidates only: count, then top 20 by the task's created_at carried on the candidate row (simulated via join on 20)
ALTER TABLE gz_task_candidate ADD COLUMN IF NOT EXISTS created_at timestamptz;
UPDATE gz_task_candidate c SET created_at = t.created_at FROM gz_task t WHERE t.id = c.task_id;
CREATE INDEX IF NOT EXISTS ix_exp_cand_cover ON gz_task_candidate (group_name, region varchar_pattern_ops) INCLUDE (created_at, task_id);
VACUUM ANALYZE gz_task_candidate;
RESET enable_mergejoin;
PREPARE s(text, text, text) AS SELECT t.id, t.created_at FROM gz_task t JOIN (SELECT c.task_id FROM gz_task_candidate c WHERE c.group_name = $1 AND (c.region = $2 OR c.region LIKE $3) ORDER BY c.created_at, c.task_id LIMIT 20) AS top ON t.id = top.task_id ORDER BY t.created_at, t.id;
PREPARE sc(text, text, text) AS SELECT count(*) FROM gz_task_candidate c WHERE c.group_name = $1 AND (c.region = $2 OR c.region LIKE $3);
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE s('street', '990101/001', '990101/001/%');
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE s('dept_chengguan', '990101', '990101/%');
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE sc('dept_chengguan', '990101', '990101/%');
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE sc('street', '990101/001', '990101/001/%');
