/**
 * The API schema: what clients of the gateway see, without the federation machinery of the
 * supergraph (join__ and link directives, the join__Graph enum, inaccessible fields).
 */
import { buildASTSchema, Kind, parse, print, type DocumentNode, type GraphQLSchema } from 'graphql';
import { Supergraph } from '@apollo/federation-internals';

/** The API schema of a supergraph SDL; a plain schema (tests) is built as it is. */
export function apiSchemaOf(sdl: string, document: DocumentNode = parse(sdl)): GraphQLSchema {
  const isSupergraph = document.definitions.some(
    (d) => d.kind === Kind.SCHEMA_DEFINITION && d.directives?.some((directive) => directive.name.value === 'link' && print(directive).includes('specs.apollo.dev/join/')),
  );
  return isSupergraph ? Supergraph.build(sdl).apiSchema().toGraphQLJSSchema() : buildASTSchema(document, { assumeValidSDL: true });
}
