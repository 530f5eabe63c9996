// The trace file writer: lines of every length, non-ASCII included, arrive whole and in order.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blockWriter } from '../../src/output.js';

const dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('blockWriter', () => {
  it('writes nothing for no lines, and a flush with nothing waiting writes nothing', () => {
    const path = join(dir, 'empty.txt');
    const fd = openSync(path, 'w');
    const w = blockWriter(fd);
    w.flush();
    w('');
    w.flush();
    w.flush();
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe('\n');
  });

  it('writes every line once, in order, across block boundaries and for lines longer than a block', () => {
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(`line ${i} ${'x'.repeat(i % 97)}${i % 7 === 0 ? ' é€' : ''}`);
    lines.splice(2500, 0, 'y'.repeat(70_000), '€'.repeat(30_000), '');
    const path = join(dir, 'out.txt');
    const fd = openSync(path, 'w');
    const w = blockWriter(fd);
    for (const l of lines) w(l);
    w.flush();
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
  });
});
