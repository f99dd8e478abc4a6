// The README stays a page a newcomer reads in minutes, and its links lead somewhere.
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

test('README.md is at most 12 KB: guides, CLI, lab and figures live in docs/ and bench/', () => {
  expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
});

test('every relative link of README.md and docs/*.md names a file that exists (and a heading that exists)', () => {
  const docs = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).map((file) => path.join('docs', file))];
  const broken: string[] = [];
  for (const doc of docs) {
    const text = fs.readFileSync(path.join(root, doc), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [file, anchor] = target.split('#');
      const resolved = file === '' ? path.join(root, doc) : path.join(root, path.dirname(doc), file);
      if (!fs.existsSync(resolved)) {
        broken.push(`${doc}: ${target}`);
        continue;
      }
      if (anchor === undefined || !resolved.endsWith('.md')) continue;
      // GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
      const anchors = [...fs.readFileSync(resolved, 'utf8').matchAll(/^#+ (.*)$/gm)].map(([, heading]) =>
        heading.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'),
      );
      if (!anchors.includes(anchor)) broken.push(`${doc}: ${target}`);
    }
  }
  expect(broken).toEqual([]);
});
