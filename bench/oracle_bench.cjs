#!/usr/bin/env node
/*
 * Reference side of bench/engine_bench.py: @ballerine/workflow-core@0.5.30 (from
 * tests/oracle/node_modules) on the definition the Python script writes.
 *
 *   node bench/oracle_bench.cjs --definition DEF.json --context CTX.json --event NEXT
 *        [--seconds 2] [--warmup 0.5]
 *
 * Prints one JSON object on stdout:
 *   {"package", "node", "transitions_per_s", "instances_per_s", "transitions", "instances", ...}
 * (a) transitions_per_s: one warm instance, `sendEvent(NEXT)` repeatedly (a <-> b, json-logic guard).
 * (b) instances_per_s: createWorkflow + two events, repeatedly.
 * Each loop runs for about --seconds, timed with process.hrtime.bigint().
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const out = process.stdout.write.bind(process.stdout);
// The engine logs every event with console.log: silence it (and keep stdout for the result).
for (const m of ['log', 'info', 'debug', 'warn', 'error', 'trace']) console[m] = () => {};
process.on('unhandledRejection', () => {});

function die(msg) {
  process.stderr.write(`oracle_bench: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { definition: null, context: null, event: 'NEXT', seconds: 2, warmup: 0.5 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in a) || i + 1 >= argv.length) die(`bad argument ${argv[i]}`);
    a[k] = ['seconds', 'warmup'].includes(k) ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!a.definition) die('--definition is required');
  return a;
}

const args = parseArgs(process.argv.slice(2));
const record = JSON.parse(fs.readFileSync(args.definition, 'utf8'));
const context = args.context ? JSON.parse(fs.readFileSync(args.context, 'utf8')) : {};
const oracleDir = path.join(__dirname, '..', 'tests', 'oracle');
const req = createRequire(path.join(oracleDir, 'package.json'));
const { createWorkflow } = req('@ballerine/workflow-core');
const pkgVersion = req('@ballerine/workflow-core/package.json').version;

const clone = (v) => JSON.parse(JSON.stringify(v));
const event = { type: args.event };

function create() {
  return createWorkflow({
    runtimeId: 'r1',
    definition: clone(record.definition),
    extensions: clone(record.extensions || {}),
    workflowContext: { machineContext: clone(context) },
  });
}

const now = () => process.hrtime.bigint();
const NS = 1e9;

// Run `body` (async, does `unit` operations) until `seconds` elapsed; returns ops/s.
async function timed(seconds, unit, body) {
  const budget = BigInt(Math.round(seconds * NS));
  let ops = 0;
  const t0 = now();
  let elapsed = 0n;
  do {
    await body();
    ops += unit;
    elapsed = now() - t0;
  } while (elapsed < budget);
  return { ops, seconds: Number(elapsed) / NS, perSecond: ops / (Number(elapsed) / NS) };
}

async function main() {
  // sanity: the guard passes and the instance toggles a -> b -> a
  const probe = create();
  const s0 = probe.state;
  await probe.sendEvent(event);
  const s1 = probe.state;
  await probe.sendEvent(event);
  if (s0 === s1 || probe.state !== s0) die(`definition does not toggle: ${s0} -> ${s1} -> ${probe.state}`);

  const BATCH = 50;
  // (a) warm instance
  const wf = create();
  const stepBatch = async () => {
    for (let i = 0; i < BATCH; i++) await wf.sendEvent(event);
  };
  await timed(args.warmup, BATCH, stepBatch);
  const a = await timed(args.seconds, BATCH, stepBatch);

  // (b) create + two events
  const IB = 10;
  const instanceBatch = async () => {
    for (let i = 0; i < IB; i++) {
      const w = create();
      await w.sendEvent(event);
      await w.sendEvent(event);
    }
  };
  await timed(args.warmup, IB, instanceBatch);
  const b = await timed(args.seconds, IB, instanceBatch);

  out(
    JSON.stringify({
      package: `@ballerine/workflow-core@${pkgVersion}`,
      node: process.version,
      transitions_per_s: a.perSecond,
      transitions: a.ops,
      transitions_seconds: a.seconds,
      instances_per_s: b.perSecond,
      instances: b.ops,
      instances_seconds: b.seconds,
    }) + '\n',
  );
}

main().then(
  () => process.exit(0),
  (e) => die(e && e.stack ? e.stack.split('\n')[0] : String(e)),
);
