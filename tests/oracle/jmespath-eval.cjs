// Differential oracle for arabesque.engine.jmes: reads a JSON array of [expression, data] pairs on stdin and
// prints a JSON array of {ok: result} | {error: message}. Whitespace runs are collapsed first, as Ballerine's
// JmespathTransformer does. `undefined` results (e.g. min_by on string keys) are reported as null.
const jmespath = require('jmespath');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(([expr, data]) => {
    try {
      const result = jmespath.search(data, expr.replace(/\s+/g, ' '));
      return { ok: result === undefined ? null : result };
    } catch (err) {
      return { error: String(err && err.message) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
