import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { Plugin } from '@nestjs/apollo';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import {
  type ComplexityEstimator,
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
} from 'graphql-query-complexity';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import type { ClickErrorCode } from '../models/click-error-code.js';

/** The module's root fields: only they, and what is below them, count against the limits. */
const CLICK_ROOT_FIELDS = new Set([
  'clickEvent',
  'clickEvents',
  'clickStats',
  'clickEventReceived',
]);
/** The module's object types. */
const CLICK_TYPES = new Set([
  'ClickEvent',
  'ClickEventConnection',
  'ClickEventEdge',
  'PageInfo',
  'ClickStats',
  'StatBucket',
  'TimeBucket',
]);

/** A field of the host's own costs nothing here, but what the module's fields below it cost. */
const hostFieldsAreFree: ComplexityEstimator = ({ type, field, childComplexity }) =>
  CLICK_TYPES.has(type.name) || CLICK_ROOT_FIELDS.has(field.name) ? undefined : childComplexity;

/**
 * Refuses an operation whose fields of this module go above the limits, with BAD_USER_INPUT
 * before anything runs, so that one request (hundreds of aliased `clickStats`, say) cannot pin
 * the server. The host's own fields are neither counted nor limited: they are the host's to
 * limit. `@nestjs/apollo` finds it in the module (its @Plugin()).
 */
@Plugin()
export class QueryLimitsPlugin implements ApolloServerPlugin {
  constructor(@InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig) {}

  async requestDidStart(): Promise<GraphQLRequestListener<BaseContext> | void> {
    const limits = this.config.queryLimits;
    if (!limits) return;
    return {
      async didResolveOperation({ request, document, operation, schema }) {
        if (!operation) return; // Apollo answers an unknown operation name itself
        const depth = operationDepth(operation, document, (name) => CLICK_ROOT_FIELDS.has(name));
        if (depth > limits.maxDepth) {
          throw refused(`query depth ${depth} is above the limit of ${limits.maxDepth}`);
        }
        const cost = costOf(schema, document, request.operationName, request.variables);
        if (cost > limits.maxCost) {
          throw refused(`query cost ${cost} is above the limit of ${limits.maxCost}`);
        }
      },
    };
  }
}

/**
 * Costs computed lately, per parsed document (Apollo keeps one per query text), operation and
 * variables: a dashboard sends the same query every few seconds, and walking it costs about
 * half a millisecond.
 */
const costs = new WeakMap<DocumentNode, Map<string, number>>();
const COSTS_PER_DOCUMENT = 100;

function costOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | undefined,
): number {
  let known = costs.get(document);
  if (!known) costs.set(document, (known = new Map<string, number>()));
  const key = `${operationName ?? ''}\u0000${JSON.stringify(variables ?? {})}`;
  let cost = known.get(key);
  if (cost === undefined) {
    cost = getComplexity({
      schema,
      operationName: operationName ?? undefined,
      query: document,
      variables: variables ?? {},
      estimators: [
        hostFieldsAreFree,
        fieldExtensionsEstimator(),
        simpleEstimator({ defaultComplexity: 1 }),
      ],
    });
    if (known.size >= COSTS_PER_DOCUMENT) known.clear();
    known.set(key, cost);
  }
  return cost;
}

/** A refusal before execution: BAD_USER_INPUT, answered with HTTP 400 (Apollo's default is 500). */
function refused(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT' satisfies ClickErrorCode, http: { status: 400 } },
  });
}

/**
 * The deepest field of the operation, fragments followed, introspection fields not counted;
 * with `countsRoot`, only below the root fields it accepts.
 */
export function operationDepth(
  operation: OperationDefinitionNode,
  document: DocumentNode,
  countsRoot: (name: string) => boolean = () => true,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  const depthOf = (
    set: SelectionSetNode | undefined,
    visiting: Set<string>,
    root: boolean,
  ): number => {
    if (!set) return 0;
    let deepest = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__') || (root && !countsRoot(name))) continue;
        deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, visiting, false));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depthOf(selection.selectionSet, visiting, root));
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue; // GraphQL validation reports cycles
        deepest = Math.max(
          deepest,
          depthOf(fragment.selectionSet, new Set([...visiting, name]), root),
        );
      }
    }
    return deepest;
  };
  return depthOf(operation.selectionSet, new Set(), true);
}
