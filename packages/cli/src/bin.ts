#!/usr/bin/env node
// The `gatio` command. `gatio doctor [--json]`: exit 0 when Gatio can run fully here, 1 with the
// reason otherwise; 2 for a command line it does not understand.
import { doctor, formatReport } from './doctor';

const USAGE = `usage: gatio doctor [--json]

  doctor   what this machine gives Gatio (kernel, io_uring and what blocks it, its ops, NUMA nodes
           and CPUs, memlock, Node, the addon) and what to do about what is missing; exit 0 when
           Gatio can run fully, 1 otherwise
  --json   the same as one JSON object, for scripts`;

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const [command, ...flags] = argv;
  const unknown = flags.filter((f) => f !== '--json');
  if (command !== 'doctor' || unknown.length > 0) {
    console.error(command === undefined ? USAGE : `gatio: unknown ${command !== 'doctor' ? `command '${command}'` : `option '${unknown[0]}'`}\n\n${USAGE}`);
    return 2;
  }
  const report = doctor();
  console.log(flags.includes('--json') ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
