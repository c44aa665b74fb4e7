/**
 * The saved example operations the explorer offers, one folder per persona
 * (`examples/<persona>/*.graphql`, the persona ids of persona-token.ts). A file's first line is
 * a comment that names it (`# Fleet health`); the rest of its comment lines stay in the
 * operation, to be read in the editor. Read once, when the explorer first asks.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExampleGroup } from './app/session.js';
import { EXPLORER_SOURCE } from './build.js';
import { PERSONAS } from './persona-token.js';

export const EXAMPLES_FOLDER = path.join(EXPLORER_SOURCE, 'examples');

/** The examples of every persona that has a folder, in the personas' order, files by name. */
export function readExamples(folder: string = EXAMPLES_FOLDER): ExampleGroup[] {
  const known = new Set(PERSONAS.map((persona) => persona.id));
  const unknown = fs.readdirSync(folder).filter((entry) => !known.has(entry));
  // A folder named after no persona is a typo that would hide its examples: fail loudly.
  if (unknown.length > 0) throw new Error(`examples/ has folders for no persona: ${unknown.join(', ')}`);
  return PERSONAS.flatMap((persona) => {
    const own = path.join(folder, persona.id);
    if (!fs.existsSync(own)) return [];
    const files = fs.readdirSync(own).filter((file) => file.endsWith('.graphql')).sort();
    const examples = files.map((file) => {
      const query = fs.readFileSync(path.join(own, file), 'utf8');
      const name = file.slice(0, -'.graphql'.length);
      const title = /^#\s*(.+)/.exec(query)?.[1]?.trim() ?? name;
      return { name, title, query };
    });
    return examples.length > 0 ? [{ persona: persona.id, label: persona.label, examples }] : [];
  });
}
