/**
 * The example loader: one group per persona folder in the personas' order, titles from the
 * first comment line, and a folder named after no persona refused. That each example runs for
 * its persona is test/e2e/explorer.e2e.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { readExamples } from './examples.js';
import { PERSONAS } from './persona-token.js';

let folder: string | undefined;
afterEach(() => {
  if (folder) fs.rmSync(folder, { recursive: true, force: true });
});

function examplesFolder(files: Record<string, string>): string {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-examples-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
    fs.writeFileSync(path.join(folder, file), text);
  }
  return folder;
}

describe('readExamples', () => {
  it('groups the files by persona, in the personas’ order, titled by their first comment', () => {
    const groups = readExamples(
      examplesFolder({
        'partner/b.graphql': '# Second\n{ a }\n',
        'analyst/fleet.graphql': '#   Fleet health  \n# more words\n{ a }\n',
        'analyst/untitled.graphql': '{ b }\n',
        'analyst/notes.txt': 'not an example',
      }),
    );
    expect(groups).toEqual([
      {
        persona: 'analyst',
        label: 'Analyst',
        examples: [
          { name: 'fleet', title: 'Fleet health', query: '#   Fleet health  \n# more words\n{ a }\n' },
          { name: 'untitled', title: 'untitled', query: '{ b }\n' },
        ],
      },
      { persona: 'partner', label: 'Partner admin (demo partner)', examples: [{ name: 'b', title: 'Second', query: '# Second\n{ a }\n' }] },
    ]);
  });

  it('refuses a folder named after no persona', () => {
    expect(() => readExamples(examplesFolder({ 'analysts/a.graphql': '{ a }' }))).toThrow('examples/ has folders for no persona: analysts');
  });

  it('ships a titled, parseable example for every persona', () => {
    const groups = readExamples();
    expect(groups.map((group) => group.persona)).toEqual(PERSONAS.map((persona) => persona.id));
    for (const example of groups.flatMap((group) => group.examples)) {
      expect(example.title, example.name).not.toBe(example.name);
      expect(() => parse(example.query), example.name).not.toThrow();
    }
  });
});
