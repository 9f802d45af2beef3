/** Helpers of the standalone micro-benchmarks (fetch-format.ts, fetch-line.ts, idb-writes.ts, unified-window.ts). */

/** A positive whole-number option `--name N` of the command line, or `dflt`. */
export function option(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i === -1 ? dflt : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive whole number`);
  return v;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** This process's CPU time so far (user and system), in ms. */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
