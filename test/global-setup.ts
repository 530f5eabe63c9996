// The CLI tests run the built command: compile once before any test.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  chmodSync('dist/src/cli.js', 0o755);
}
