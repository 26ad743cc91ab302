// Entry point of the `sipnic` command (bin/sipnic.mjs loads this through tsx).
import { processIO, run } from './program.js';

process.exitCode = await run(process.argv.slice(2), processIO());
