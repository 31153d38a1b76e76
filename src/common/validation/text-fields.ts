import { applyDecorators } from '@nestjs/common';
import { ValidateBy } from 'class-validator';
import { hasDebris, invisibleCharacterIn } from '../text/clean-text';

/** Names of the request-body fields declared secret anywhere (passwords); CleanTextMiddleware leaves them alone. */
const SECRET_FIELDS = new Set<string>();

export function secretFields(): ReadonlySet<string> {
  return SECRET_FIELDS;
}

/**
 * A password or other secret: the text cleaning that every request body goes through never changes it,
 * because a secret silently altered would not be the one its owner typed. A new secret (`refuseDebris`)
 * that cleaning would change is refused with a 400 instead; a secret being checked (a sign-in) is
 * compared exactly as sent.
 */
export function SecretText(options: { refuseDebris?: boolean } = {}): PropertyDecorator {
  const register: PropertyDecorator = (_target, property) => {
    SECRET_FIELDS.add(String(property));
  };
  if (!options.refuseDebris) return register;
  return applyDecorators(
    register,
    ValidateBy({
      name: 'isCleanSecret',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !hasDebris(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'the secret'} must not contain control characters (such as U+0000), ` +
          'unpaired surrogates or other invisible debris; choose another',
      },
    }),
  );
}

/**
 * A name people see in lists (a knowledge base, an API key): refused when it holds bidirectional
 * controls or zero-width characters, which would make it display as something other than what it is.
 */
export function IsVisibleName(): PropertyDecorator {
  return ValidateBy({
    name: 'isVisibleName',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || invisibleCharacterIn(value) === undefined,
      defaultMessage: (args) =>
        `${args?.property ?? 'name'} contains an invisible character (${invisibleCharacterIn(String(args?.value))}) ` +
        'that would make it display differently from what it is; remove it',
    },
  });
}
