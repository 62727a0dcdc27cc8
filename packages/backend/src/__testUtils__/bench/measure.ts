import fs from 'fs';

/** The value below which a fraction `q` of `xs` lies (nearest rank). */
export const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[
    Math.min(xs.length - 1, Math.floor(xs.length * q))
  ];

/** The median. */
export const p50 = (xs: number[]) => quantile(xs, 0.5);

/** How long `fn` took, in ms. */
export const time = async (fn: () => Promise<unknown>) => {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};

/** Prints a benchmark's lines and, under `yarn bench`, writes them to .dev/bench-NAME.txt. */
export function report(name: string, lines: string[]) {
  // eslint-disable-next-line no-console
  console.log(`\n${lines.join('\n')}\n`);
  if (process.env.MODEL_FACTORY_BENCH_DIR) {
    fs.writeFileSync(
      `${process.env.MODEL_FACTORY_BENCH_DIR}/bench-${name}.txt`,
      `${lines.join('\n')}\n`,
    );
  }
}
