/** The harnesses' command-line flags: `--name value` pairs and bare switches, after `npm run … --`. */
export const args = process.argv.slice(2);

/** The value after `name`, or `fallback` when the flag is absent. */
export const arg = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
