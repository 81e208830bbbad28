// Evaluates json-logic cases with json-logic-js@2.0.2 for the differential tests.
// stdin: JSON array of {rule, data}; stdout: JSON array of {result} or {error}, in order.
// A top-level result JSON cannot carry (undefined, NaN, Infinity, a function) is reported as
// {special: "..."} so that the Python side can tell it apart from null.
"use strict";
const jsonLogic = require("json-logic-js");

// `log` writes to console.log; keep stdout for the results.
console.log = () => {};

function encode(value) {
  if (value === undefined) return { special: "undefined" };
  if (typeof value === "function") return { special: "function" };
  if (typeof value === "number" && !Number.isFinite(value)) return { special: String(value) };
  return { result: value };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(({ rule, data }) => {
    try {
      return encode(jsonLogic.apply(rule, data));
    } catch (err) {
      return { error: String(err && err.message) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
