#!/usr/bin/env node
// The layout rules the code follows, checked on every tracked source, test, script and document: LF line ends,
// spaces not tabs in code, no trailing whitespace, one final newline. (A reflowing formatter would rewrite the
// house style's packed argument lists; Biome's linter, run beside this, checks the code itself.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.js', '*.mjs', '*.json', '*.md', '*.sh', '*.yml', '*.c'],
  { encoding: 'utf8' }).split('\n').filter((file) => file !== '' && !file.startsWith('node_modules/'));
const problems = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  if (text.includes('\r')) problems.push(`${file}: has CR line ends; use LF`);
  if (text.length > 0 && !text.endsWith('\n')) problems.push(`${file}: does not end with a newline`);
  if (text.endsWith('\n\n')) problems.push(`${file}: ends with blank lines`);
  const code = /\.(ts|js|mjs|c|sh)$/.test(file);
  text.split('\n').forEach((line, index) => {
    if (/[ \t]+$/.test(line)) problems.push(`${file}:${index + 1}: trailing whitespace`);
    if (code && line.includes('\t')) problems.push(`${file}:${index + 1}: a tab; indent with spaces`);
  });
}
if (problems.length > 0) {
  process.stderr.write(`${problems.slice(0, 50).join('\n')}\n${problems.length} layout problem(s)\n`);
  process.exit(1);
}
process.stdout.write(`layout: ${files.length} files checked\n`);
