#!/usr/bin/env node
// `faultline <command>`: the package's command line. Each command lives beside the code it drives
// and is imported only when asked for; adding one is one line in COMMANDS.

interface Command {
  summary: string;
  /** Runs the command with the arguments after its name; resolves with the exit code. */
  run: (args: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  doctor: { summary: 'tell why telemetry is not arriving (configuration, endpoints, installed copies)', run: async (args) => (await import('./doctor/cli.ts')).main(args) },
  incident: { summary: 'start a postmortem and a regression test from captured telemetry; check every incident is guarded', run: async (args) => (await import('./incidents/cli.ts')).main(args) },
};

const USAGE = `usage: faultline <command> [options]

${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  .join('\n')}

faultline <command> --help shows a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    process.stderr.write(`faultline: no command given (one of: ${Object.keys(COMMANDS).join(', ')}; faultline --help)\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    process.stderr.write(`faultline: unknown command ${JSON.stringify(name)} (one of: ${Object.keys(COMMANDS).join(', ')}; faultline --help)\n`);
    return 2;
  }
  return command.run(args);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`faultline: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
