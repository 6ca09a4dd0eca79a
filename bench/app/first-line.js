// The shortest app: its first line goes out as soon as the preload lets its code run, carrying the
// CPU time the process had used by then (steadier than wall time on a busy machine). It then stays
// up long enough for FAULTLINE_DOCTOR's report; the bench kills it.
import process from 'node:process';

const { user, system } = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ cpuMs: (user + system) / 1000 })}\n`);
setTimeout(() => {}, 15_000);
