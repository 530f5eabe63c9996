// Counterpart: trace-cmd report (and perf script's flame graph writer): a recorded trace to
// one self-contained HTML page.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { renderReport, type PageAssets } from './html.js';
import { buildReport } from './model.js';
import { readProfile, readTrace, ReportInputError } from './read.js';

export { ReportInputError } from './read.js';

export interface ReportOptions {
  /** `kprobe-emu run --profile` output, for the missed counts. */
  profile?: string;
  /** The page's heading. */
  title?: string;
}

/** What was written, for the command to say. */
export interface ReportSummary {
  events: number;
  tasks: number;
  bytes: number;
}

/**
 * The browser bundles of d3 and d3-flame-graph, read from where Node resolves the packages.
 * Their package exports name only the entry points, so the UMD files are found beside them.
 */
export function pageAssets(): PageAssets {
  const require = createRequire(import.meta.url);
  const read = (pkg: string, file: string) => readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8');
  return {
    d3: read('d3', 'd3.min.js'),
    flamegraph: read('d3-flame-graph', 'd3-flamegraph.umd.min.js'),
  };
}

/**
 * Writes the report of the trace at `tracePath` (`kprobe-emu run --format json` or
 * `--format chrome`) to `outPath` as one HTML file. Unusable input throws ReportInputError
 * naming the file, the line where there is one, and what is wrong.
 */
export function writeReport(tracePath: string, outPath: string, opts: ReportOptions = {}): ReportSummary {
  const trace = readTrace(tracePath);
  const profile = opts.profile !== undefined ? readProfile(opts.profile) : undefined;
  const data = buildReport(trace, profile);
  const html = renderReport(data, pageAssets(), opts.title !== undefined ? { title: opts.title } : {});
  try {
    writeFileSync(outPath, html);
  } catch (e) {
    throw new ReportInputError(outPath, undefined, `cannot write: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return { events: data.events, tasks: data.tasks, bytes: Buffer.byteLength(html) };
}
