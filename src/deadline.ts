/**
 * Resolves when `work` settles or when `ms` have passed, whichever comes first, and never rejects:
 * every shutdown path must end within its deadline whatever the exporters do.
 */
export async function withinDeadline(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout' | 'failed'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, Math.max(0, ms));
  });
  try {
    return await Promise.race([work.then(() => 'done' as const, () => 'failed' as const), timeout]); // eslint-disable-line faultline/no-blind-catch -- only whether the work settled in time matters here; its failure is its caller's to report
  } finally {
    clearTimeout(timer);
  }
}
