import { SetMetadata } from '@nestjs/common';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { clickError } from './graphql-errors.js';

/**
 * Refuses an operation above the limits with BAD_USER_INPUT before it runs, so that one request
 * (hundreds of aliased `clickStats`, say) cannot pin the server.
 */
// What @nestjs/apollo's @Plugin() sets (its PLUGIN_METADATA), without making the library load
// @nestjs/apollo: hosts on another driver, or without GraphQL, never need it.
@SetMetadata('graphql:plugin', true)
export class QueryLimitsPlugin implements ApolloServerPlugin {
  constructor(@InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig) {}

  async requestDidStart(): Promise<GraphQLRequestListener<BaseContext> | void> {
    const limits = this.config.queryLimits;
    if (!limits) return;
    return {
      async didResolveOperation({ request, document, operation, schema }) {
        if (!operation) return; // Apollo answers an unknown operation name itself
        const depth = operationDepth(operation, document);
        if (depth > limits.maxDepth) {
          throw clickError(
            'BAD_USER_INPUT',
            `query depth ${depth} is above the limit of ${limits.maxDepth}`,
          );
        }
        const cost = getComplexity({
          schema,
          operationName: request.operationName ?? undefined,
          query: document,
          variables: request.variables ?? {},
          estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
        });
        if (cost > limits.maxCost) {
          throw clickError(
            'BAD_USER_INPUT',
            `query cost ${cost} is above the limit of ${limits.maxCost}`,
          );
        }
      },
    };
  }
}

/** The deepest field of the operation, fragments followed, introspection fields not counted. */
export function operationDepth(operation: OperationDefinitionNode, document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  const depthOf = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
    if (!set) return 0;
    let deepest = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, visiting));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depthOf(selection.selectionSet, visiting));
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue; // GraphQL validation reports cycles
        deepest = Math.max(deepest, depthOf(fragment.selectionSet, new Set([...visiting, name])));
      }
    }
    return deepest;
  };
  return depthOf(operation.selectionSet, new Set());
}
