import { registerDecorator, type ValidationOptions } from 'class-validator';

/** A property that must satisfy `test`, with `message` when it does not. */
export function Satisfies(
  test: (value: unknown) => boolean,
  message: string,
  options: ValidationOptions = {},
): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'satisfies',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message, ...options },
      validator: { validate: (value: unknown) => test(value) },
    });
}
