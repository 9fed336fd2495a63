import { GraphQLError } from 'graphql';
import type { ClickErrorCode } from '../models/click-error-code.js';

export function clickError(code: ClickErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}
