// Differential oracle for arabesque.engine.schema: reads a JSON array of [schema, data] pairs on stdin and
// prints a JSON array of results, one per pair, computed exactly as Ballerine's JsonSchemaValidator does
// (new Ajv({allErrors: true}).validate(schema, data); errors joined as `${instancePath} - ${message}`).
// A schema that ajv refuses to compile gives {compileError: <message>}.
const Ajv = require('ajv');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(([schema, data]) => {
    const ajv = new Ajv({ allErrors: true });
    try {
      if (ajv.validate(schema, data)) return { isValid: true };
      return {
        isValid: false,
        errorMessage: ajv.errors.map((e) => `${e.instancePath} - ${e.message}`).join(' | '),
      };
    } catch (err) {
      return { compileError: String(err && err.message) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
