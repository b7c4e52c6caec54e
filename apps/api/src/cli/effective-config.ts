import { ConfigError, effectiveConfiguration, readConfiguration } from '@gad/config';

// scripts/start.sh runs this before anything else: the configuration the server will run with (the same
// schema and rules), secrets masked; every problem listed and exit 1 when the server would refuse to start.
const { configuration, problems, warnings } = readConfiguration();
if (problems.length > 0) {
  console.error(new ConfigError(problems).message);
  process.exit(1);
}
for (const warning of warnings) console.warn(`config warning: ${warning}`);
console.log('effective configuration (secrets masked):');
for (const [name, value] of effectiveConfiguration(configuration)) console.log(`  ${name.padEnd(26)} ${value}`);
