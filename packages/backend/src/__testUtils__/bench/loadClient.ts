import { spawn } from 'child_process';
import type { Options, Result } from 'autocannon';

/**
 * Runs autocannon in a Node process of its own: 200 clients in the backend's process would share its event loop
 * and its heap, and both what the backend serves and what it holds would be measured wrong.
 */
export function runAutocannon(options: Options): Promise<Result> {
  const script = `require(${JSON.stringify(require.resolve('autocannon'))})(
    JSON.parse(process.argv[1]),
    (error, result) => {
      if (error) { console.error(error); process.exit(1); }
      process.stdout.write(JSON.stringify(result));
    },
  );`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-e', script, JSON.stringify(options)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', chunk => (out += chunk));
    child.on('error', reject);
    child.on('exit', code => {
      if (code !== 0) reject(new Error(`autocannon exited with ${code}`));
      else resolve(JSON.parse(out));
    });
  });
}
