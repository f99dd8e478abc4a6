// The fenced code blocks of README.md and docs/*.md, and how
// docs-examples.test.ts runs each: its language, its commands, and the
// doc-test annotation written right before it in the doc, an HTML comment
// that Markdown does not show:
//
//   <!-- doc-test: peer db.internal:5432; Ctrl-C after 2 s; exit codes 130 -->
//   ```js
//
// Clauses, separated by "; " (`not run:` takes the rest of the comment):
//   not run: REASON           the block is not run; the test reports it as skipped, with REASON
//   file used by NAME         the block is a file (named by its first-line comment) that the
//                             block NAME of the same doc runs; checked for syntax only
//   peer HOST:PORT            a TCP server at HOST:PORT (a name resolves to 127.0.0.1) that
//                             accepts and holds connections; it must see one
//   peer HOST:PORT, silent N s after accepting
//                             the same, dropping every packet it sends N s after its first connection
//   Ctrl-C after N s          SIGINT to the last command's process group N s after it starts,
//                             as a terminal sends it (the command runs until stopped)
//   exit codes N N …          the exit code of each command, in order (default: 0 each; in a
//                             console transcript, a command followed by `echo $?` exits with
//                             the number shown)
//   prints TEXT               the output of the block's commands contains TEXT
//   output as shown           console: each command prints what the transcript shows, spaces aside
//   given FILE …              test/package/docs-fixtures/FILE is copied next to the example
//                             (a program of the user's that the example runs)
//   fresh project             run in a new project with no node_modules (an install example)
//   needs the npm registry    run in the machine's network namespace, not one of its own
//   needs root                run only as root
//   needs Node's headers      node-gyp builds here: run only where it finds Node's headers
//                             without downloading them
//   within N s                the run's deadline (default 20 s; 60 s for ts, as tsc takes a while)
import fs from 'node:fs';
import path from 'node:path';

export const languages = ['js', 'mjs', 'ts', 'sh', 'console', 'text'] as const;
export type Language = (typeof languages)[number];

export interface Peer {
  host: string;
  port: number;
  /** 0: never falls silent. */
  silentAfterMs: number;
}

export interface Annotation {
  notRun?: string;
  fileFor?: string;
  peers: Peer[];
  interruptAfterMs?: number;
  exitCodes?: number[];
  prints: string[];
  outputAsShown: boolean;
  given: string[];
  freshProject: boolean;
  registry: boolean;
  needsRoot: boolean;
  needsHeaders: boolean;
  withinMs: number;
}

export interface Command {
  /** What the shell runs, continuation lines included. */
  text: string;
  /** Its line in the doc. */
  line: number;
  /** console: the output the transcript shows for it. */
  shown: string[];
}

export interface Block {
  /** The doc's path from the repository's root, such as docs/cli.md. */
  doc: string;
  /** The line of the opening fence, from 1. */
  line: number;
  /** The fence's info string ('' when there is none). */
  language: string;
  body: string;
  annotation: Annotation;
  /** What is wrong with the block or its annotation; the test fails on each. */
  problems: string[];
  /** Not a block: a doc-test comment that belongs to none. */
  stray?: true;
}

/** README.md and docs/*.md, in that order. */
export function docFiles(root: string): string[] {
  const docs = fs
    .readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

function seconds(value: string): number {
  return Math.round(Number(value) * 1000);
}

function parseAnnotation(comment: string, problems: string[], withinMs = 20000): Annotation {
  const annotation: Annotation = {
    peers: [],
    prints: [],
    outputAsShown: false,
    given: [],
    freshProject: false,
    registry: false,
    needsRoot: false,
    needsHeaders: false,
    withinMs,
  };
  let rest = comment.trim();
  while (rest !== '') {
    if (rest.startsWith('not run:')) {
      annotation.notRun = rest.slice('not run:'.length).trim();
      if (annotation.notRun === '') problems.push('`not run:` needs a reason');
      break;
    }
    const end = rest.indexOf('; ');
    const clause = (end < 0 ? rest : rest.slice(0, end)).trim().replace(/;$/, '');
    rest = end < 0 ? '' : rest.slice(end + 2).trim();
    let match: RegExpExecArray | null;
    if ((match = /^file used by (\S+)$/.exec(clause))) annotation.fileFor = match[1];
    else if ((match = /^peer (\S+):(\d+)(?:, silent ([\d.]+) s after accepting)?$/.exec(clause))) {
      annotation.peers.push({ host: match[1], port: Number(match[2]), silentAfterMs: match[3] ? seconds(match[3]) : 0 });
    } else if ((match = /^Ctrl-C after ([\d.]+) s$/.exec(clause))) annotation.interruptAfterMs = seconds(match[1]);
    else if ((match = /^exit codes ((?:\d+ ?)+)$/.exec(clause))) annotation.exitCodes = match[1].trim().split(' ').map(Number);
    else if ((match = /^prints (.+)$/.exec(clause))) annotation.prints.push(match[1]);
    else if (clause === 'output as shown') annotation.outputAsShown = true;
    else if ((match = /^given ((?:[\w.-]+ ?)+)$/.exec(clause))) annotation.given.push(...match[1].trim().split(' '));
    else if (clause === 'fresh project') annotation.freshProject = true;
    else if (clause === 'needs the npm registry') annotation.registry = true;
    else if (clause === 'needs root') annotation.needsRoot = true;
    else if (clause === "needs Node's headers") annotation.needsHeaders = true;
    else if ((match = /^within ([\d.]+) s$/.exec(clause))) annotation.withinMs = seconds(match[1]);
    else problems.push(`unknown doc-test clause: '${clause}'`);
  }
  return annotation;
}

const annotationLine = /^<!-- doc-test: (.*) -->$/;
const fenceLine = /^(`{3,}|~{3,})(.*)$/;

/** Every fenced code block of `doc` (a path from `root`), with its annotation. */
export function readBlocks(root: string, doc: string): Block[] {
  const lines = fs.readFileSync(path.join(root, doc), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let k = 0; k < lines.length; k++) {
    const open = fenceLine.exec(lines[k]);
    if (!open) {
      if (lines[k].startsWith('<!--') && lines[k].includes('doc-test')) {
        let next = k + 1;
        while (next < lines.length && annotationLine.test(lines[next])) next++;
        if (!annotationLine.test(lines[k])) blocks.push(stray(doc, k + 1, `a doc-test comment is one line, '<!-- doc-test: … -->': ${lines[k]}`));
        else if (!fenceLine.test(lines[next] ?? '')) blocks.push(stray(doc, k + 1, 'a doc-test comment must be right before a fenced block'));
      }
      continue;
    }
    const fence = open[1];
    const closes = (line: string) => line.trimEnd().length >= fence.length && [...line.trimEnd()].every((c) => c === fence[0]);
    const start = k;
    let end = k + 1;
    while (end < lines.length && !closes(lines[end])) end++;
    const problems: string[] = [];
    if (end >= lines.length) problems.push('the block is never closed');
    // The annotation: the lines right before the fence that are doc-test comments.
    let comment = '';
    for (let above = start - 1; above >= 0 && annotationLine.test(lines[above]); above--) {
      comment = `${annotationLine.exec(lines[above])![1]}; ${comment}`;
    }
    const language = open[2].trim();
    if (!(languages as readonly string[]).includes(language)) {
      problems.push(`give the block a language the test knows: ${languages.join(', ')} (it has '${language}')`);
    }
    blocks.push({
      doc,
      line: start + 1,
      language,
      body: lines.slice(start + 1, end).join('\n'),
      annotation: parseAnnotation(comment.replace(/; $/, ''), problems, language === 'ts' ? 60000 : 20000),
      problems,
    });
    k = end;
  }
  return blocks;
}

function stray(doc: string, line: number, problem: string): Block {
  return { doc, line, language: '', body: '', annotation: parseAnnotation('', []), problems: [problem], stray: true };
}

/** The file name a js/mjs/ts block gives itself in its first line (`// lab-example.mjs …`). */
export function namedFile(block: Block): string | undefined {
  return /^\/\/ ([\w.-]+\.(?:js|mjs|cjs|ts|mts|cts))\b/.exec(block.body)?.[1];
}

/** The commands of a sh block: one a line (a trailing backslash continues it), comment lines left out. */
function shellCommands(block: Block): Command[] {
  const commands: Command[] = [];
  const lines = block.body.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const line = block.line + 1 + k;
    let text = lines[k];
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    while (text.endsWith('\\') && k + 1 < lines.length) text += `\n${lines[++k]}`;
    commands.push({ text, line, shown: [] });
  }
  return commands;
}

/**
 * The commands of a console transcript, each with the output shown below it:
 * the lines that start with the prompt of its first line, `$ `, or root's `# `
 * (then a `$ ` line is output, as a `# ` line is where the prompt is `$`).
 */
function transcriptCommands(block: Block): Command[] {
  const commands: Command[] = [];
  const lines = block.body.split('\n');
  const promptChar = /^([$#]) /.exec(lines[0] ?? '')?.[1];
  if (!promptChar) throw new Error(`line ${block.line + 1}: a transcript starts with a command ($ or # prompt)`);
  for (let k = 0; k < lines.length; k++) {
    const prompt = lines[k].startsWith(`${promptChar} `) ? [lines[k], lines[k].slice(2)] : null;
    if (prompt) {
      const line = block.line + 1 + k;
      let text = prompt[1];
      while (text.endsWith('\\') && k + 1 < lines.length) text += `\n${lines[++k]}`;
      commands.push({ text, line, shown: [] });
    } else {
      commands[commands.length - 1].shown.push(lines[k]);
    }
  }
  return commands;
}

/** Shell commands that run the block: the block's own for sh and console, else those that run or check its file. */
export function commandsOf(block: Block, file: string): Command[] {
  switch (block.language) {
    case 'sh':
      return shellCommands(block);
    case 'console':
      return transcriptCommands(block);
    case 'ts':
      // Type-checked against the installed package, as strictly as a user's project can be (the
      // package's own declarations are checked in consumer.test.ts: skipLibCheck saves seconds here).
      return [
        {
          text: `node node_modules/typescript/bin/tsc --noEmit --strict --exactOptionalPropertyTypes --skipLibCheck --target es2022 --module nodenext --moduleResolution nodenext --types node ${file}`,
          line: block.line,
          shown: [],
        },
      ];
    default:
      return [{ text: `node ${file}`, line: block.line, shown: [] }];
  }
}

/**
 * The exit code each command must give: the annotation's `exit codes`, else
 * in a transcript the number a following `echo $?` shows, else 0.
 */
export function expectedExitCodes(block: Block, commands: Command[]): number[] {
  if (block.annotation.exitCodes) return block.annotation.exitCodes;
  return commands.map((_, k) => {
    const next = commands[k + 1];
    return next && next.text.trim() === 'echo $?' && /^\d+$/.test(next.shown.join('').trim()) ? Number(next.shown.join('').trim()) : 0;
  });
}

/** Lines compared with runs of spaces made one and the ends trimmed; blank lines left out. */
export function normalizedLines(text: string | string[]): string[] {
  return (Array.isArray(text) ? text : text.split('\n')).map((line) => line.replace(/\s+/g, ' ').trim()).filter((line) => line !== '');
}
