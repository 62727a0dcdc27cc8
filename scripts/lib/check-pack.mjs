// Checks one packed plugin (the tarball `yarn pack` wrote) against what an adopter's `yarn add` needs:
//   node scripts/lib/check-pack.mjs <package dir> <tarball>
// Prints each problem and exits 1 if there is any.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, tarball] = process.argv.slice(2);
if (!dir || !tarball) {
  console.error('usage: check-pack.mjs <package dir> <tarball>');
  process.exit(2);
}

const source = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const files = new Set(
  execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(f => f.replace(/^package\//, '')),
);
const packedText = execFileSync(
  'tar',
  ['-xzOf', tarball, 'package/package.json'],
  {
    encoding: 'utf8',
  },
);
const packed = JSON.parse(packedText);
const problems = [];
const expect = (ok, message) => ok || problems.push(message);

// A workspace: range cannot be resolved outside this repository.
expect(
  !packedText.includes('"workspace:'),
  'package.json still has workspace: ranges',
);
expect(!packed.private, 'package.json is private');
expect(
  packed.name === source.name && packed.version === source.version,
  'name or version changed',
);
expect(
  packed.license === 'Apache-2.0',
  `license is ${packed.license}, not Apache-2.0`,
);
expect(
  packed.repository?.url && packed.repository?.directory === dir,
  `repository.directory is not ${dir}`,
);
expect(packed.homepage && packed.bugs?.url, 'homepage or bugs missing');
expect(
  [...files].some(f => f.startsWith('dist/')),
  'no dist/ in the tarball',
);

// Every entry point the manifest names must be in the tarball (a missing one fails only in the adopter's build).
const targets = [];
const collect = value => {
  if (typeof value === 'string') targets.push(value);
  else if (value && typeof value === 'object')
    Object.values(value).forEach(collect);
};
collect([
  packed.main,
  packed.module,
  packed.types,
  packed.exports,
  packed.typesVersions,
]);
for (const target of new Set(
  targets.filter(t => t.startsWith('./') || t.startsWith('dist/')),
)) {
  expect(
    files.has(target.replace(/^\.\//, '')),
    `entry point ${target} is not in the tarball`,
  );
}
expect(
  packed.main && !packed.main.includes('src/'),
  `main is ${packed.main}, not a built file`,
);

// Backstage collects a package's config schema from the packed configSchema file.
if (source.configSchema) {
  expect(
    packed.configSchema && files.has(packed.configSchema),
    'configSchema missing from the tarball',
  );
}

if (source.backstage?.role === 'frontend-plugin') {
  for (const peer of ['react', 'react-dom', 'react-router-dom']) {
    expect(packed.peerDependencies?.[peer], `peerDependencies.${peer} missing`);
    expect(!packed.dependencies?.[peer], `${peer} is a dependency, not a peer`);
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`${dir}: ${problem}`);
  process.exit(1);
}
console.error(
  `${dir}: ok (${files.size} files, ${packed.name}@${packed.version})`,
);
