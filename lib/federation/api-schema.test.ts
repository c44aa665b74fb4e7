import { printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { apiSchemaOf } from './api-schema.js';
import { readCommittedSupergraph } from './compose.js';

describe('apiSchemaOf', () => {
  it('strips the federation machinery from a supergraph', () => {
    const api = printSchema(apiSchemaOf(readCommittedSupergraph()));
    expect(api).toContain('type Tenant');
    expect(api).not.toMatch(/join__|link__|@link/);
  });
  it('builds a plain schema as it is', () => {
    expect(apiSchemaOf('type Query { a: Int }').getQueryType()!.getFields()).toHaveProperty('a');
  });
});
