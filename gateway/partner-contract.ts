/**
 * Enforces the partner contract (lib/federation/partner-contract.ts) on partner API keys:
 * an operation selecting a field or type outside `schema/contracts/partner.graphql` is refused
 * before planning with OUTSIDE_PARTNER_CONTRACT, naming what is outside. The check is the
 * contract schema's own validation, restricted to the rules about what exists (fields, types,
 * arguments); the full validation against the API schema has already passed.
 */
import {
  buildSchema,
  FieldsOnCorrectTypeRule,
  Kind,
  KnownArgumentNamesRule,
  KnownTypeNamesRule,
  PossibleFragmentSpreadsRule,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';

/** Distinct partner documents whose verdict is kept (a verdict is a few names). */
const MAX_VERDICTS = 5_000;
const RULES = [FieldsOnCorrectTypeRule, KnownTypeNamesRule, KnownArgumentNamesRule, PossibleFragmentSpreadsRule];

export class PartnerContract {
  private readonly schema: GraphQLSchema;
  private readonly verdicts = new LRUCache<string, readonly string[]>({ max: MAX_VERDICTS });

  constructor(contractSdl: string) {
    this.schema = buildSchema(contractSdl);
  }

  /** What the document selects outside the contract, one message each; empty when it stays inside. */
  violations(document: DocumentNode, queryHash: string): readonly string[] {
    let verdict = this.verdicts.get(queryHash);
    if (!verdict) {
      // A root the contract lacks (mutations) is no parent type to the field rules: named here.
      const roots = document.definitions
        .filter((definition) => definition.kind === Kind.OPERATION_DEFINITION && !this.schema.getRootType(definition.operation))
        .map((definition) => `${(definition as OperationDefinitionNode).operation} operations are not part of it.`);
      // "Did you mean" hints would name fields outside the contract: dropped.
      verdict = [...new Set([...roots, ...validate(this.schema, document, RULES).map((error) => error.message.replace(/ Did you mean .*$/, ''))])];
      this.verdicts.set(queryHash, verdict);
    }
    return verdict;
  }
}
