import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);

export type TsWorkerOptions = Omit<WorkerOptions, 'eval'> & {
  /** Bare specifiers resolved to other module URLs inside the worker (ESM imports). */
  resolveOverrides?: Record<string, string>;
};

/**
 * Start a worker thread running a TypeScript module. Workers do not inherit tsx's loader, so the
 * bootstrap registers it before importing the module (there is no build step in this repo).
 */
export function spawnTsWorker(moduleUrl: URL, options: TsWorkerOptions = {}): Worker {
  const { resolveOverrides, ...workerOptions } = options;
  const tsxApi = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  let code = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\n`;
  if (resolveOverrides && Object.keys(resolveOverrides).length > 0) {
    const hooks =
      `const map = ${JSON.stringify(resolveOverrides)};\n` +
      'export async function resolve(specifier, context, next) {\n' +
      '  if (Object.hasOwn(map, specifier)) return next(map[specifier], context);\n' +
      '  return next(specifier, context);\n' +
      '}\n';
    code +=
      "import { register as registerHooks } from 'node:module';\n" +
      `registerHooks(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});\n`;
  }
  code += `await import(${JSON.stringify(moduleUrl.href)});\n`;
  return new Worker(code, { ...workerOptions, eval: true, type: 'module' } as WorkerOptions);
}
