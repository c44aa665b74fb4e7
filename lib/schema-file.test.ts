/**
 * A subgraph's SDL is its schema.graphql plus the policy directive definitions, kept in one
 * place (schema/policy-v1.0.graphql) and appended, never copied into each subgraph.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kind, type DirectiveDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_DIRECTIVES_SDL } from './policy/spec.js';
import { folderOf, loadTypeDefs, readSubgraphSdl } from './schema-file.js';

let folder: string;
const SCHEMA = /* GraphQL */ `type Query { patient: String @phi }\n`;

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-schema-file-'));
  fs.writeFileSync(path.join(folder, 'schema.graphql'), SCHEMA);
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

/** The URL a module in `folder` would have as its import.meta.url. */
const moduleUrl = () => pathToFileURL(path.join(folder, 'index.ts')).href;

describe('readSubgraphSdl', () => {
  it('is the folder’s schema.graphql followed by the policy directive definitions', () => {
    expect(readSubgraphSdl(folder)).toBe(`${SCHEMA}\n${POLICY_DIRECTIVES_SDL}`);
  });

  it('fails for a folder without schema.graphql', () => {
    expect(() => readSubgraphSdl(path.join(folder, 'missing'))).toThrow(/ENOENT/);
  });
});

describe('loadTypeDefs', () => {
  it('parses the SDL of the calling module’s folder, policy directives defined', () => {
    const document = loadTypeDefs(moduleUrl());
    const directives = document.definitions
      .filter((d): d is DirectiveDefinitionNode => d.kind === Kind.DIRECTIVE_DEFINITION)
      .map((d) => d.name.value);
    expect(directives).toEqual(expect.arrayContaining(['phi', 'scopes', 'entitled']));
    expect(document.definitions.some((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Query')).toBe(true);
  });
});

describe('folderOf', () => {
  it('resolves paths beside the calling module', () => {
    expect(folderOf(moduleUrl(), 'migrations')).toBe(path.join(folder, 'migrations'));
    expect(folderOf(moduleUrl())).toBe(folder);
  });
});
