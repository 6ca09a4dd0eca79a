/** What `run` writes to process.stderr, one entry per write, kept off the real stderr. */
export function stderrOf(run: () => void): string[] {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    run();
  } finally {
    process.stderr.write = write;
  }
  return lines;
}
