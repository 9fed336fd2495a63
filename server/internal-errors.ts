import { Logger } from '@nestjs/common';
import type { GraphQLFormattedError } from 'graphql';

const logger = new Logger('GraphQL');

/**
 * The standalone server's `formatError`: an error with the code INTERNAL_SERVER_ERROR (anything
 * the API did not mean to say: a database error, a bug) is logged with its message, and the
 * caller gets a fixed message instead. The API's own refusals pass unchanged.
 */
export function hideInternalError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  if (formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
  const original = (error as { originalError?: unknown }).originalError ?? error;
  logger.error(
    `internal error in ${formatted.path?.join('.') ?? 'an operation'}: ${original instanceof Error ? original.message : String(original)}`,
    original instanceof Error ? original.stack : undefined,
  );
  return {
    message: 'internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
