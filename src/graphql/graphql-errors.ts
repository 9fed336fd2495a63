import { GraphQLError } from 'graphql';

/** The error codes of the contract, in `extensions.code`. */
export type ClickErrorCode =
  'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'SUBSCRIBER_TOO_SLOW';

export function clickError(code: ClickErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}
