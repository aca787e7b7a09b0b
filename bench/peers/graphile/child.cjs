// One graphile-worker process for bench/peers/graphile/bench.cjs: `node child.cjs <burndown|latency>
// <database> <concurrency> <defaults|batched>`. Speaks the same line protocol as `hcm-bench pg-child`:
//   start <ns>           just before run() (CLOCK_MONOTONIC, process.hrtime)
//   done <count> <ns>    burndown: jobs whose result is written back (job:complete), last one at <ns>
//   job <id> <ns>        latency: the task function started for job <id>
// The connection comes from the PG* environment variables (node-postgres defaults).
const { run, Logger } = require("graphile-worker");
const { Pool } = require("pg");
const { EventEmitter } = require("events");

const [kind, database, concurrencyText, shape] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const now = () => process.hrtime.bigint().toString();
const quiet = new Logger(() => () => {}); // no per-job log lines (as hcm-bench: info logging off)

async function main() {
  const pgPool = new Pool({ database, max: concurrency + 4 });
  pgPool.on("error", () => {}); // a dropped idle connection is replaced by the pool
  const events = new EventEmitter();
  let completed = 0;
  let last = "0";
  let reported = -1;
  events.on("job:complete", () => {
    completed++;
    last = now();
  });
  const taskList = {
    noop: async (_payload, helpers) => {
      if (kind === "latency") process.stdout.write(`job ${helpers.job.id} ${now()}\n`);
    },
  };
  const worker =
    shape === "batched"
      ? { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 }
      : {};
  process.stdout.write(`start ${now()}\n`);
  const runner = await run({
    pgPool,
    concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: quiet,
    events,
    taskList,
    preset: { worker },
  });
  const timer = setInterval(() => {
    if (kind === "burndown" && completed !== reported) {
      reported = completed;
      process.stdout.write(`done ${completed} ${last}\n`);
    }
  }, 20);
  const stop = async () => {
    clearInterval(timer);
    await runner.stop();
    await pgPool.end();
    process.exit(0);
  };
  process.stdin.on("end", stop);
  process.stdin.resume();
  process.on("SIGTERM", stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
