/** The error codes of the GraphQL API, in `extensions.code`. */
export type ClickErrorCode =
  'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'SUBSCRIBER_TOO_SLOW';
