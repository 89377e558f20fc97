/**
 * Runs predictDeferred in a process of its own, from the TypeScript sources
 * (each file transpiled as it loads), so a test can SIGKILL a real run at any
 * step and start another on the same job folder.
 *
 * node deferred-child.cjs <baseURL> <jobDir> <input.json>   (input: { records, options })
 */
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const core = path.resolve(__dirname, '..', 'packages', 'core', 'src', 'index.ts');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === '@mlpredict/core') return core;
  if (request.startsWith('.') && request.endsWith('.js') && parent && parent.filename.endsWith('.ts')) {
    const source = path.resolve(path.dirname(parent.filename), request.replace(/\.js$/, '.ts'));
    if (fs.existsSync(source)) return source;
  }
  return resolveFilename.call(this, request, parent, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};

const { predictDeferred, openAIModel } = require('@mlpredict/core');
const [baseURL, jobDir, inputFile] = process.argv.slice(2);
const { records, options } = JSON.parse(fs.readFileSync(inputFile, 'utf8'));
predictDeferred(openAIModel({ model: 'sim', baseURL, apiKey: 'test-key' }), records, { ...options, jobDir }).then(
  (results) => process.stdout.write(`${JSON.stringify({ done: results.length })}\n`),
  (error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  },
);
