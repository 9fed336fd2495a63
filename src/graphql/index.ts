/**
 * `nestjs-whatsapp-clicks/graphql`: the GraphQL models with their code-first schema applied,
 * for hosts that build their own resolvers on the module's types (with or without
 * `graphql: true`). Needs the packages `graphql: true` needs.
 */
export * from './graphql-types.js';
export { ClickApiError, clickError } from './graphql-errors.js';
export type { ClickErrorCode } from '../models/click-error-code.js';
