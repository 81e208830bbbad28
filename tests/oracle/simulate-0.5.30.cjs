#!/usr/bin/env node
/*
 * The `simulate` contract implemented with the published @ballerine/workflow-core@0.5.30,
 * so the differential tests can run the same scenario against Arabesque and the reference.
 *
 *   node simulate-0.5.30.cjs DEFINITION.json [--context CONTEXT.json] [--state STATE] [--events EVENTS.json]
 *
 * stdout: JSON Lines. First {"event": null, "state", "status", "context"}, then one line per event
 * (after the event and its plugin cascade settled) {"event", "state", "status", "context", "error"}.
 * A rejected event prints its message in "error" and the state/context from before the event:
 * 0.5.30 cannot roll an instance back, so the workflow is re-created from a snapshot taken before
 * the event. "status" is "completed" once the current state is a top-level type:"final" state
 * (sticky). 0.5.30 injects a top-level `workflowRuntimeId` into the context; it is removed from
 * the printed context unless the initial context had it.
 * Plugins use the real global fetch (node >= 18) and read {secret.NAME} from process.env.
 * Exit 0 when it ran; exit 2 with one line on stderr when an input is unreadable or invalid.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const RUNTIME_ID = 'simulate';

// The engine logs with bare console.* calls; keep stdout for the protocol only.
const writeOut = process.stdout.write.bind(process.stdout);
for (const m of ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir', 'table']) {
  console[m] = () => {};
}
// 0.5.30 leaves some promises unhandled (child host callback, transformer helpers); they must
// not terminate the process.
process.on('unhandledRejection', () => {});

function fail(message) {
  process.stderr.write(`simulate: ${String(message).split('\n')[0]}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const out = { definition: null, context: null, state: null, events: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const key = a.startsWith('--') ? (eq > 0 ? a.slice(2, eq) : a.slice(2)) : null;
    if (key === null) {
      if (out.definition !== null) fail(`unexpected argument: ${a}`);
      out.definition = a;
      continue;
    }
    if (!['context', 'state', 'events'].includes(key)) fail(`unknown option: ${a}`);
    let value;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) fail(`option --${key} needs a value`);
      value = argv[++i];
    }
    out[key] = value;
  }
  if (out.definition === null) fail('usage: simulate-0.5.30.cjs DEFINITION.json [--context F] [--state S] [--events F]');
  return out;
}

function readJson(file, what) {
  let text;
  try {
    text = fs.readFileSync(path.resolve(file), 'utf8');
  } catch (e) {
    fail(`cannot read ${what} ${file}: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${what} ${file} is not valid JSON: ${e.message}`);
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

const args = parseArgs(process.argv.slice(2));
const record = readJson(args.definition, 'definition');
if (!isObject(record)) fail('definition: expected a JSON object (a definition record)');
const chart = record.definition;
if (!isObject(chart)) fail('definition: "definition" must be an object (the statechart)');
if (!isObject(chart.states)) fail('definition: the statechart needs a "states" object');
if (record.extensions !== undefined && record.extensions !== null && !isObject(record.extensions)) {
  fail('definition: "extensions" must be an object');
}
const context = args.context === null ? {} : readJson(args.context, 'context');
if (!isObject(context)) fail('context: expected a JSON object');
const events = args.events === null ? [] : readJson(args.events, 'events');
if (!Array.isArray(events)) fail('events: expected a JSON array');
events.forEach((e, i) => {
  if (!isObject(e) || typeof e.type !== 'string' || e.type === '') {
    fail(`events[${i}]: expected an object with a non-empty string "type"`);
  }
});
const startState = args.state !== null ? args.state : chart.initial;
if (typeof startState !== 'string' || !Object.prototype.hasOwnProperty.call(chart.states, startState)) {
  fail(`unknown start state: ${JSON.stringify(startState)}`);
}

let createWorkflow;
try {
  ({ createWorkflow } = require('@ballerine/workflow-core'));
} catch (e) {
  fail(`cannot load @ballerine/workflow-core: ${e.message}`);
}

// The effective initial context (an empty context falls back to definition.context), used to
// decide whether the injected workflowRuntimeId is to be hidden.
const effectiveInitial = Object.keys(context).length ? context : isObject(chart.context) ? chart.context : {};
const keepRuntimeId = Object.prototype.hasOwnProperty.call(effectiveInitial, 'workflowRuntimeId');

function build(machineContext, state) {
  return createWorkflow({
    runtimeId: RUNTIME_ID,
    definitionType: record.definitionType,
    definition: clone(chart),
    extensions: clone(record.extensions || {}),
    config: clone(record.config), // not accepted by 0.5.30 (dropped silently); passed for fidelity
    workflowContext: { machineContext: clone(machineContext), state },
    // simulate does not run children: a host that simply accepts the start.
    invokeChildWorkflowAction: async () => {},
  });
}

function isFinal(state) {
  return typeof state === 'string' && isObject(chart.states[state]) && chart.states[state].type === 'final';
}

function printable(ctx) {
  const out = clone(ctx) || {};
  if (!keepRuntimeId && isObject(out) && out.workflowRuntimeId === RUNTIME_ID) delete out.workflowRuntimeId;
  return out;
}

function emit(obj) {
  writeOut(JSON.stringify(obj) + '\n');
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

async function main() {
  let wf;
  try {
    wf = build(context, args.state !== null ? args.state : undefined);
  } catch (e) {
    fail(`invalid definition: ${e && e.message ? e.message : String(e)}`);
  }
  let status = isFinal(wf.state) ? 'completed' : 'active';
  emit({ event: null, state: wf.state, status, context: printable(wf.context) });

  for (const ev of events) {
    const before = { state: wf.state, context: clone(wf.context) };
    let error = null;
    try {
      await wf.sendEvent(clone(ev));
      await tick(); // let un-awaited plugin work (transformer plugin) land
    } catch (e) {
      error = e && typeof e.message === 'string' ? e.message : String(e);
    }
    if (error !== null) {
      // all-or-nothing: back to the instance as it was before the event
      wf = build(before.context, before.state);
    } else if (isFinal(wf.state)) {
      status = 'completed';
    }
    emit({ event: ev.type, state: wf.state, status, context: printable(wf.context), error });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`simulate: internal error: ${e && e.stack ? e.stack.split('\n')[0] : String(e)}\n`);
    process.exit(1);
  },
);
