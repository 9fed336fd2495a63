import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { clickError } from './graphql-errors.js';

function shown(value: unknown): string {
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'an invalid date' : value.toISOString();
  if (typeof value === 'string' && value.length > 40)
    return JSON.stringify(`${value.slice(0, 40)}…`);
  return JSON.stringify(value) ?? String(value);
}

function messages(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    return [
      ...Object.values(error.constraints ?? {}).map(
        (message) => `"${path}" ${message}, not ${shown(error.value)}`,
      ),
      ...messages(error.children ?? [], path),
    ];
  });
}

/**
 * Validates the arguments of the module's GraphQL fields (classes with class-validator rules)
 * before the resolver runs; anything else passes untouched. A bad value is BAD_USER_INPUT with
 * a message that names the argument, nested ones as `filter.productId`.
 */
@Injectable()
export class GraphQLInputPipe implements PipeTransform {
  transform(value: unknown, { metatype }: ArgumentMetadata): unknown {
    if (
      !metatype ||
      getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false).length === 0
    ) {
      return value;
    }
    const input = plainToInstance(metatype, value ?? {}) as object;
    const problems = messages(validateSync(input, { forbidUnknownValues: false }));
    if (problems.length > 0) throw clickError('BAD_USER_INPUT', problems.join('; '));
    return input;
  }
}
