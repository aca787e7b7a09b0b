// graphile-worker 0.17.3 through its public API, with the shapes of hcm-bench's PostgreSQL modes:
//   node bench.cjs burndown <jobs> <processes> <concurrency> <defaults|batched>
//   node bench.cjs latency <jobs> <processes> <concurrency> <defaults|batched>
// burndown: N `noop` jobs are added (not timed), P child processes start; jobs/s = N / (last
// completion written back - first child's start), both CLOCK_MONOTONIC. latency: one job at a time
// with graphile_worker.add_job() from this process; pickup = add_job call -> task function start.
// Prints one JSON object. Server from the PG* variables; a fresh database per run, dropped afterwards.
const { spawn } = require("child_process");
const path = require("path");
const { Client } = require("pg");
const { runMigrations, Logger } = require("graphile-worker");

const [mode, jobsText, processesText, concurrencyText, shape] = process.argv.slice(2);
const jobs = Number(jobsText);
const processes = Number(processesText);
const concurrency = Number(concurrencyText);
const quiet = new Logger(() => () => {});

function startChildren(kind, database, onLine) {
  const children = [];
  for (let i = 0; i < processes; i++) {
    const child = spawn(process.execPath, [path.join(__dirname, "child.cjs"), kind, database, String(concurrency), shape], {
      stdio: ["pipe", "pipe", "inherit"],
      env: process.env,
    });
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        onLine(i, line.split(" "));
      }
    });
    children.push(child);
  }
  return children;
}

async function stopChildren(children) {
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          c.on("exit", resolve);
          c.stdin.end();
          setTimeout(() => c.kill("SIGKILL"), 15000).unref();
        }),
    ),
  );
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const pct = (p) => s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
  const r = (v) => Math.round(v * 1000) / 1000;
  return { p50: r(pct(50)), p95: r(pct(95)), p99: r(pct(99)), max: r(s[s.length - 1]), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

async function main() {
  const admin = new Client();
  await admin.connect();
  const database = `gw_bench_${Math.random().toString(36).slice(2, 10)}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const db = new Client({ database });
  try {
    await db.connect();
    const migrationPool = new (require("pg").Pool)({ database });
    await runMigrations({ pgPool: migrationPool, logger: quiet });
    await migrationPool.end();
    let result;
    if (mode === "burndown") {
      await db.query("SELECT graphile_worker.add_job('noop', '{}'::json) FROM generate_series(1, $1)", [jobs]);
      await db.query("VACUUM ANALYZE");
      const starts = new Array(processes).fill(null);
      const counts = new Array(processes).fill(0);
      const lasts = new Array(processes).fill(0n);
      let resolveDone;
      const done = new Promise((r) => (resolveDone = r));
      const children = startChildren("burndown", database, (i, f) => {
        if (f[0] === "start") starts[i] = BigInt(f[1]);
        if (f[0] === "done") {
          counts[i] = Number(f[1]);
          lasts[i] = BigInt(f[2]);
          if (counts.reduce((a, b) => a + b, 0) >= jobs) resolveDone();
        }
      });
      await done;
      await stopChildren(children);
      const start = starts.reduce((a, b) => (b < a ? b : a));
      const end = lasts.reduce((a, b) => (b > a ? b : a));
      const left = (await db.query("SELECT count(*)::int AS n FROM graphile_worker._private_jobs")).rows[0].n;
      if (left !== 0) throw new Error(`${left} jobs left in the queue`);
      result = { mode: "graphile-burndown", shape, jobs, processes, concurrency, jobs_per_s: Math.round(jobs / (Number(end - start) / 1e9)) };
    } else {
      const started = new Map();
      let ready = 0;
      let waiting = null;
      const children = startChildren("latency", database, (_i, f) => {
        if (f[0] === "start") ready++;
        if (f[0] === "job") {
          started.set(f[1], BigInt(f[2]));
          if (waiting && waiting.id === f[1]) waiting.resolve();
        }
      });
      while (ready < processes) await sleep(10);
      const one = async () => {
        const t0 = process.hrtime.bigint();
        const { rows } = await db.query("SELECT id::text FROM graphile_worker.add_job('noop', '{\"tag\":\"\"}'::json)");
        const id = rows[0].id;
        if (!started.has(id)) {
          await Promise.race([new Promise((resolve) => (waiting = { id, resolve })), sleep(10000)]);
          waiting = null;
        }
        if (!started.has(id)) throw new Error(`job ${id} not picked up within 10 s`);
        await sleep(2); // let the result be written: the pool is idle again
        return Number(started.get(id) - t0) / 1e6;
      };
      for (let i = 0; i < 100; i++) await one(); // warm-up (and: every worker is listening)
      await sleep(1000);
      const pickup = [];
      for (let i = 0; i < jobs; i++) pickup.push(await one());
      await stopChildren(children);
      result = { mode: "graphile-latency", shape, jobs, processes, concurrency, pickup_ms: stats(pickup) };
    }
    try {
      result.graphile_worker = require(path.join(path.dirname(require.resolve("graphile-worker")), "..", "package.json")).version;
    } catch {
      result.graphile_worker = "unknown";
    }
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.end().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
